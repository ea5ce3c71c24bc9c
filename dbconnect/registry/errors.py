"""Errors raised by the Schema Registry client.

Confluent's client raises ``RestClientException(message, status, errorCode)``; this is its
counterpart. Messages name the registry URL (credentials are never part of the stored URLs, so
they cannot leak into a task's trace) and end like Confluent's: ``…; error code: 40403``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson

from ..api.errors import ConnectError, RetriableError

__all__ = ["SchemaRegistryError", "SchemaRegistryUnavailableError", "parse_error_body", "redact_url",
           "SUBJECT_NOT_FOUND", "VERSION_NOT_FOUND", "SCHEMA_NOT_FOUND", "SUBJECT_LEVEL_CONFIG_NOT_FOUND"]

# Confluent's error codes the client and converter look at.
SUBJECT_NOT_FOUND = 40401
VERSION_NOT_FOUND = 40402
SCHEMA_NOT_FOUND = 40403
SUBJECT_LEVEL_CONFIG_NOT_FOUND = 40408


class SchemaRegistryError(ConnectError):
    """The registry answered with an error, or could not be reached.

    ``status_code`` is the HTTP status (None when no answer came), ``error_code`` Confluent's
    code from the body (``40403`` …; None when the body had none), ``message`` the registry's
    own text and ``url`` the request URL without credentials.
    """

    def __init__(self, message: str, status_code: int | None = None, error_code: int | None = None,
                 url: str | None = None, method: str | None = None):
        self.message = message
        self.status_code = status_code
        self.error_code = error_code
        self.url = redact_url(url) if url else url
        self.method = method
        super().__init__(self._render())

    def _render(self) -> str:
        text = self.message
        if self.error_code is not None:
            text += f"; error code: {self.error_code}"
        if self.status_code is not None and self.url:
            text += f" (HTTP {self.status_code} from {self.method or 'GET'} {self.url})"
        return text

    @property
    def not_found(self) -> bool:
        return self.status_code == 404


class SchemaRegistryUnavailableError(SchemaRegistryError, RetriableError):
    """No registry URL answered (connection errors or 5xx) after every retry.

    Deliberately not a DataError: the record is fine, the registry is not, and a converter must
    not let such a record be skipped or written without a schema id.
    """


def parse_error_body(status: int, body: bytes | str, reason: str = "") -> tuple[int | None, str]:
    """``(error_code, message)`` from an error response; tolerant of non-JSON bodies (proxies)."""
    try:
        doc: Any = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        doc = None
    if isinstance(doc, dict):
        code = doc.get("error_code")
        message = doc.get("message")
        if isinstance(code, bool) or not isinstance(code, int):
            code = None
        if isinstance(message, str) and message:
            return code, message
        if code is not None:
            return code, reason or f"HTTP {status}"
    text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else (body or "")
    text = " ".join(text.split())[:300]
    return None, text or reason or f"HTTP {status}"


def redact_url(url: str) -> str:
    """The URL without ``user:password@`` (kept as ``***@`` so it is clear credentials were set)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, "***@" + host, parts.path, parts.query, parts.fragment))
