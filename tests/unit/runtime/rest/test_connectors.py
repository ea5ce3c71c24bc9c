"""REST /connectors routes over a fake herder: create, read, update, restart, pause/resume/stop, delete, topics."""

from __future__ import annotations

import pytest

from tests.unit.runtime.rest.fake_herder import SOURCE_CONFIG, assert_error, create


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
