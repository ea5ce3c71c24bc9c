"""The proof that secrets are never shown: a watch over everything the integration suite sees.

For the whole integration run (tests/integration/conftest.py), ``SecretLeakWatch`` keeps every REST
response body the tests' HTTP helper (``WorkerHandle``) receives and every log record that reaches
the root logger's handlers (where a user's log file would be written), and learns the suite's test
passwords: the embedded databases' (any test argument with a ``password`` or ``server.password``)
and every secret a test puts in a connector config (PASSWORD-looking keys, URL passwords) that it
sends through the helper. At the end of the session it reports each password found anywhere,
with where it was and a few characters around it (the password itself replaced by ``<LEAK>``).

Cheap: texts are kept as strings and searched once at the end (a substring search per password).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import orjson

from dbconnect.api.config import is_secret_key
from dbconnect.api.masking import HIDDEN, config_secrets

# Passwords shorter than this are not searched for (a 3-letter one would match ordinary words).
MIN_LENGTH = 6


@dataclass(frozen=True)
class Leak:
    where: str
    context: str

    def __str__(self) -> str:
        return f"{self.where}: …{self.context}…"


class _CaptureHandler(logging.Handler):
    def __init__(self, watch: SecretLeakWatch) -> None:
        super().__init__(logging.DEBUG)
        self._watch = watch

    def emit(self, record: logging.LogRecord) -> None:
        # What a log file would hold: the message and the exception text, after the handler's
        # filters (the worker puts its masking filter on every root handler, this one included).
        try:
            text = record.getMessage()
        except Exception:
            text = str(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            text += "\n" + record.exc_text
        self._watch.add_text(f"log record {record.name}:{record.levelname}", text)


class SecretLeakWatch:
    def __init__(self) -> None:
        self.passwords: set[str] = set()
        self.texts: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self.handler = _CaptureHandler(self)
        self._root_level: int | None = None

    # -- what is watched ---------------------------------------------------------------------------
    def add_password(self, password: Any) -> None:
        # A config read back and PUT again sends "[hidden]": that is the mask, not a password.
        if isinstance(password, str) and len(password) >= MIN_LENGTH and "${" not in password \
                and HIDDEN not in password:
            with self._lock:
                self.passwords.add(password)

    def add_text(self, where: str, text: str) -> None:
        if text:
            with self._lock:
                self.texts.append((where, text))

    def passwords_in_config(self, config: Any) -> None:
        if isinstance(config, dict):
            flat = {str(k): v for k, v in config.items() if isinstance(v, str)}
            for value in config_secrets(flat, (), is_secret_key):
                self.add_password(value)
            for value in config.values():
                if isinstance(value, dict):
                    self.passwords_in_config(value)

    def passwords_of_fixtures(self, values: Any) -> None:
        """Test arguments that hold a server's password (EmbeddedPostgres, EmbeddedMariaDB, a Db helper)."""
        for value in values:
            self.add_password(getattr(value, "password", None))
            self.add_password(getattr(getattr(value, "server", None), "password", None))

    def response_hook(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        """A ``requests`` response hook: learn the passwords sent, keep the body received."""
        body = getattr(response.request, "body", None)
        if body:
            try:
                self.passwords_in_config(orjson.loads(body))
            except (orjson.JSONDecodeError, TypeError):
                pass
        self.add_text(f"REST {response.request.method} {response.request.path_url} → {response.status_code}",
                      response.text)
        return response

    def start(self) -> None:
        root = logging.getLogger()
        root.addHandler(self.handler)
        if root.level > logging.INFO:  # INFO lines are what an operator's log holds by default
            self._root_level = root.level
            root.setLevel(logging.INFO)

    def stop(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        if self._root_level is not None:
            root.setLevel(self._root_level)

    # -- the verdict -------------------------------------------------------------------------------
    def leaks(self) -> list[Leak]:
        with self._lock:
            passwords = sorted(self.passwords)
            texts = list(self.texts)
        found: list[Leak] = []
        for where, text in texts:
            for password in passwords:
                at = text.find(password)
                if at >= 0:
                    context = text[max(0, at - 60):at] + "<LEAK>" + text[at + len(password):at + len(password) + 60]
                    found.append(Leak(where, context.replace("\n", "⏎")))
        return found

    def report(self) -> str | None:
        leaks = self.leaks()
        if not leaks:
            return None
        lines = [f"{len(leaks)} secret leak(s) in REST responses or log records "
                 f"({len(self.passwords)} test passwords watched, {len(self.texts)} texts):"]
        lines += [f"  {leak}" for leak in leaks[:50]]
        return "\n".join(lines)
