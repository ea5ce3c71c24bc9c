"""JSON responses and the ``{"error_code", "message"}`` error bodies both HTTP apps answer.

Kafka's REST API and Confluent's registry answer every error with a JSON body (Kafka's
``ErrorMessage``), never a stack trace; the messages for bare statuses are Jersey's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from ..api.masking import mask_text

JSON_MEDIA_TYPE = "application/json"


class OrjsonResponse(JSONResponse):
    """A JSON response rendered with orjson (compact, like Jackson's default output)."""

    media_type = JSON_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def json_response(content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return OrjsonResponse(content, status_code=status_code, headers=dict(headers) if headers else None)


def empty_response(status_code: int) -> Response:
    """A response without a body (202 Accepted, 204 No Content)."""
    return Response(status_code=status_code)


def error_response(status_code: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    # Secrets never shown: an error that quotes a DSN or a known secret value is masked (api/masking.py).
    return json_response({"error_code": status_code, "message": mask_text(message)}, status_code, headers)


def status_phrase(status_code: int) -> str:
    """``Not Found`` for 404; empty for a status HTTP does not name."""
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return ""


def http_status_message(status_code: int) -> str:
    """Jersey's message for a bare WebApplicationException: ``HTTP 404 Not Found``."""
    return f"HTTP {status_code} {status_phrase(status_code)}".rstrip()


def internal_error_response(request: Request, exc: BaseException, log: logging.Logger) -> Response:
    # Log the stack trace (never the request body); answer only the message.
    log.error("Uncaught exception in REST call to %s %s", request.method, request.url.path, exc_info=exc)
    message = str(exc) or type(exc).__name__
    return error_response(500, message)


def http_exception_response(exc: StarletteHTTPException) -> Response:
    """Router-level errors (unknown route 404, wrong method 405) in Kafka's shape."""
    default_phrase = status_phrase(exc.status_code)
    if exc.detail and exc.detail != default_phrase:
        message = str(exc.detail)
    else:
        message = http_status_message(exc.status_code)
    headers = getattr(exc, "headers", None)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=headers)
    return error_response(exc.status_code, message, headers)


def validation_error_response(exc: RequestValidationError) -> Response:
    """FastAPI's request validation errors become 400 (Kafka never answers 422)."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        msg = err.get("msg", "invalid value")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return error_response(400, "Invalid request: " + ("; ".join(parts) or "malformed request"))
