"""``/connectors/{connector}/offsets`` (KIP-875): the offsets part of Kafka's ConnectorsResource."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from starlette.responses import Response

from dbconnect.api.errors import BadRequestError
from dbconnect.runtime.herder import Herder
from dbconnect.runtime.herder_entities import ConnectorOffsets, Message
from dbconnect.runtime.rest._http import (
    ConnectRoute,
    ConnectorName,
    app_herder,
    error_responses,
    json_body,
    json_request_body,
    json_response,
    json_type,
)

_OFFSETS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "offsets": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "partition": {"type": "object"},
                    "offset": {"type": ["object", "null"]},
                },
            },
        }
    },
}

router = APIRouter(prefix="/connectors/{connector}/offsets", tags=["connectors"], route_class=ConnectRoute)


def alter_request(body: Any) -> list[dict[str, Any]]:
    """``PATCH``'s body as the list of ``{"partition", "offset"}`` entries; a 400 for any other shape."""
    if body is not None and not isinstance(body, dict):
        raise BadRequestError(f"Request body must be a JSON object, not {json_type(body)}")
    entries = body.get("offsets") if body else None
    if entries is not None and not isinstance(entries, list):
        raise BadRequestError(f"'offsets' must be a JSON array, not {json_type(entries)}")
    if not entries:
        raise BadRequestError("Partitions / offsets need to be provided for an alter offsets request")
    offsets = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise BadRequestError(f"Each entry of 'offsets' must be a JSON object, not {json_type(entry)}")
        partition, offset = entry.get("partition"), entry.get("offset")
        for field, value in (("partition", partition), ("offset", offset)):
            if value is not None and not isinstance(value, dict):
                raise BadRequestError(f"The '{field}' of an offset entry must be a JSON object, not {json_type(value)}")
        offsets.append({"partition": partition, "offset": offset})
    return offsets


@router.get(
    "",
    summary="Get the current offsets for the specified connector",
    response_model=ConnectorOffsets,
    responses=error_responses(404, 409),
)
def get_offsets(connector: ConnectorName, herder: Herder = Depends(app_herder)) -> Response:
    return json_response(herder.connector_offsets(connector))


@router.patch(
    "",
    summary="Alter the offsets for the specified connector",
    description="The connector must be STOPPED. A null offset removes the offset for that partition.",
    response_model=Message,
    responses=error_responses(400, 404, 409),
    openapi_extra=json_request_body("The offsets to write", _OFFSETS_SCHEMA),
)
def alter_offsets(connector: ConnectorName, body: Any = Depends(json_body), herder: Herder = Depends(app_herder)) -> Response:
    return json_response(herder.alter_connector_offsets(connector, alter_request(body)))


@router.delete(
    "",
    summary="Reset the offsets for the specified connector",
    description="The connector must be STOPPED.",
    response_model=Message,
    responses=error_responses(400, 404, 409),
)
def reset_offsets(connector: ConnectorName, herder: Herder = Depends(app_herder)) -> Response:
    return json_response(herder.reset_connector_offsets(connector))
