"""A Herder in memory for the REST unit tests, and the helpers they share (their fixtures are in conftest.py)."""

from __future__ import annotations

import logging
from typing import Any, Mapping

import httpx
from fastapi.testclient import TestClient

from dbconnect.api.errors import AlreadyExistsError, BadRequestError, ForbiddenError, NotFoundError
from dbconnect.runtime.herder import Herder
from dbconnect.runtime.rest import LoggerAdmin

WORKER_ID = "127.0.0.1:8083"


class FakeHerder(Herder):
    """Dict-backed Herder: one task per connector, statuses derived from a target state."""

    def __init__(self) -> None:
        self.configs: dict[str, dict[str, str]] = {}
        self.states: dict[str, str] = {}
        self.offsets: dict[str, list[dict[str, Any]]] = {}
        self.ready = True
        self.topic_tracking = True
        self.topic_reset = True
        self.calls: list[tuple] = []
        self.explode: BaseException | None = None

    # identity
    @property
    def worker_id(self) -> str:
        return WORKER_ID

    def kafka_cluster_id(self) -> str | None:
        return "cluster-1"

    def is_ready(self) -> bool:
        return self.ready

    # helpers
    def _require(self, name: str) -> None:
        if self.explode is not None:
            raise self.explode
        if name not in self.configs:
            raise NotFoundError(f"Connector {name} not found")

    def _info(self, name: str) -> dict[str, Any]:
        tasks = [] if self.states[name] == "STOPPED" else [{"connector": name, "task": 0}]
        return {"name": name, "config": dict(self.configs[name]), "tasks": tasks, "type": "source"}

    def _status(self, name: str, restarting: bool = False) -> dict[str, Any]:
        state = "RESTARTING" if restarting else self.states[name]
        tasks = [] if state == "STOPPED" else [{"id": 0, "state": state, "worker_id": WORKER_ID}]
        return {"name": name, "connector": {"state": state, "worker_id": WORKER_ID}, "tasks": tasks, "type": "source"}

    # connectors
    def connectors(self) -> list[str]:
        if self.explode is not None:
            raise self.explode
        return sorted(self.configs)

    def connector_info(self, name: str) -> dict[str, Any]:
        self._require(name)
        return self._info(name)

    def connector_config(self, name: str) -> dict[str, str]:
        self._require(name)
        return dict(self.configs[name])

    def put_connector_config(self, name, config, allow_replace, initial_state=None):
        self.calls.append(("put", name, dict(config), allow_replace, initial_state))
        exists = name in self.configs
        if exists and not allow_replace:
            raise AlreadyExistsError(f"Connector {name} already exists")
        if "connector.class" not in config:
            raise BadRequestError(
                "Connector configuration is invalid and contains the following 1 error(s):\n"
                'Missing required configuration "connector.class" which has no default value.\n'
                "You can also find the above list of errors at the endpoint "
                "`/connector-plugins/{connectorType}/config/validate`"
            )
        self.configs[name] = dict(config)
        if not exists:
            self.states[name] = initial_state or "RUNNING"
        return (not exists, self._info(name))

    def patch_connector_config(self, name, patch):
        self._require(name)
        self.calls.append(("patch", name, dict(patch)))
        merged = dict(self.configs[name])
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        self.configs[name] = merged
        return self._info(name)

    def delete_connector(self, name: str) -> None:
        self._require(name)
        del self.configs[name]
        del self.states[name]

    # status & tasks
    def connector_status(self, name: str) -> dict[str, Any]:
        if name not in self.configs:
            raise NotFoundError(f"No status found for connector {name}")
        return self._status(name)

    def task_status(self, name: str, task_id: int) -> dict[str, Any]:
        if name not in self.configs or task_id != 0:
            raise NotFoundError(f"No status found for task {name}-{task_id}")
        return {"id": 0, "state": self.states[name], "worker_id": WORKER_ID}

    def task_configs(self, name: str) -> list[dict[str, Any]]:
        self._require(name)
        return [{"id": {"connector": name, "task": 0}, "config": {"task.class": "Fake"}}]

    # lifecycle
    def restart_connector(self, name, include_tasks=False, only_failed=False):
        self._require(name)
        self.calls.append(("restart", name, include_tasks, only_failed))
        if not include_tasks and not only_failed:
            return None
        return self._status(name, restarting=True)

    def restart_task(self, name: str, task_id: int) -> None:
        if name not in self.configs or task_id != 0:
            raise NotFoundError(f"Task {name}-{task_id} not found")
        self.calls.append(("restart_task", name, task_id))

    def pause_connector(self, name: str) -> None:
        self._require(name)
        self.states[name] = "PAUSED"

    def resume_connector(self, name: str) -> None:
        self._require(name)
        self.states[name] = "RUNNING"

    def stop_connector(self, name: str) -> None:
        self._require(name)
        self.states[name] = "STOPPED"

    # offsets
    def connector_offsets(self, name: str) -> dict[str, Any]:
        self._require(name)
        return {"offsets": list(self.offsets.get(name, []))}

    def alter_connector_offsets(self, name, offsets):
        self._require(name)
        if self.states[name] != "STOPPED":
            raise BadRequestError(
                f"Connectors must be in the STOPPED state before their offsets can be modified. "
                f"This can be done for the specified connector by issuing a 'PUT' request to the "
                f"'/connectors/{name}/stop' endpoint"
            )
        self.calls.append(("alter_offsets", name, list(offsets)))
        self.offsets[name] = [dict(o) for o in offsets]
        return {"message": "The offsets for this connector have been altered successfully"}

    def reset_connector_offsets(self, name: str) -> dict[str, str]:
        self._require(name)
        self.offsets.pop(name, None)
        return {"message": "The offsets for this connector have been reset successfully"}

    # topics
    def connector_active_topics(self, name: str) -> dict[str, Any]:
        if not self.topic_tracking:
            raise ForbiddenError("Topic tracking is disabled.")
        self._require(name)
        return {name: {"topics": ["t1"]}}

    def reset_connector_active_topics(self, name: str) -> None:
        if not self.topic_tracking:
            raise ForbiddenError("Topic tracking is disabled.")
        if not self.topic_reset:
            raise ForbiddenError("Topic tracking reset is disabled.")
        self._require(name)

    # plugins
    PLUGINS = [
        {"class": "dbconnect.connectors.jdbc.JdbcSourceConnector", "type": "source", "version": "0.1.0"},
        {"class": "dbconnect.transforms.Cast", "type": "transformation", "version": "0.1.0"},
    ]

    def connector_plugins(self, connectors_only: bool = True) -> list[dict[str, str]]:
        self.calls.append(("plugins", connectors_only))
        if connectors_only:
            return [p for p in self.PLUGINS if p["type"] in ("source", "sink")]
        return list(self.PLUGINS)

    def plugin_config(self, plugin: str) -> list[dict[str, Any]]:
        if plugin not in ("JdbcSourceConnector", "JdbcSource"):
            raise NotFoundError(f"Unknown plugin {plugin}.")
        return [{"name": "connection.url", "type": "STRING", "required": True}]

    def validate_connector_config(self, plugin: str, config: Mapping[str, str]) -> dict[str, Any]:
        self.calls.append(("validate", plugin, dict(config)))
        errors = [] if "connection.url" in config else ["Missing required configuration \"connection.url\""]
        return {
            "name": config.get("connector.class", plugin),
            "error_count": len(errors),
            "groups": ["Common"],
            "configs": [{"definition": {"name": "connection.url"},
                         "value": {"name": "connection.url", "value": config.get("connection.url"),
                                   "recommended_values": [], "errors": errors, "visible": True}}],
        }


SOURCE_CONFIG = {"connector.class": "JdbcSource", "tasks.max": "1"}


def isolated_loggers() -> tuple[LoggerAdmin, logging.Manager]:
    root = logging.RootLogger(logging.INFO)
    manager = logging.Manager(root)
    return LoggerAdmin(manager=manager, clock=lambda: 1700000000.5), manager


def create(client: TestClient, name: str = "src", config: dict | None = None, **extra) -> httpx.Response:
    response = client.post("/connectors", json={"name": name, "config": config or dict(SOURCE_CONFIG), **extra})
    assert response.status_code == 201, response.text
    return response


def assert_error(response: httpx.Response, status: int, message: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error_code", "message"}
    assert body["error_code"] == status
    assert isinstance(body["message"], str)
    if message is not None:
        assert body["message"] == message
    return body
