"""``GET /metrics`` (Prometheus text format) and ``GET /metrics/summary`` (JSON for the status page).

Both read the worker's ``WorkerMetrics`` (runtime/metrics.py); REST authentication applies as to
every route. See docs/metrics.md.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from dbconnect.api.errors import NotFoundError
from dbconnect.runtime.herder import Herder
from dbconnect.runtime.rest._http import ConnectRoute, app_herder, error_responses, json_response

router = APIRouter(tags=["metrics"], route_class=ConnectRoute)

TASK_SUMMARY = {
    "type": "object",
    "properties": {
        "records_in_total": {"type": "integer"}, "records_out_total": {"type": "integer"},
        "records_in_per_second": {"type": "number"}, "records_out_per_second": {"type": "number"},
        "record_errors_total": {"type": "integer"}, "lag_seconds": {"type": ["number", "null"]},
        "updated": {"type": "number"},
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
    },
}


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
    response_class=Response,
    responses={200: {"description": "Per connector and task figures",
                     "content": {"application/json": {"schema": SUMMARY_SCHEMA}}}, **error_responses(404)},
)
def metrics_summary(herder: Herder = Depends(app_herder)) -> Response:
    return json_response(worker_metrics(herder).summary())
