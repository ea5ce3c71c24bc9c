"""``GET /metrics`` (Prometheus text format) and ``GET /metrics/summary`` (JSON for the status page).

Both read the worker's ``WorkerMetrics`` (runtime/metrics.py); REST authentication applies as to
every route. See docs/metrics.md.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from dbconnect.api.errors import BadRequestError, NotFoundError
from dbconnect.runtime.herder import Herder
from dbconnect.runtime.rest import cluster_summary
from dbconnect.runtime.rest._http import ConnectRoute, app_herder, error_responses, json_response

router = APIRouter(tags=["metrics"], route_class=ConnectRoute)

TASK_SUMMARY = {
    "type": "object",
    "properties": {
        "records_in_total": {"type": "integer"}, "records_out_total": {"type": "integer"},
        "records_in_per_second": {"type": "number"}, "records_out_per_second": {"type": "number"},
        "record_errors_total": {"type": "integer"}, "lag_seconds": {"type": ["number", "null"]},
        "updated": {"type": "number"},
        "worker_id": {"type": "string", "description": "scope=cluster only: the worker that runs the task"},
    },
}
SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["worker_id", "time", "connectors"],
    "properties": {
        "worker_id": {"type": "string"},
        "time": {"type": "number", "description": "seconds since the epoch"},
        "connectors": {"type": "object", "additionalProperties": {
            "type": "object",
            "properties": {
                "state": {"type": ["string", "null"]}, "type": {"type": ["string", "null"]},
                "records_in_total": {"type": "integer"}, "records_out_total": {"type": "integer"},
                "records_in_per_second": {"type": "number"}, "records_out_per_second": {"type": "number"},
                "record_errors_total": {"type": "integer"}, "lag_seconds": {"type": ["number", "null"]},
                "tasks": {"type": "object", "additionalProperties": TASK_SUMMARY},
            },
        }},
        "scope": {"type": "string", "enum": ["cluster"], "description": "scope=cluster only"},
        "workers": {"type": "array", "items": {"type": "string"},
                    "description": "scope=cluster only: the workers whose figures are included"},
        "unreachable": {"type": "array", "description": "scope=cluster only: workers that did not answer",
                        "items": {"type": "object", "properties": {
                            "worker_id": {"type": "string"}, "url": {"type": "string"},
                            "error": {"type": "string"}}}},
    },
}
SCOPES = ("worker", "cluster")


def worker_metrics(herder: Herder) -> Any:
    metrics = getattr(getattr(herder, "worker", None), "metrics", None)
    if metrics is None:
        raise NotFoundError("This worker has no metrics")
    return metrics


@router.get(
    "/metrics",
    summary="The worker's metrics in Prometheus text format (Kafka Connect's metric names)",
    response_class=Response,
    responses={200: {"description": "Prometheus text exposition format",
                     "content": {"text/plain": {"schema": {"type": "string"}}}}, **error_responses(404)},
)
def metrics(herder: Herder = Depends(app_herder)) -> Response:
    registry = worker_metrics(herder).registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.get(
    "/metrics/summary",
    summary="Per connector throughput, errors and lag, for the status page",
    description="Without `scope` (or `scope=worker`): the tasks this worker runs. `scope=cluster`: every "
                "live worker of the group asked in parallel and merged per connector; a worker that does not "
                "answer is listed under `unreachable`.",
    response_class=Response,
    responses={200: {"description": "Per connector and task figures",
                     "content": {"application/json": {"schema": SUMMARY_SCHEMA}}}, **error_responses(400, 404)},
)
def metrics_summary(request: Request, scope: str | None = None, herder: Herder = Depends(app_herder)) -> Response:
    if scope is not None and scope not in SCOPES:
        raise BadRequestError(f"Invalid scope {scope!r}; it must be one of {', '.join(SCOPES)}")
    own = worker_metrics(herder).summary()
    if scope != "cluster":
        return json_response(own)
    fetch = cluster_summary.summary_fetcher(request.app.state.peers)
    return json_response(cluster_summary.gather(own, herder.cluster_worker_urls(), request.headers, fetch))
