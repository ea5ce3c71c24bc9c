"""The exception hierarchy shared by connectors, converters, the worker and the REST layer.

Mirrors org.apache.kafka.connect.errors: connector authors raise ``ConnectError`` (or a
subclass); the REST layer maps ``RestError`` subclasses onto ``{"error_code", "message"}``.
"""

from __future__ import annotations


class ConnectError(Exception):
    """Base of every error raised by the framework or a plugin (ConnectException)."""


class DataError(ConnectError):
    """A value does not match its schema, or bytes cannot be converted (DataException)."""


class ConfigError(ConnectError):
    """A configuration is missing or invalid (ConfigException).

    ``errors`` maps each offending key to its messages, when known.
    """

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.errors = errors or {}


class RetriableError(ConnectError):
    """A transient failure: the operation may succeed if retried (RetriableException)."""


class RestError(ConnectError):
    """An error with an HTTP status, answered as ``{"error_code": status, "message": …}``."""

    status_code = 500

    def __init__(self, message: str, status_code: int | None = None):
        super().__init__(message)
        if status_code is not None:
            self.status_code = status_code

    @property
    def message(self) -> str:
        return str(self)


class BadRequestError(RestError):
    status_code = 400


class ForbiddenError(RestError):
    status_code = 403


class NotFoundError(RestError):
    status_code = 404


class AlreadyExistsError(RestError):
    status_code = 409


class ConflictError(RestError):
    status_code = 409


class RequestTimeoutError(RestError):
    status_code = 500
