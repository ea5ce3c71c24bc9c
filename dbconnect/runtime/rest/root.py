"""``/`` and ``/health``: Kafka's RootResource."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from dbconnect.runtime.herder import Herder
from dbconnect.runtime.rest._http import ConnectRoute, app_herder, error_responses, json_response
from dbconnect.runtime.rest.entities import HealthStatus, ServerInfo

log = logging.getLogger(__name__)

HEALTHY_MESSAGE = "Worker has completed startup and is ready to handle requests."
STARTING_MESSAGE = "Worker is still starting up."
UNHEALTHY_MESSAGE = "Worker was unable to handle this request and may be unable to handle other requests."

router = APIRouter(tags=["root"], route_class=ConnectRoute)


@router.get(
    "/",
    summary="Get details about this Connect worker and the ID of its Kafka cluster",
    response_model=ServerInfo,
    responses=error_responses(),
)
def server_info(request: Request, herder: Herder = Depends(app_herder)) -> Response:
    state = request.app.state
    return json_response(
        ServerInfo(version=state.version, commit=state.commit, kafka_cluster_id=herder.kafka_cluster_id())
    )


@router.get(
    "/health",
    summary="Health check endpoint to verify worker readiness and liveness",
    response_model=HealthStatus,
    responses={503: {"description": "The worker is still starting up", "model": HealthStatus},
               500: {"description": "The worker is unhealthy", "model": HealthStatus}},
)
def health(herder: Herder = Depends(app_herder)) -> Response:
    try:
        ready = herder.is_ready()
    except Exception:  # noqa: BLE001 - a failing check is "unhealthy", not an error body
        log.exception("Health check failed")
        return json_response(HealthStatus(status="unhealthy", message=UNHEALTHY_MESSAGE), 500)
    if not ready:
        return json_response(HealthStatus(status="starting", message=STARTING_MESSAGE), 503)
    return json_response(HealthStatus(status="healthy", message=HEALTHY_MESSAGE))


@router.get("/connect-worker-instance", include_in_schema=False)
def worker_instance(herder: Herder = Depends(app_herder)) -> Response:
    """Internal: which worker process answers here (a distributed worker checks, at start, that its
    advertised URL reaches itself and not another worker advertising the same URL)."""
    return json_response({"instance": getattr(herder, "instance_id", None)})
