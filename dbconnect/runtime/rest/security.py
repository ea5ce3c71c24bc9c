"""The REST API's security settings, read from the worker config: Basic authentication, TLS, CORS,
and the refusal of ``rest.extension.classes`` (docs/securing-rest.md).

``RestSecurity.from_worker_config`` checks every setting at start (a bad one refuses to start the
worker with a message naming the key); ``install(app)`` puts the middlewares in front of the
router, so every route, present or future, is covered; ``client_session()`` is the one way the
worker's tools and tests call its REST API: credentials and certificate checks included, on by
default; ``peer_client()`` is the worker's own client for the other workers (and its advertised URL).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import requests.adapters
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from ...api.errors import ConfigError
from ...http.auth import BasicAuthenticator, BasicAuthMiddleware
from ...http.headers import HeaderRule, ResponseHeadersMiddleware, parse_header_rules
from ...http.tls import ServerTls
from ..distributed.peer_client import PeerClient
from ..properties import parse_properties
from ..worker_config import WorkerConfig

CREDENTIALS_FILE = "rest.basic.auth.credentials.file"
REALM = "rest.basic.auth.realm"
HTTPS_PREFIX = "listeners.https."
KAFKA_BASIC_AUTH_EXTENSION = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"
# Jetty's CrossOriginFilter defaults, which Kafka keeps.
DEFAULT_CORS_METHODS = ("GET", "POST", "HEAD")
CORS_HEADERS = ("X-Requested-With", "Content-Type", "Accept", "Origin", "Authorization")


@dataclass(frozen=True)
class Cors:
    origins: tuple[str, ...]
    origin_regex: str | None
    methods: tuple[str, ...]


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [item.strip() for item in items if item and item.strip()]


def refuse_rest_extensions(config: WorkerConfig) -> None:
    names = _list(config.get("rest.extension.classes"))
    if not names:
        return
    hints = []
    if KAFKA_BASIC_AUTH_EXTENSION in names or any(n.endswith("BasicAuthSecurityRestExtension") for n in names):
        hints.append(f"for Basic authentication set {CREDENTIALS_FILE} (a file of user=bcrypt-hash lines, "
                     f"written by `dbconnect passwd`) and {REALM}")
    hints.append("TLS: listeners=https://… with listeners.https.ssl.*; CORS: access.control.allow.origin")
    raise ConfigError(
        f"rest.extension.classes={','.join(names)}: dbconnect cannot load REST extensions (Kafka's are Java "
        f"classes); remove the setting. Instead, {'; '.join(hints)}. See docs/securing-rest.md"
    )


def _cors(config: WorkerConfig) -> Cors | None:
    origins = _list(config.get("access.control.allow.origin"))
    methods = tuple(m.upper() for m in _list(config.get("access.control.allow.methods"))) or DEFAULT_CORS_METHODS
    bad = [m for m in methods if not re.fullmatch(r"[A-Z]+", m)]
    if bad:
        raise ConfigError(f"Invalid value {','.join(bad)} for access.control.allow.methods: expected HTTP methods "
                          f"separated by commas, e.g. GET,POST,PUT,DELETE")
    if not origins:
        if config.originals.get("access.control.allow.methods", "").strip():
            raise ConfigError("access.control.allow.methods is set but access.control.allow.origin is not: "
                              "set the origins allowed to make cross origin requests, or remove both")
        return None
    if "*" in origins:
        return Cors(("*",), None, methods)
    plain = tuple(o for o in origins if "*" not in o)
    # Jetty's wildcard origins: * matches any characters.
    patterns = [".*".join(re.escape(part) for part in o.split("*")) for o in origins if "*" in o]
    return Cors(plain, "|".join(patterns) or None, methods)


def _tls(config: WorkerConfig) -> ServerTls | None:
    if not any(listener.strip().lower().startswith("https://") for listener in config.listeners):
        prefixed = sorted(k for k in config.originals if k.startswith(HTTPS_PREFIX + "ssl."))
        if prefixed:
            raise ConfigError(f"{', '.join(prefixed)}: set, but no listener is https (listeners="
                              f"{','.join(config.listeners)}); add an https:// listener or remove them")
        return None
    # Kafka's valuesWithPrefixAllOrNothing: the prefixed keys when any is set, else the plain ssl.* keys.
    prefixed = {k[len(HTTPS_PREFIX):]: v for k, v in config.originals.items() if k.startswith(HTTPS_PREFIX)}
    if prefixed:
        return ServerTls.from_settings(prefixed, HTTPS_PREFIX)
    plain = {k: v for k, v in config.originals.items() if k.startswith("ssl.")}
    return ServerTls.from_settings(plain, "")


def _authenticator(config: WorkerConfig) -> BasicAuthenticator | None:
    path = config.get(CREDENTIALS_FILE)
    if not path or not str(path).strip():
        return None
    file = Path(str(path).strip())
    try:
        users = parse_properties(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{CREDENTIALS_FILE}={file}: cannot read it: {exc.strerror or exc}") from None
    return BasicAuthenticator(users, config.get(REALM) or "dbconnect", source=f"{CREDENTIALS_FILE} ({file})")


_INTERNAL_TASKS_PATH = re.compile(r"^/connectors/[^/]+/tasks/?$")


def internal_request(method: str, path: str, headers: Mapping[bytes, bytes]) -> bool:
    """What Basic authentication lets through, as Kafka's JaasBasicAuthFilter does: a worker's task
    configs sent to the leader (``POST /connectors/<n>/tasks``) carrying a KIP-507 signature, which the
    distributed herder checks instead (400 without one, 403 for a wrong one; a worker with Basic auth
    always checks it, see DistributedHerder.require_signature), and the instance id a worker asks of its
    own advertised URL at start (a random id, to tell two workers on one URL apart)."""
    if method == "POST" and b"x-connect-authorization" in headers and _INTERNAL_TASKS_PATH.match(path):
        return True
    return method == "GET" and path == "/connect-worker-instance"


@dataclass(frozen=True)
class RestSecurity:
    authenticator: BasicAuthenticator | None = None
    cors: Cors | None = None
    tls: ServerTls | None = None
    headers: tuple[HeaderRule, ...] = ()

    @classmethod
    def from_worker_config(cls, config: WorkerConfig) -> "RestSecurity":
        refuse_rest_extensions(config)
        return cls(_authenticator(config), _cors(config), _tls(config),
                   tuple(parse_header_rules(config.get("response.http.headers.config"))))

    def install(self, app: FastAPI) -> None:
        """Add the middlewares; the last added runs first: CORS answers preflights (which browsers
        send without credentials), then authentication guards everything else; the
        response.http.headers.config rules apply to every answer, 401s and preflights included."""
        if self.authenticator is not None:
            app.add_middleware(BasicAuthMiddleware, authenticator=self.authenticator, exempt=internal_request)
            _document_basic_auth(app)
        if self.cors is not None:
            app.add_middleware(
                CORSMiddleware,
                allow_origins=list(self.cors.origins),
                allow_origin_regex=self.cors.origin_regex,
                allow_methods=list(self.cors.methods),
                allow_headers=list(CORS_HEADERS),
                # Jetty's CrossOriginFilter allows credentials by default.
                allow_credentials=True,
            )
        if self.headers:
            app.add_middleware(ResponseHeadersMiddleware, rules=list(self.headers))

    def peer_client(self) -> PeerClient:
        """The worker's one client for the other workers' REST APIs, with these https settings (the
        truststore, the host name check, the keystore as client certificate), as Kafka's RestClient
        reads the listeners' settings."""
        return PeerClient(self.tls)

    def client_session(self, credentials: tuple[str, str] | None = None) -> requests.Session:
        """A requests session for calling this worker's REST API: Basic credentials when given,
        and for https the configured truststore (else the system's CAs); certificate checks are
        never turned off."""
        session = requests.Session()
        if credentials is not None:
            session.auth = credentials
        if self.tls is not None:
            session.mount("https://", _TrustAdapter(self.tls.truststore, self.tls.check_hostname))
        return session


class _TrustAdapter(requests.adapters.HTTPAdapter):
    """https with the worker's truststore. Set on each request, because requests lets
    REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE replace a session's ``verify``; and never off."""

    def __init__(self, truststore: str | None, check_hostname: bool):
        self._verify: str | bool = truststore or True
        self._check_hostname = check_hostname
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if not self._check_hostname:
            # ssl.endpoint.identification.algorithm empty: the chain is still verified, the name is not.
            kwargs["assert_hostname"] = False
        super().init_poolmanager(*args, **kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        kwargs["verify"] = self._verify
        return super().send(request, **kwargs)


def _document_basic_auth(app: FastAPI) -> None:
    """/openapi.json tells clients (and the fuzz test) that every operation needs Basic credentials
    and may answer 401 with Connect's error body."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        if schema.get("components", {}).get("securitySchemes"):
            return schema
        schema.setdefault("components", {})["securitySchemes"] = {
            "basicAuth": {"type": "http", "scheme": "basic",
                          "description": f"The users of {CREDENTIALS_FILE}"}}
        schema["security"] = [{"basicAuth": []}]
        error = {"$ref": "#/components/schemas/ErrorMessage"}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                operation.setdefault("responses", {})["401"] = {
                    "description": "Missing or wrong credentials",
                    "content": {"application/json": {"schema": error}},
                }
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def security_settings(config: Mapping[str, str]) -> RestSecurity:
    """``RestSecurity`` for a worker properties mapping (for tools and tests)."""
    return RestSecurity.from_worker_config(WorkerConfig(config))
