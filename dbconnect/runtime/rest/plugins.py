"""``/connector-plugins``: Kafka's ConnectorPluginsResource, translated into Herder calls."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from dbconnect.runtime.herder import Herder
from dbconnect.runtime.herder_entities import ConfigInfos, ConfigKeyInfo, PluginInfo
from dbconnect.runtime.rest._http import (
    STRING_MAP_SCHEMA,
    ConnectRoute,
    PluginName,
    app_herder,
    config_map,
    error_responses,
    json_body,
    json_request_body,
    json_response,
    parse_bool,
)

router = APIRouter(prefix="/connector-plugins", tags=["connector-plugins"], route_class=ConnectRoute)


@router.get(
    "",
    summary="List all connector plugins installed",
    response_model=list[PluginInfo],
    responses=error_responses(),
)
def list_connector_plugins(
    herder: Herder = Depends(app_herder),
    connectorsOnly: str | None = Query(  # noqa: N803 - Kafka's parameter name
        None, description="Whether to list only connectors instead of all plugins (true|false, default true)"
    ),
) -> Response:
    return json_response(herder.connector_plugins(connectors_only=parse_bool(connectorsOnly, True)))


@router.get(
    "/{plugin}/config",
    summary="Get the configuration definition for the specified plugin",
    response_model=list[ConfigKeyInfo],
    responses=error_responses(404),
)
def get_plugin_config(plugin: PluginName, herder: Herder = Depends(app_herder)) -> Response:
    return json_response(herder.plugin_config(plugin))


@router.put(
    "/{plugin}/config/validate",
    summary="Validate the provided configuration against the configuration definition for the specified plugin",
    description="Answers 200 with the validation result even when the configuration is invalid. "
    "A plugin name containing '/' matches no route (404).",
    response_model=ConfigInfos,
    responses=error_responses(400, 404),
    openapi_extra=json_request_body("The connector configuration to validate", STRING_MAP_SCHEMA),
)
def validate_configs(plugin: PluginName, body: Any = Depends(json_body), herder: Herder = Depends(app_herder)) -> Response:
    config = config_map(body)
    return json_response(herder.validate_connector_config(plugin, config))
