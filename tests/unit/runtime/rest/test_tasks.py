"""REST /connectors/{connector}/tasks routes over a fake herder: status, configs, restart."""

from __future__ import annotations

from tests.unit.runtime.rest.fake_herder import WORKER_ID, assert_error, create


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


def test_restart_task(client, herder):
    create(client, "src")
    response = client.post("/connectors/src/tasks/0/restart")
    assert response.status_code == 204
    assert herder.calls[-1] == ("restart_task", "src", 0)
    assert_error(client.post("/connectors/src/tasks/3/restart"), 404)
    assert_error(client.post("/connectors/src/tasks/x/restart"), 404, "HTTP 404 Not Found")
