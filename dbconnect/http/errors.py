"""HTTP statuses for errors: ``RestError`` carries one; ``http_status`` maps the API's plain errors.

The errors a herder raises (``dbconnect.api.errors``: ``NotFoundError``, ``BadRequestError``, …)
know nothing of HTTP, like Kafka's connect-api exceptions; this table is where the REST layer gives
them their status, as Kafka's ``ConnectExceptionMapper`` does.
"""

from __future__ import annotations

from dbconnect.api.errors import (
    AlreadyExistsError,
    BadRequestError,
    ConflictError,
    ConnectError,
    ForbiddenError,
    NotFoundError,
    RequestTimeoutError,
)


class RestError(ConnectError):
    """An error with an HTTP status, answered as ``{"error_code": status, "message": …}``
    (Kafka's ConnectRestException)."""

    status_code = 500

    def __init__(self, message: str, status_code: int | None = None):
        super().__init__(message)
        if status_code is not None:
            self.status_code = status_code

    @property
    def message(self) -> str:
        return str(self)


# Most specific first: isinstance picks the first match, and a subclass of one of these (a
# plugin's own NotFoundError subclass) answers its base's status.
_STATUSES: tuple[tuple[type[BaseException], int], ...] = (
    (BadRequestError, 400),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (AlreadyExistsError, 409),
    (ConflictError, 409),
    # Kafka answers a request that timed out inside the worker with 500 as well.
    (RequestTimeoutError, 500),
)


def http_status(exc: BaseException) -> int | None:
    """The status ``exc`` is answered with, or None for an unexpected error (logged, then 500)."""
    if isinstance(exc, RestError):
        return exc.status_code
    for cls, status in _STATUSES:
        if isinstance(exc, cls):
            return status
    return None
