"""The REST layer's HTTP mapping, against a small dict-backed fake Herder.

The fake is the unit-level stand-in for the pure HTTP-translation logic; integration tests run
the same endpoints against the real worker.
"""

from __future__ import annotations

import logging
import socket
from typing import Any, Mapping

import httpx
import pytest
from fastapi.testclient import TestClient

from dbconnect.api.errors import (
    AlreadyExistsError,
    BadRequestError,
    ConfigError,
    ConflictError,
    ConnectError,
    ForbiddenError,
    NotFoundError,
)
from dbconnect.runtime.herder import Herder
from dbconnect.runtime.rest import LoggerAdmin, RestServer, create_app

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


@pytest.fixture
def herder() -> FakeHerder:
    return FakeHerder()


@pytest.fixture
def loggers() -> LoggerAdmin:
    return isolated_loggers()[0]


@pytest.fixture
def client(herder: FakeHerder, loggers: LoggerAdmin) -> TestClient:
    app = create_app(herder, loggers=loggers, version="9.9.9", commit="0123456789abcdef")
    return TestClient(app, base_url="http://testserver")


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


# -- root & health -----------------------------------------------------------------------------


def test_root(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.json() == {"version": "9.9.9", "commit": "0123456789abcdef", "kafka_cluster_id": "cluster-1"}


def test_root_defaults(herder):
    import dbconnect

    body = TestClient(create_app(herder)).get("/").json()
    assert body["version"] == dbconnect.__version__
    assert isinstance(body["commit"], str) and body["commit"]


def test_health(client, herder):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "healthy",
        "message": "Worker has completed startup and is ready to handle requests.",
    }
    herder.ready = False
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "starting"
    assert response.json()["message"] == "Worker is still starting up."


# -- connectors collection -----------------------------------------------------------------------


def test_list_connectors(client):
    assert client.get("/connectors").json() == []
    create(client, "b")
    create(client, "a")
    response = client.get("/connectors")
    assert response.status_code == 200
    assert response.json() == ["a", "b"]
    assert client.get("/connectors/").json() == ["a", "b"]  # trailing slash served, not redirected


def test_list_connectors_expand(client):
    create(client, "a")
    both = client.get("/connectors?expand=status&expand=info").json()
    assert set(both) == {"a"}
    assert both["a"]["status"]["connector"]["state"] == "RUNNING"
    assert both["a"]["info"]["config"]["connector.class"] == "JdbcSource"
    only_status = client.get("/connectors", params={"expand": "status"}).json()
    assert set(only_status["a"]) == {"status"}
    assert client.get("/connectors?expand=bogus").json() == {"a": {}}


def test_create_connector(client, herder):
    response = create(client, "src", {"connector.class": "JdbcSource", "tasks.max": 2, "flag": True, "ratio": 1.5})
    assert response.headers["location"].endswith("/connectors/src")
    body = response.json()
    assert body["name"] == "src"
    assert body["type"] == "source"
    assert body["tasks"] == [{"connector": "src", "task": 0}]
    # numbers/booleans become strings; the name is put into the config
    assert body["config"] == {"connector.class": "JdbcSource", "tasks.max": "2", "flag": "true", "ratio": "1.5",
                              "name": "src"}
    assert herder.calls[-1] == ("put", "src", body["config"], False, None)


def test_create_connector_location_is_encoded(client):
    response = create(client, "my conn")
    assert response.headers["location"] == "http://testserver/connectors/my%20conn"


def test_create_connector_trims_name_and_accepts_forward(client, herder):
    response = client.post("/connectors?forward=true", json={"name": "  padded ", "config": SOURCE_CONFIG})
    assert response.status_code == 201
    assert response.json()["name"] == "padded"


def test_create_connector_initial_state(client, herder):
    create(client, "p", initial_state="paused")
    assert herder.calls[-1][4] == "PAUSED"
    response = client.post("/connectors", json={"name": "x", "config": SOURCE_CONFIG, "initial_state": "sleeping"})
    assert_error(response, 400)


def test_create_connector_already_exists(client):
    create(client, "src")
    response = client.post("/connectors", json={"name": "src", "config": SOURCE_CONFIG})
    assert_error(response, 409, "Connector src already exists")


def test_create_connector_name_mismatch(client):
    response = client.post("/connectors", json={"name": "a", "config": {**SOURCE_CONFIG, "name": "b"}})
    assert_error(response, 400, "Connector name configuration (b) doesn't match connector name in the URL (a)")


@pytest.mark.parametrize(
    "body",
    [
        {"config": SOURCE_CONFIG},  # missing name
        {"name": "", "config": SOURCE_CONFIG},
        {"name": "   ", "config": SOURCE_CONFIG},
        {"name": "a/b", "config": SOURCE_CONFIG},
        {"name": "a"},  # missing config
        {"name": "a", "config": ["x"]},  # config not an object
        {"name": "a", "config": "x"},
        {"name": "a", "config": {"nested": {"x": 1}}},  # value is an object
        {"name": "a", "config": {"list": [1, 2]}},  # value is an array
        {"name": "a", "config": {"connector.class": None}},  # null outside PATCH
        {"name": {"x": 1}, "config": SOURCE_CONFIG},
        ["not", "an", "object"],
    ],
)
def test_create_connector_bad_requests(client, body):
    body = assert_error(client.post("/connectors", json=body), 400)
    assert "Traceback" not in body["message"]


def test_create_connector_empty_name_message(client):
    body = assert_error(client.post("/connectors", json={"config": SOURCE_CONFIG}), 400)
    assert "Invalid value  for configuration name: String may not be empty" in body["message"]
    body = assert_error(client.post("/connectors", json={"name": "a/b", "config": SOURCE_CONFIG}), 400)
    assert body["message"] == "connector name should not contain '/'"


def test_create_connector_invalid_config_from_herder(client):
    response = client.post("/connectors", json={"name": "a", "config": {"tasks.max": "1"}})
    body = assert_error(response, 400)
    assert body["message"].startswith("Connector configuration is invalid and contains the following 1 error(s):")


def test_malformed_json(client):
    for path, method in (("/connectors", "POST"), ("/connectors/a/config", "PUT"),
                         ("/connectors/a/config", "PATCH"), ("/connector-plugins/X/config/validate", "PUT"),
                         ("/admin/loggers/x", "PUT"), ("/connectors/a/offsets", "PATCH")):
        response = client.request(method, path, content=b'{"name": "a", ', headers={"content-type": "application/json"})
        body = assert_error(response, 400)
        assert body["message"].startswith("Malformed JSON in request body:")


def test_empty_body_is_bad_request(client):
    assert_error(client.post("/connectors", content=b""), 400)
    assert_error(client.put("/connectors/a/config", content=b""), 400)


# -- one connector -------------------------------------------------------------------------------


def test_get_connector_and_config(client):
    create(client, "src")
    info = client.get("/connectors/src")
    assert info.status_code == 200
    assert info.json()["name"] == "src"
    config = client.get("/connectors/src/config")
    assert config.status_code == 200
    assert config.json() == {**SOURCE_CONFIG, "name": "src"}


def test_unknown_connector_404(client):
    assert_error(client.get("/connectors/nope"), 404, "Connector nope not found")
    assert_error(client.get("/connectors/nope/config"), 404, "Connector nope not found")
    assert_error(client.get("/connectors/nope/status"), 404, "No status found for connector nope")
    assert_error(client.delete("/connectors/nope"), 404)


def test_put_connector_config_create_then_update(client, herder):
    created = client.put("/connectors/src/config", json=SOURCE_CONFIG)
    assert created.status_code == 201
    assert created.headers["location"].endswith("/connectors/src")
    assert created.json()["config"]["name"] == "src"
    assert herder.calls[-1][3] is True  # allow_replace
    updated = client.put("/connectors/src/config", json={**SOURCE_CONFIG, "tasks.max": 3, "name": "src"})
    assert updated.status_code == 200
    assert "location" not in updated.headers
    assert updated.json()["config"]["tasks.max"] == "3"


def test_put_connector_config_name_mismatch(client):
    response = client.put("/connectors/a/config", json={**SOURCE_CONFIG, "name": "b"})
    assert_error(response, 400, "Connector name configuration (b) doesn't match connector name in the URL (a)")


@pytest.mark.parametrize("body", [["x"], "text", 5, {"a": {"b": "c"}}, {"a": ["b"]}, {"a": None}])
def test_put_connector_config_wrong_shape(client, body):
    assert_error(client.put("/connectors/a/config", json=body), 400)


def test_patch_connector_config(client, herder):
    create(client, "src", {**SOURCE_CONFIG, "extra": "x"})
    response = client.patch("/connectors/src/config", json={"extra": None, "tasks.max": 4, "new": "y"})
    assert response.status_code == 200
    config = response.json()["config"]
    assert "extra" not in config
    assert config["tasks.max"] == "4"
    assert config["new"] == "y"
    assert herder.calls[-1] == ("patch", "src", {"extra": None, "tasks.max": "4", "new": "y"})
    assert_error(client.patch("/connectors/nope/config", json={"a": "b"}), 404)
    assert_error(client.patch("/connectors/src/config", json={"a": {"b": 1}}), 400)
    assert_error(client.patch("/connectors/src/config", json=[1]), 400)


def test_status_and_tasks(client):
    create(client, "src")
    status = client.get("/connectors/src/status")
    assert status.status_code == 200
    assert status.json() == {
        "name": "src",
        "connector": {"state": "RUNNING", "worker_id": WORKER_ID},
        "tasks": [{"id": 0, "state": "RUNNING", "worker_id": WORKER_ID}],
        "type": "source",
    }
    tasks = client.get("/connectors/src/tasks")
    assert tasks.status_code == 200
    assert tasks.json() == [{"id": {"connector": "src", "task": 0}, "config": {"task.class": "Fake"}}]
    task = client.get("/connectors/src/tasks/0/status")
    assert task.status_code == 200
    assert task.json() == {"id": 0, "state": "RUNNING", "worker_id": WORKER_ID}
    assert_error(client.get("/connectors/src/tasks/7/status"), 404, "No status found for task src-7")
    assert_error(client.get("/connectors/src/tasks/zero/status"), 404, "HTTP 404 Not Found")


def test_tasks_config_endpoint_removed(client):
    create(client, "src")
    assert_error(client.get("/connectors/src/tasks-config"), 404, "HTTP 404 Not Found")


def test_restart_connector(client, herder):
    create(client, "src")
    plain = client.post("/connectors/src/restart")
    assert plain.status_code == 204
    assert plain.content == b""
    assert herder.calls[-1] == ("restart", "src", False, False)

    full = client.post("/connectors/src/restart?includeTasks=true&onlyFailed=TRUE")
    assert full.status_code == 202
    assert full.json()["connector"]["state"] == "RESTARTING"
    assert full.json()["tasks"][0]["state"] == "RESTARTING"
    assert herder.calls[-1] == ("restart", "src", True, True)

    # Boolean.valueOf: anything but "true" is false
    assert client.post("/connectors/src/restart?includeTasks=yes").status_code == 204
    assert_error(client.post("/connectors/nope/restart"), 404)


def test_restart_task(client, herder):
    create(client, "src")
    response = client.post("/connectors/src/tasks/0/restart")
    assert response.status_code == 204
    assert herder.calls[-1] == ("restart_task", "src", 0)
    assert_error(client.post("/connectors/src/tasks/3/restart"), 404)
    assert_error(client.post("/connectors/src/tasks/x/restart"), 404, "HTTP 404 Not Found")


def test_pause_resume_stop_delete(client, herder):
    create(client, "src")
    paused = client.put("/connectors/src/pause")
    assert paused.status_code == 202 and paused.content == b""
    assert herder.states["src"] == "PAUSED"
    resumed = client.put("/connectors/src/resume")
    assert resumed.status_code == 202 and resumed.content == b""
    assert herder.states["src"] == "RUNNING"
    stopped = client.put("/connectors/src/stop")
    assert stopped.status_code == 204 and stopped.content == b""
    assert client.get("/connectors/src/status").json()["tasks"] == []
    assert_error(client.put("/connectors/nope/pause"), 404)
    assert_error(client.put("/connectors/nope/stop"), 404)
    deleted = client.delete("/connectors/src")
    assert deleted.status_code == 204 and deleted.content == b""
    assert_error(client.get("/connectors/src"), 404, "Connector src not found")


# -- offsets -------------------------------------------------------------------------------------


def test_offsets(client, herder):
    create(client, "src")
    assert client.get("/connectors/src/offsets").json() == {"offsets": []}
    entry = {"partition": {"table": "t"}, "offset": {"id": 5}}

    body = assert_error(client.patch("/connectors/src/offsets", json={"offsets": [entry]}), 400)
    assert "STOPPED" in body["message"]

    client.put("/connectors/src/stop")
    altered = client.patch("/connectors/src/offsets", json={"offsets": [entry, {"partition": {"table": "u"},
                                                                               "offset": None}]})
    assert altered.status_code == 200
    assert altered.json() == {"message": "The offsets for this connector have been altered successfully"}
    assert herder.calls[-1] == ("alter_offsets", "src", [entry, {"partition": {"table": "u"}, "offset": None}])
    assert client.get("/connectors/src/offsets").json()["offsets"][0] == entry

    reset = client.delete("/connectors/src/offsets")
    assert reset.status_code == 200
    assert reset.json() == {"message": "The offsets for this connector have been reset successfully"}
    assert_error(client.get("/connectors/nope/offsets"), 404)


@pytest.mark.parametrize("content", [b"", b"{}", b'{"offsets": []}', b'{"offsets": null}'])
def test_alter_offsets_without_offsets(client, content):
    create(client, "src")
    client.put("/connectors/src/stop")
    response = client.patch("/connectors/src/offsets", content=content, headers={"content-type": "application/json"})
    assert_error(response, 400, "Partitions / offsets need to be provided for an alter offsets request")


@pytest.mark.parametrize("body", [[1], {"offsets": {"a": 1}}, {"offsets": [1]}, {"offsets": [{"partition": [1]}]}])
def test_alter_offsets_wrong_shape(client, body):
    create(client, "src")
    assert_error(client.patch("/connectors/src/offsets", json=body), 400)


# -- topics --------------------------------------------------------------------------------------


def test_topics(client, herder):
    create(client, "src")
    topics = client.get("/connectors/src/topics")
    assert topics.status_code == 200
    assert topics.json() == {"src": {"topics": ["t1"]}}
    reset = client.put("/connectors/src/topics/reset")
    assert reset.status_code == 202 and reset.content == b""

    herder.topic_reset = False
    assert_error(client.put("/connectors/src/topics/reset"), 403, "Topic tracking reset is disabled.")
    herder.topic_tracking = False
    assert_error(client.get("/connectors/src/topics"), 403, "Topic tracking is disabled.")
    assert_error(client.put("/connectors/src/topics/reset"), 403, "Topic tracking is disabled.")


# -- plugins -------------------------------------------------------------------------------------


def test_connector_plugins(client, herder):
    only = client.get("/connector-plugins")
    assert only.status_code == 200
    assert [p["type"] for p in only.json()] == ["source"]
    assert herder.calls[-1] == ("plugins", True)
    everything = client.get("/connector-plugins?connectorsOnly=false")
    assert [p["type"] for p in everything.json()] == ["source", "transformation"]
    assert herder.calls[-1] == ("plugins", False)
    assert client.get("/connector-plugins?connectorsOnly=TRUE").json() == only.json()
    assert client.get("/connector-plugins/").status_code == 200


def test_plugin_config(client):
    response = client.get("/connector-plugins/JdbcSourceConnector/config")
    assert response.status_code == 200
    assert response.json()[0]["name"] == "connection.url"
    assert_error(client.get("/connector-plugins/Nope/config"), 404, "Unknown plugin Nope.")


def test_validate_is_200_even_when_invalid(client, herder):
    response = client.put("/connector-plugins/JdbcSource/config/validate",
                          json={"connector.class": "JdbcSource", "tasks.max": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["error_count"] == 1
    assert body["configs"][0]["value"]["errors"]
    assert herder.calls[-1] == ("validate", "JdbcSource", {"connector.class": "JdbcSource", "tasks.max": "1"})
    valid = client.put("/connector-plugins/JdbcSource/config/validate",
                       json={"connector.class": "JdbcSource", "connection.url": "jdbc:x"})
    assert valid.status_code == 200 and valid.json()["error_count"] == 0
    assert_error(client.put("/connector-plugins/JdbcSource/config/validate", json=[1]), 400)


# -- loggers -------------------------------------------------------------------------------------


def test_loggers_endpoints(client, loggers):
    manager = loggers._manager
    manager.getLogger("org.example.a")
    manager.getLogger("org.example.b").setLevel(logging.DEBUG)

    listed = client.get("/admin/loggers")
    assert listed.status_code == 200
    body = listed.json()
    assert body["root"] == {"level": "INFO", "last_modified": None}
    assert body["org.example.b"] == {"level": "DEBUG", "last_modified": None}
    assert body["org.example.a"] == {"level": "INFO", "last_modified": None}
    assert list(body) == sorted(body)

    one = client.get("/admin/loggers/org.example.b")
    assert one.status_code == 200 and one.json() == {"level": "DEBUG", "last_modified": None}
    assert client.get("/admin/loggers/ROOT").json()["level"] == "INFO"
    assert_error(client.get("/admin/loggers/no.such"), 404, "Logger no.such not found.")

    changed = client.put("/admin/loggers/org.example", json={"level": "warn"})
    assert changed.status_code == 200
    assert changed.json() == ["org.example", "org.example.a", "org.example.b"]
    assert client.get("/admin/loggers/org.example.a").json() == {"level": "WARN", "last_modified": 1700000000500}
    assert manager.getLogger("org.example.b").getEffectiveLevel() == logging.WARNING

    # unchanged loggers are not reported again
    assert client.put("/admin/loggers/org.example", json={"level": "WARN"}).json() == []


def test_loggers_put_errors(client):
    assert_error(client.put("/admin/loggers/x", json={"level": "LOUD"}), 404, "invalid log level 'LOUD'.")
    assert_error(client.put("/admin/loggers/x", json={}), 400, "Desired 'level' parameter was not specified in request.")
    assert_error(client.put("/admin/loggers/x", json={"level": None}), 400)
    assert_error(client.put("/admin/loggers/x", content=b""), 400)
    assert_error(client.put("/admin/loggers/x", json=["DEBUG"]), 400)


def test_loggers_cluster_scope(client, loggers):
    response = client.put("/admin/loggers/org.cluster?scope=cluster", json={"level": "TRACE"})
    assert response.status_code == 204
    assert response.content == b""
    assert client.get("/admin/loggers/org.cluster").json()["level"] == "TRACE"
    # unknown scope: treated as worker
    response = client.put("/admin/loggers/org.cluster?scope=galaxy", json={"level": "ERROR"})
    assert response.status_code == 200 and response.json() == ["org.cluster"]


def test_logger_admin_levels_and_root():
    admin, manager = isolated_loggers()
    child = manager.getLogger("a.b.c")
    assert admin.set_level("root", "ERROR") == sorted(["root", "a.b.c"])
    assert child.getEffectiveLevel() == logging.ERROR
    assert admin.level("root") == {"level": "ERROR", "last_modified": 1700000000500}
    admin.set_level("a", "OFF")
    assert "a.b.c" not in admin.loggers()  # OFF loggers are not listed
    assert admin.level("a.b.c")["level"] == "OFF"
    admin.set_level("a.b", "ALL")
    assert admin.level("a.b.c")["level"] == "ALL"
    with pytest.raises(NotFoundError):
        admin.set_level("a", "verbose")
    with pytest.raises(BadRequestError):
        admin.set_level("a", None)
    assert admin.set_level("a", "FATAL", scope="cluster") is None
    assert admin.level("a")["level"] == "FATAL"


def test_default_logger_admin_uses_process_logging(herder):
    name = "dbconnect.tests.rest.defaultadmin"
    logger = logging.getLogger(name)
    previous = logger.level
    try:
        client = TestClient(create_app(herder))
        assert client.put(f"/admin/loggers/{name}", json={"level": "DEBUG"}).status_code == 200
        assert logger.level == logging.DEBUG
        assert client.get(f"/admin/loggers/{name}").json()["level"] == "DEBUG"
    finally:
        logger.setLevel(previous)


# -- generic errors ------------------------------------------------------------------------------


def test_unknown_route_and_wrong_method(client):
    assert_error(client.get("/nope"), 404, "HTTP 404 Not Found")
    assert_error(client.get("/connectors/a/b/c/d"), 404, "HTTP 404 Not Found")
    assert_error(client.delete("/connectors"), 405, "HTTP 405 Method Not Allowed")
    assert_error(client.post("/connectors/a/config"), 405, "HTTP 405 Method Not Allowed")
    assert_error(client.get("/connectors/a/restart"), 405, "HTTP 405 Method Not Allowed")


def test_internal_error_is_500_without_trace(client, herder, caplog):
    herder.explode = RuntimeError("boom")
    with caplog.at_level(logging.ERROR, logger="dbconnect.runtime.rest"):
        response = client.get("/connectors")
    assert_error(response, 500, "boom")
    assert "Traceback" not in response.text
    assert any("Uncaught exception in REST call" in r.getMessage() for r in caplog.records)


def test_rest_error_status_codes(client, herder):
    herder.configs["x"] = {}
    herder.states["x"] = "RUNNING"
    herder.explode = ConflictError(
        "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"
    )
    assert_error(client.get("/connectors/x"), 409)
    herder.explode = ForbiddenError("no")
    assert_error(client.get("/connectors/x/config"), 403, "no")
    herder.explode = ConnectError("")
    assert_error(client.get("/connectors/x"), 500, "ConnectError")


def test_openapi(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    paths = spec["paths"]
    for path in ("/", "/health", "/connectors", "/connectors/{connector}", "/connectors/{connector}/config",
                 "/connectors/{connector}/status", "/connectors/{connector}/restart",
                 "/connectors/{connector}/tasks/{task}/status", "/connectors/{connector}/offsets",
                 "/connectors/{connector}/topics/reset", "/connector-plugins",
                 "/connector-plugins/{plugin}/config/validate", "/admin/loggers", "/admin/loggers/{logger}"):
        assert path in paths, path
    assert "/connectors/{connector}/tasks-config" not in paths
    assert paths["/connectors"]["post"]["summary"] == "Create a new connector"
    assert "requestBody" in paths["/connectors"]["post"]
    assert all(op.get("summary") and op.get("tags") for ops in paths.values() for op in ops.values())


# -- RestServer ----------------------------------------------------------------------------------


def test_rest_server_serves_over_http(herder):
    server = RestServer(create_app(herder, version="9.9.9", commit="c"), ["http://127.0.0.1:0"])
    server.start()
    try:
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.advertised_url == f"http://127.0.0.1:{server.port}"
        response = httpx.get(server.url + "/", timeout=5)
        assert response.status_code == 200
        assert response.json() == {"version": "9.9.9", "commit": "c", "kafka_cluster_id": "cluster-1"}
        missing = httpx.get(server.url + "/connectors/none", timeout=5)
        assert missing.status_code == 404
        assert missing.json() == {"error_code": 404, "message": "Connector none not found"}
    finally:
        server.stop()
    assert not server.running
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{server.port or 1}/", timeout=1)


def test_rest_server_port_in_use(herder):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        server = RestServer(create_app(herder), [f"http://127.0.0.1:{port}"])
        with pytest.raises(ConnectError, match="already in use"):
            server.start()
        assert not server.running
    finally:
        blocker.close()


def test_rest_server_listener_config():
    app = object()
    with pytest.raises(ConfigError, match="TLS is not supported"):
        RestServer(app, ["https://:8443"])
    with pytest.raises(ConfigError, match="TLS is not supported"):
        RestServer(app, ["http://:8083"], advertised_listener="https")
    with pytest.raises(ConfigError):
        RestServer(app, ["localhost:8083"])
    server = RestServer(app)  # default http://:8083, all interfaces
    assert server.port == 8083
    assert server.url == "http://127.0.0.1:8083"
    advertised = RestServer(app, ["http://:0"], advertised_host="connect-1", advertised_port=18083)
    assert advertised.advertised_url == "http://connect-1:18083"
    assert RestServer(app, "http://[::1]:9000").url == "http://[::1]:9000"
