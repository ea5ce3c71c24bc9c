"""``/connectors`` and ``/connectors/{connector}``: Kafka's ConnectorsResource, less its tasks
(tasks.py) and offsets (offsets.py).

No state lives here: each route is one Herder call. ``?forward=`` (set by distributed workers that
forward a request to the leader or the owner) is read by ``forwarding.py``, never by a route.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from dbconnect.api.errors import BadRequestError, NotFoundError
from dbconnect.runtime.herder import Herder
from dbconnect.runtime.herder_entities import ActiveTopicsInfo, ConnectorInfo, ConnectorStateInfo
from dbconnect.runtime.rest._http import (
    STRING_MAP_SCHEMA,
    ConnectRoute,
    ConnectorName,
    app_herder,
    config_map,
    empty_response,
    error_responses,
    json_body,
    json_request_body,
    json_response,
    json_type,
    no_content,
    parse_bool,
    scalar_to_string,
)
from dbconnect.runtime.rest.entities import ConnectorExpansion, ConnectorList

log = logging.getLogger(__name__)

NAME_CONFIG = "name"
INITIAL_STATES = ("RUNNING", "PAUSED", "STOPPED")

_CREATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "config"],
    "properties": {
        # Jackson's coercions, which Kafka accepts too: a scalar name is its string form.
        "name": {"type": ["string", "number", "boolean"]},
        "config": STRING_MAP_SCHEMA,
        "initial_state": {"type": ["string", "null"], "description": "RUNNING, PAUSED or STOPPED, in any case"},
    },
}
_PATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
}

router = APIRouter(prefix="/connectors", tags=["connectors"], route_class=ConnectRoute)


def check_and_put_connector_config_name(connector_name: str, config: dict[str, Any]) -> None:
    """Kafka's ``checkAndPutConnectorConfigName``: a ``name`` in the config must match."""
    included = config.get(NAME_CONFIG)
    if included is not None:
        if included != connector_name:
            raise BadRequestError(
                f"Connector name configuration ({included}) doesn't match connector name in the URL ({connector_name})"
            )
    else:
        config[NAME_CONFIG] = connector_name


def empty_name_error() -> BadRequestError:
    # What Kafka's config validation (NonEmptyStringWithoutControlChars on ``name``) answers.
    return BadRequestError(
        "Connector configuration is invalid and contains the following 1 error(s):\n"
        "Invalid value  for configuration name: String may not be empty\n"
        "You can also find the above list of errors at the endpoint "
        "`/connector-plugins/{connectorType}/config/validate`"
    )


def connector_location(request: Request, name: str) -> str:
    """``Location`` as Jersey builds it: the base URI plus ``/connectors/<encoded name>``."""
    return str(request.base_url).rstrip("/") + "/connectors/" + quote(name, safe="")


def orjson_repr(value: Any) -> str:
    """A value as it appeared in the JSON body, for error messages."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return repr(value)


def create_request(body: Any) -> tuple[str, dict[str, Any], str | None]:
    """``POST /connectors``'s body as ``(name, config, initial_state)``, checked as Kafka does."""
    if body is None:
        raise BadRequestError("Request body must be a JSON object with the connector's name and config")
    if not isinstance(body, dict):
        raise BadRequestError(f"Request body must be a JSON object, not {json_type(body)}")

    raw_name = body.get("name")
    if raw_name is None:
        name = ""
    else:
        text = scalar_to_string(raw_name)
        if text is None:
            raise BadRequestError(f"The connector name must be a string, not {json_type(raw_name)}")
        name = text.strip()

    raw_config = body.get("config")
    if raw_config is None:
        raise BadRequestError("Connector configuration ('config') must be provided")
    config = config_map(raw_config)

    initial_state = body.get("initial_state")
    if initial_state is not None:
        if not isinstance(initial_state, str) or initial_state.upper() not in INITIAL_STATES:
            raise BadRequestError(
                f"Invalid initial_state {orjson_repr(initial_state)}; must be one of {', '.join(INITIAL_STATES)}"
            )
        initial_state = initial_state.upper()

    check_and_put_connector_config_name(name, config)
    if not name:
        raise empty_name_error()
    if "/" in name:
        raise BadRequestError("connector name should not contain '/'")
    return name, config, initial_state


# -- collection ---------------------------------------------------------------------------------


@router.get(
    "",
    summary="List all active connectors",
    description="Without `expand`: the connector names. With `expand=status` and/or `expand=info`: "
    "the expansions asked for, keyed by connector name.",
    response_model=ConnectorList,
    responses=error_responses(),
)
def list_connectors(
    herder: Herder = Depends(app_herder),
    expand: list[str] | None = Query(
        None, description="Optional details to expand: status, info (repeatable); others are ignored"
    ),
) -> Response:
    if expand is None:
        return json_response(herder.connectors())
    out: dict[str, ConnectorExpansion] = {}
    for name in herder.connectors():
        try:
            expansions = ConnectorExpansion()
            for expansion in expand:
                if expansion == "status":
                    expansions["status"] = herder.connector_status(name)
                elif expansion == "info":
                    expansions["info"] = herder.connector_info(name)
                else:
                    log.info("Ignoring unknown expansion type %s", expansion)
            out[name] = expansions
        except NotFoundError:
            # Removed while we looked it up: leave it out.
            log.debug("Unable to get connector info for %s on this worker", name)
    return json_response(out)


@router.post(
    "",
    summary="Create a new connector",
    status_code=201,
    response_model=ConnectorInfo,
    responses=error_responses(400, 409),
    openapi_extra=json_request_body("The connector's name, configuration and optional initial state", _CREATE_SCHEMA),
)
def create_connector(request: Request, body: Any = Depends(json_body), herder: Herder = Depends(app_herder)) -> Response:
    name, config, initial_state = create_request(body)
    _created, info = herder.put_connector_config(name, config, allow_replace=False, initial_state=initial_state)
    return json_response(info, 201, {"Location": connector_location(request, name)})


# -- one connector ------------------------------------------------------------------------------


@router.get(
    "/{connector}",
    summary="Get the details for the specified connector",
    response_model=ConnectorInfo,
    responses=error_responses(404, 409),
)
def get_connector(connector: ConnectorName, herder: Herder = Depends(app_herder)) -> Response:
    return json_response(herder.connector_info(connector))


@router.delete(
    "/{connector}",
    summary="Delete the specified connector",
    status_code=204,
    responses=error_responses(404, 409),
)
def delete_connector(connector: ConnectorName, herder: Herder = Depends(app_herder)) -> Response:
    herder.delete_connector(connector)
    return empty_response(204)


@router.get(
    "/{connector}/config",
    summary="Get the configuration for the specified connector",
    response_model=dict[str, str],
    responses=error_responses(404, 409),
)
def get_connector_config(connector: ConnectorName, herder: Herder = Depends(app_herder)) -> Response:
    return json_response(herder.connector_config(connector))


@router.put(
    "/{connector}/config",
    summary="Create or reconfigure the specified connector",
    description="201 when the connector was created, 200 when an existing one was reconfigured.",
    response_model=ConnectorInfo,
    responses={201: {"description": "Created", "model": ConnectorInfo}, **error_responses(400, 409)},
    openapi_extra=json_request_body("The full connector configuration", STRING_MAP_SCHEMA),
)
def put_connector_config(
    connector: ConnectorName, request: Request, body: Any = Depends(json_body), herder: Herder = Depends(app_herder)
) -> Response:
    config = config_map(body)
    check_and_put_connector_config_name(connector, config)
    created, info = herder.put_connector_config(connector, config, allow_replace=True)
    if created:
        return json_response(info, 201, {"Location": connector_location(request, connector)})
    return json_response(info)


@router.patch(
    "/{connector}/config",
    summary="Patch the configuration for the specified connector",
    description="Properties with non-null values are updated or added; properties with null values are removed.",
    response_model=ConnectorInfo,
    responses=error_responses(400, 404, 409),
    openapi_extra=json_request_body("The configuration patch", _PATCH_SCHEMA),
)
def patch_connector_config(
    connector: ConnectorName, body: Any = Depends(json_body), herder: Herder = Depends(app_herder)
) -> Response:
    patch = config_map(body, allow_null=True, what="connector configuration patch")
    return json_response(herder.patch_connector_config(connector, patch))


@router.get(
    "/{connector}/status",
    summary="Get the status for the specified connector",
    description="`trace` appears only on a FAILED connector or task.",
    response_model=ConnectorStateInfo,
    responses=error_responses(404),
)
def get_connector_status(connector: ConnectorName, herder: Herder = Depends(app_herder)) -> Response:
    return json_response(herder.connector_status(connector))


@router.get(
    "/{connector}/topics",
    summary="Get the list of topics actively used by the specified connector",
    response_model=ActiveTopicsInfo,
    responses=error_responses(403, 404),
)
def get_connector_active_topics(connector: ConnectorName, herder: Herder = Depends(app_herder)) -> Response:
    return json_response(herder.connector_active_topics(connector))


@router.put(
    "/{connector}/topics/reset",
    summary="Reset the list of topics actively used by the specified connector",
    status_code=202,
    response_class=Response,
    responses={202: no_content("Reset accepted"), **error_responses(403, 404)},
)
def reset_connector_active_topics(connector: ConnectorName, herder: Herder = Depends(app_herder)) -> Response:
    herder.reset_connector_active_topics(connector)
    return empty_response(202)


# -- lifecycle ----------------------------------------------------------------------------------


@router.post(
    "/{connector}/restart",
    summary="Restart the specified connector",
    status_code=202,
    description="Both flags false: restarts the connector instance only (204). "
    "Otherwise 202 with the connector state, the instances to restart shown as RESTARTING.",
    response_model=ConnectorStateInfo,
    responses={202: {"description": "Restart accepted"}, 204: no_content("Restarted"),
               **error_responses(400, 404, 409)},
)
def restart_connector(
    connector: ConnectorName,
    herder: Herder = Depends(app_herder),
    includeTasks: str | None = Query(None, description="Whether to also restart tasks (true|false)"),  # noqa: N803
    onlyFailed: str | None = Query(None, description="Whether to only restart failed instances (true|false)"),  # noqa: N803
) -> Response:
    include_tasks = parse_bool(includeTasks, False)
    only_failed = parse_bool(onlyFailed, False)
    result = herder.restart_connector(connector, include_tasks=include_tasks, only_failed=only_failed)
    if result is None:
        return empty_response(204)
    return json_response(result, 202)


@router.put(
    "/{connector}/stop",
    summary="Stop the specified connector",
    status_code=204,
    responses=error_responses(404, 409),
)
def stop_connector(connector: ConnectorName, herder: Herder = Depends(app_herder)) -> Response:
    herder.stop_connector(connector)
    return empty_response(204)


@router.put(
    "/{connector}/pause",
    summary="Pause the specified connector",
    status_code=202,
    response_class=Response,
    responses={202: no_content("Pause accepted"), **error_responses(404)},
)
def pause_connector(connector: ConnectorName, herder: Herder = Depends(app_herder)) -> Response:
    herder.pause_connector(connector)
    return empty_response(202)


@router.put(
    "/{connector}/resume",
    summary="Resume the specified connector",
    status_code=202,
    response_class=Response,
    responses={202: no_content("Resume accepted"), **error_responses(404)},
)
def resume_connector(connector: ConnectorName, herder: Herder = Depends(app_herder)) -> Response:
    herder.resume_connector(connector)
    return empty_response(202)
