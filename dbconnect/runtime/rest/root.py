"""``/``, ``/health`` (Kafka's RootResource) and ``/admin/loggers`` (LoggingResource)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from dbconnect.api.errors import BadRequestError
from dbconnect.runtime.herder import Herder
from dbconnect.runtime.rest._http import (
    ConnectRoute,
    empty_response,
    error_responses,
    json_body,
    json_request_body,
    json_response,
    json_type,
)
from dbconnect.runtime.rest.loggers import WORKER_SCOPE, LoggerAdmin

log = logging.getLogger(__name__)

HEALTHY_MESSAGE = "Worker has completed startup and is ready to handle requests."
STARTING_MESSAGE = "Worker is still starting up."
UNHEALTHY_MESSAGE = "Worker was unable to handle this request and may be unable to handle other requests."


def build_root_router(herder: Herder, *, version: str, commit: str) -> APIRouter:
    router = APIRouter(tags=["root"], route_class=ConnectRoute)

    @router.get("/", summary="Get details about this Connect worker and the ID of its Kafka cluster")
    def server_info() -> Response:
        return json_response({"version": version, "commit": commit, "kafka_cluster_id": herder.kafka_cluster_id()})

    @router.get(
        "/health",
        summary="Health check endpoint to verify worker readiness and liveness",
        responses={503: {"description": "The worker is still starting up"},
                   500: {"description": "The worker is unhealthy"}},
    )
    def health() -> Response:
        try:
            ready = herder.is_ready()
        except Exception:  # noqa: BLE001 - a failing check is "unhealthy", not an error body
            log.exception("Health check failed")
            return json_response({"status": "unhealthy", "message": UNHEALTHY_MESSAGE}, 500)
        if not ready:
            return json_response({"status": "starting", "message": STARTING_MESSAGE}, 503)
        return json_response({"status": "healthy", "message": HEALTHY_MESSAGE})

    return router


def build_loggers_router(loggers: LoggerAdmin) -> APIRouter:
    router = APIRouter(prefix="/admin/loggers", tags=["admin"], route_class=ConnectRoute)

    @router.get("", summary="List the current loggers and their log levels")
    def list_loggers() -> Response:
        return json_response(loggers.loggers())

    @router.get("/{logger}", summary="Get the log level for the specified logger", responses=error_responses(404))
    def get_logger(logger: str) -> Response:
        return json_response(loggers.level(logger))

    @router.put(
        "/{logger}",
        summary="Set the log level for the specified logger",
        description="Applies to the logger and every logger under it. worker scope: 200 with the names of the "
        "loggers whose level changed; cluster scope: 204.",
        responses={204: {"description": "Applied (cluster scope)"}, **error_responses(400, 404)},
        openapi_extra=json_request_body(
            "The desired level: OFF, FATAL, ERROR, WARN, INFO, DEBUG, TRACE or ALL",
            {"type": "object", "properties": {"level": {"type": "string"}}, "required": ["level"]},
        ),
    )
    def set_level(
        logger: str,
        body: Any = Depends(json_body),
        scope: str = Query(WORKER_SCOPE, description="The scope of the change: worker or cluster"),
    ) -> Response:
        if body is not None and not isinstance(body, dict):
            raise BadRequestError(f"Request body must be a JSON object, not {json_type(body)}")
        level = (body or {}).get("level")
        if isinstance(level, (dict, list)):
            raise BadRequestError(f"The 'level' must be a string, not {json_type(level)}")
        if isinstance(level, bool):
            level = "true" if level else "false"
        changed = loggers.set_level(logger, level, scope)
        if changed is None:
            return empty_response(204)
        return json_response(changed)

    return router
