"""HTTP Basic authentication against bcrypt hashes, as an ASGI middleware both HTTP apps can install.

Kafka Connect's ``BasicAuthSecurityRestExtension`` checks ``Authorization: Basic …`` against a
properties file of ``user: password``; dbconnect reads the same kind of file but stores a bcrypt
hash in place of each password (``dbconnect passwd`` writes one). Every request is checked, each
route alike: the middleware sits in front of the router, so a route added later is protected too.

bcrypt is slow on purpose (about 0.1–0.3 s at cost 12). That cost is paid once per distinct
credential per process: a credential that verified is remembered in a bounded LRU map keyed by an
HMAC of ``user:password`` under a key drawn at start (never the password itself). A failed check is
never cached, so guessing costs a full bcrypt each time. Unknown users are checked against a dummy
hash of the same cost, so the answer time does not tell which users exist; ``bcrypt.checkpw``
compares in constant time, and the cache is looked up by an HMAC the caller cannot predict.
Verification runs on a worker thread, never on the event loop.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping

import anyio.to_thread
import bcrypt
from starlette.types import ASGIApp, Receive, Scope, Send

from dbconnect.api.errors import ConfigError

from .responses import error_response

#: Kafka's JaasBasicAuthFilter answers this message with its 401.
UNAUTHORIZED_MESSAGE = "User cannot access the resource."
DEFAULT_REALM = "dbconnect"
DEFAULT_ROUNDS = 12
#: How many verified credentials each process remembers.
CACHE_SIZE = 1024
# bcrypt reads at most 72 bytes of a password; bcrypt>=5 refuses longer ones rather than truncate.
MAX_PASSWORD_BYTES = 72
_BCRYPT_PREFIXES = (b"$2a$", b"$2b$", b"$2y$")


def hash_password(password: str, rounds: int = DEFAULT_ROUNDS) -> str:
    """A bcrypt hash of ``password`` for a credentials file (``$2b$12$…``)."""
    secret = password.encode("utf-8")
    if not secret:
        raise ValueError("The password is empty")
    if len(secret) > MAX_PASSWORD_BYTES:
        raise ValueError(f"The password is longer than bcrypt's {MAX_PASSWORD_BYTES} bytes")
    return bcrypt.hashpw(secret, bcrypt.gensalt(rounds)).decode("ascii")


def _is_bcrypt_hash(value: str) -> bool:
    raw = value.encode("ascii", "replace")
    return raw.startswith(_BCRYPT_PREFIXES) and len(raw) == 60


class BasicAuthenticator:
    """Checks user/password pairs against ``{user: bcrypt hash}``; thread-safe."""

    def __init__(self, users: Mapping[str, str], realm: str = DEFAULT_REALM, source: str = "the credentials"):
        if not users:
            raise ConfigError(f"{source} lists no users: every request would be refused")
        self._hashes: dict[str, bytes] = {}
        for user, hashed in users.items():
            hashed = (hashed or "").strip()
            if not _is_bcrypt_hash(hashed):
                # Never echo the value: it may be a plaintext password copied from Kafka's file.
                raise ConfigError(
                    f"The entry for user {user!r} in {source} is not a bcrypt hash; store hashes, not "
                    f"passwords: `dbconnect passwd <file> {user}` writes one"
                )
            self._hashes[user] = hashed.encode("ascii")
        if '"' in realm or "\\" in realm:
            raise ConfigError(f"The realm {realm!r} must not contain a quote or a backslash")
        self.realm = realm
        # Same cost as the real hashes, so an unknown user takes as long as a wrong password.
        rounds = int(next(iter(self._hashes.values()))[4:6])
        self._dummy = bcrypt.hashpw(b"dbconnect-no-such-user", bcrypt.gensalt(rounds))
        self._cache_key = os.urandom(32)
        self._verified: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    def _key(self, user: str, password: str) -> bytes:
        return hmac.new(self._cache_key, f"{user}\0{password}".encode("utf-8", "surrogatepass"),
                        hashlib.sha256).digest()

    def cached(self, user: str, password: str) -> bool:
        """True when this credential already verified in this process (no bcrypt call)."""
        key = self._key(user, password)
        with self._lock:
            if key in self._verified:
                self._verified.move_to_end(key)
                return True
        return False

    def verify(self, user: str, password: str) -> bool:
        if self.cached(user, password):
            return True
        secret = password.encode("utf-8", "surrogatepass")
        hashed = self._hashes.get(user)
        try:
            ok = bcrypt.checkpw(secret, hashed if hashed is not None else self._dummy)
        except ValueError:  # longer than 72 bytes: never a valid password here
            ok = False
        ok = ok and hashed is not None
        if ok:
            with self._lock:
                self._verified[self._key(user, password)] = None
                while len(self._verified) > CACHE_SIZE:
                    self._verified.popitem(last=False)
        return ok


def parse_basic_authorization(header: bytes | None) -> tuple[str, str] | None:
    """``(user, password)`` from an ``Authorization: Basic …`` value, or None when absent or malformed."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(b" ")
    if scheme.lower() != b"basic" or not token.strip():
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        text = decoded.decode("latin-1")
    user, colon, password = text.partition(":")
    if not colon:
        return None
    return user, password


class BasicAuthMiddleware:
    """Answers 401 with ``WWW-Authenticate: Basic realm="…"`` and Connect's error body to every
    HTTP request without valid credentials."""

    def __init__(self, app: ASGIApp, authenticator: BasicAuthenticator,
                 exempt: Callable[[str, str, Mapping[bytes, bytes]], bool] | None = None):
        self.app = app
        self.authenticator = authenticator
        # Requests another authentication covers (Kafka's JaasBasicAuthFilter lets the workers'
        # signed internal requests through the same way): (method, path, headers) -> True.
        self.exempt = exempt
        self._challenge = {"WWW-Authenticate": f'Basic realm="{authenticator.realm}", charset="UTF-8"'}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.exempt is not None and self.exempt(scope.get("method", ""), scope.get("path", ""),
                                                    dict(scope.get("headers", ()))):
            await self.app(scope, receive, send)
            return
        header = next((value for name, value in scope.get("headers", ()) if name == b"authorization"), None)
        credentials = parse_basic_authorization(header)
        if credentials is not None:
            user, password = credentials
            ok = self.authenticator.cached(user, password) or await anyio.to_thread.run_sync(
                self.authenticator.verify, user, password)
            if ok:
                await self.app(scope, receive, send)
                return
        response = error_response(401, UNAUTHORIZED_MESSAGE, self._challenge)
        await response(scope, receive, send)
