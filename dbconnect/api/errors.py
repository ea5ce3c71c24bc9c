"""The exception hierarchy shared by connectors, converters, the worker and the REST layer.

Mirrors org.apache.kafka.connect.errors: connector authors raise ``ConnectError`` (or a
subclass). Nothing here knows HTTP: the REST layer maps these errors onto statuses and
``{"error_code", "message"}`` bodies (``dbconnect.http.errors``); ``RestError``, the error that
carries an HTTP status, moved there.
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


# The errors a herder answers a request with. Plain ConnectErrors, as Kafka's connect-api has
# NotFoundException and AlreadyExistsException: they say what went wrong, not how HTTP answers it.
# The REST layer gives each its status (dbconnect.http.errors.http_status: 400, 403, 404, 409,
# 409, 500); an error that carries its own status is dbconnect.http.RestError.


class BadRequestError(ConnectError):
    """The request is invalid: a config that does not validate, a name that does not match."""


class ForbiddenError(ConnectError):
    """The worker's configuration forbids the operation (topic tracking disabled)."""


class NotFoundError(ConnectError):
    """The connector, task or plugin named does not exist (NotFoundException)."""


class AlreadyExistsError(ConnectError):
    """A connector of that name exists already (AlreadyExistsException)."""


class ConflictError(ConnectError):
    """The operation conflicts with one in progress (a rebalance)."""


class RequestTimeoutError(ConnectError):
    """The worker did not complete the request in time."""
