"""``/connectors/{connector}/tasks``: the task part of Kafka's ConnectorsResource."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from dbconnect.api.errors import BadRequestError

from dbconnect.runtime.herder import Herder
from dbconnect.runtime.herder_entities import TaskInfo, TaskState
from dbconnect.runtime.rest._http import (
    ConnectRoute,
    ConnectorName,
    TaskId,
    app_herder,
    empty_response,
    error_responses,
    json_response,
    parse_task_id,
)

router = APIRouter(prefix="/connectors/{connector}/tasks", tags=["connectors"], route_class=ConnectRoute)


@router.get(
    "",
    summary="List all tasks and their configurations for the specified connector",
    response_model=list[TaskInfo],
    responses=error_responses(404, 409),
)
def get_task_configs(connector: ConnectorName, herder: Herder = Depends(app_herder)) -> Response:
    return json_response(herder.task_configs(connector))


@router.get(
    "/{task}/status",
    summary="Get the state of the specified task for the specified connector",
    description="`trace` appears only on a FAILED task. A task id that is not an integer is a 404.",
    response_model=TaskState,
    responses=error_responses(404),
)
def get_task_status(connector: ConnectorName, task: TaskId, herder: Herder = Depends(app_herder)) -> Response:
    return json_response(herder.task_status(connector, parse_task_id(task)))


@router.post(
    "/{task}/restart",
    summary="Restart the specified task for the specified connector",
    status_code=204,
    responses=error_responses(404, 409),
)
def restart_task(connector: ConnectorName, task: TaskId, herder: Herder = Depends(app_herder)) -> Response:
    herder.restart_task(connector, parse_task_id(task))
    return empty_response(204)


@router.post("", include_in_schema=False, status_code=204)
async def put_task_configs(connector: ConnectorName, request: Request, herder: Herder = Depends(app_herder)) -> Response:
    """Internal (between the workers of a cluster, Kafka's InternalClusterResource): the worker
    that runs ``connector`` hands its task configs to the leader, signed with the session key."""
    body = await request.body()
    try:
        configs = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(f"Malformed JSON in request body: {exc}") from None
    if not isinstance(configs, list) or not all(isinstance(c, dict) for c in configs):
        raise BadRequestError("The task configs must be a JSON array of objects")
    tasks = [{str(k): str(v) for k, v in c.items()} for c in configs]
    await run_in_threadpool(herder.put_task_configs, connector, tasks, body, dict(request.headers))
    return empty_response(204)
