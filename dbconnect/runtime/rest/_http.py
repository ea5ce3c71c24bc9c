"""HTTP plumbing shared by the REST resources: the JSON response class, the error mapping,
request-body parsing and the small coercions Kafka's Jackson/Jersey stack applies.

Every error leaves the REST layer as ``{"error_code": <int>, "message": <str>}``
(Kafka's ``ErrorMessage``). Resources raise ``dbconnect.api.errors.RestError`` subclasses;
``ConnectRoute`` maps them (and any other exception, as a 500) onto that body.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from collections.abc import Mapping
from typing import Annotated, Any

import orjson
from fastapi import Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from dbconnect.api.errors import BadRequestError, NotFoundError, RestError
from dbconnect.runtime.herder import Herder
from dbconnect.runtime.rest.entities import ErrorMessage

log = logging.getLogger("dbconnect.runtime.rest")

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


# -- errors ------------------------------------------------------------------------------------


def error_response(status_code: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return json_response({"error_code": status_code, "message": message}, status_code, headers)


def http_status_message(status_code: int) -> str:
    """Jersey's message for a bare WebApplicationException: ``HTTP 404 Not Found``."""
    try:
        phrase = HTTPStatus(status_code).phrase
    except ValueError:
        phrase = ""
    return f"HTTP {status_code} {phrase}".rstrip()


def rest_error_response(exc: RestError) -> Response:
    return error_response(exc.status_code, exc.message)


def internal_error_response(request: Request, exc: BaseException) -> Response:
    # Log the stack trace (never the request body); answer only the message.
    log.error("Uncaught exception in REST call to %s %s", request.method, request.url.path, exc_info=exc)
    message = str(exc) or type(exc).__name__
    return error_response(500, message)


def http_exception_response(exc: StarletteHTTPException) -> Response:
    """Router-level errors (unknown route 404, wrong method 405) in Kafka's shape."""
    default_phrase = _phrase(exc.status_code)
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


def _phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return ""


class ConnectRoute(APIRoute):
    """An APIRoute whose handler turns every exception into Kafka's error body.

    ``RestError`` subclasses answer their ``status_code``; any other exception is logged and
    answered as 500 with its message. Framework exceptions (HTTPException, request validation)
    go on to the app's exception handlers.
    """

    def get_route_handler(self):  # type: ignore[override]
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await inner(request)
            except (StarletteHTTPException, RequestValidationError):
                raise
            except RestError as exc:
                return rest_error_response(exc)
            except Exception as exc:  # noqa: BLE001 - every failure must become a JSON body
                return internal_error_response(request, exc)

        return handler


# -- request bodies ----------------------------------------------------------------------------


async def json_body(request: Request) -> Any:
    """The request body parsed as JSON; None when the body is empty.

    Malformed JSON is a 400 naming the parse problem. Used as a FastAPI dependency so that the
    (synchronous) handlers still run in the threadpool.
    """
    raw = await request.body()
    if not raw or not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"Malformed JSON in request body: {exc}") from None


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def scalar_to_string(value: Any) -> str | None:
    """Jackson's coercion of a JSON scalar into a Java String; None for non-scalars."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return repr(value)
    return None


def config_map(body: Any, *, allow_null: bool = False, what: str = "connector configuration") -> dict[str, Any]:
    """Coerce a request body into Kafka's ``Map<String, String>``.

    Strings pass through; numbers and booleans become their string form (``true`` → ``"true"``);
    ``null`` is kept (as None) only when ``allow_null`` (PATCH, where it deletes the key);
    objects and arrays are a 400.
    """
    if body is None:
        raise BadRequestError(f"Request body must contain the {what} as a JSON object")
    if not isinstance(body, dict):
        raise BadRequestError(f"The {what} must be a JSON object, not {json_type(body)}")
    out: dict[str, Any] = {}
    for key, value in body.items():
        if value is None:
            if not allow_null:
                raise BadRequestError(
                    f"Invalid value for configuration '{key}': null is only allowed when patching a configuration"
                )
            out[key] = None
            continue
        text = scalar_to_string(value)
        if text is None:
            raise BadRequestError(
                f"Invalid value for configuration '{key}': expected a string, number or boolean, "
                f"not {json_type(value)}"
            )
        out[key] = text
    return out


def parse_bool(value: str | None, default: bool) -> bool:
    """JAX-RS ``Boolean.valueOf``: only a case-insensitive ``true`` is true."""
    if value is None:
        return default
    return value.strip().lower() == "true"


_INT_RE = re.compile(r"[+-]?[0-9]+")


def parse_task_id(value: str) -> int:
    """A task id path segment as an int; anything else is a 404 like Jersey's ``@PathParam Integer``."""
    if not _INT_RE.fullmatch(value):
        raise NotFoundError(http_status_message(404))
    number = int(value)
    if not -(2**31) <= number < 2**31:
        raise NotFoundError(http_status_message(404))
    return number


def json_request_body(description: str, schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    """``openapi_extra`` documenting a body read through ``json_body``."""
    return {
        "requestBody": {
            "description": description,
            "required": required,
            "content": {JSON_MEDIA_TYPE: {"schema": schema}},
        }
    }


#: A request's ``Map<String, String>``: numbers and booleans are accepted as their string form.
STRING_MAP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": ["string", "number", "boolean"]},
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error codes a route can answer, each an ErrorMessage.

    500 is added to every list: any failure the herder does not map is answered 500 (ConnectRoute).
    """
    return {code: {"description": _phrase(code), "model": ErrorMessage} for code in sorted({*codes, 500})}


def no_content(description: str) -> dict[str, Any]:
    """An OpenAPI ``responses`` entry for an answer without a body (202, 204)."""
    return {"description": description}


# -- path parameters ----------------------------------------------------------------------------

#: A path segment: routing splits on '/', so a name containing one can never reach a route (POST
#: refuses such connector names). Declared so that /openapi.json says which names are addressable.
SEGMENT_PATTERN = r"^[^/]+$"

ConnectorName = Annotated[str, Path(description="The connector's name", pattern=SEGMENT_PATTERN)]
TaskId = Annotated[str, Path(description="The task's id, an integer (anything else is a 404)", pattern=SEGMENT_PATTERN)]
PluginName = Annotated[str, Path(description="The plugin's class name or alias", pattern=SEGMENT_PATTERN)]
LoggerName = Annotated[str, Path(description="The logger's name (root: `root`)", pattern=SEGMENT_PATTERN)]


# -- dependencies --------------------------------------------------------------------------------


async def app_herder(request: Request) -> Herder:
    """The app's Herder (``create_app`` puts it on ``app.state``); async so it costs no thread hop."""
    return request.app.state.herder
