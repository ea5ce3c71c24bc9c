"""HTTP plumbing of the Connect REST resources: Kafka's error mapping, request-body parsing,
the OpenAPI helpers and path parameters, over the shared ``dbconnect.http``.

Every error leaves the REST layer as ``{"error_code": <int>, "message": <str>}``
(Kafka's ``ErrorMessage``). Resources and the herder raise ``dbconnect.api.errors`` (plain,
like Kafka's connect-api exceptions) or ``dbconnect.http.RestError``; ``ConnectRoute`` answers
each with its ``dbconnect.http.http_status`` (and any other exception, logged, as a 500).
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

import orjson
from fastapi import Path, Request
from starlette.responses import Response

from dbconnect.api.errors import BadRequestError, NotFoundError
from dbconnect.http.errors import RestError, http_status
from dbconnect.http.requests import json_type, parse_bool, scalar_to_string
from dbconnect.http.responses import (
    JSON_MEDIA_TYPE,
    OrjsonResponse,
    empty_response,
    error_response,
    http_exception_response,
    http_status_message,
    json_response,
    status_phrase,
    validation_error_response,
)
from dbconnect.http.responses import internal_error_response as _internal_error_response
from dbconnect.http.routes import ErrorMappingRoute
from dbconnect.runtime.herder import Herder, RequestTargetError
from dbconnect.runtime.rest.entities import ErrorMessage
from dbconnect.runtime.rest.forwarding import forward_request

# The REST resources' siblings import these from here; they live in dbconnect.http.
__all__ = [
    "JSON_MEDIA_TYPE", "OrjsonResponse", "RestError", "empty_response", "error_response",
    "http_exception_response", "http_status_message", "json_response", "json_type", "parse_bool",
    "scalar_to_string", "validation_error_response",
]

log = logging.getLogger("dbconnect.runtime.rest")


def rest_error_response(exc: RestError) -> Response:
    return error_response(exc.status_code, exc.message)


def internal_error_response(request: Request, exc: BaseException) -> Response:
    return _internal_error_response(request, exc, log)


class ConnectRoute(ErrorMappingRoute):
    """The Connect REST API's route: every exception becomes Kafka's error body.

    Errors with a status (``http_status``: the API's plain errors, ``RestError``) answer it;
    any other exception is logged and answered as 500 with its message.
    """

    def known_error(self, exc: Exception) -> Response | None:
        status = http_status(exc)
        return None if status is None else error_response(status, str(exc))

    def unexpected_error(self, request: Request, exc: Exception) -> Response:
        return internal_error_response(request, exc)

    async def forwarded(self, request: Request, exc: Exception) -> Response | None:
        # Distributed mode: another worker serves it (the leader, the task's owner).
        if not isinstance(exc, RequestTargetError):
            return None
        return await forward_request(request, exc)


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
    return {code: {"description": status_phrase(code), "model": ErrorMessage} for code in sorted({*codes, 500})}


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
