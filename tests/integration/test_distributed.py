"""Distributed mode end to end: ``dbconnect distributed`` worker processes on the embedded broker,
configured from ``CONNECT_*`` variables alone (issue 14's "Tests" list, the herder's part)."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from tests.integration.distributed_helpers import DistributedWorker, cluster_settings, running, wait_until

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def cluster(broker, tmp_path):
    """``cluster(n, **overrides)`` starts n workers of one new group; all are stopped at teardown."""
    started: list[DistributedWorker] = []

    def start(n: int, settings: dict | None = None, **overrides: str) -> list[DistributedWorker]:
        settings = settings or cluster_settings(broker.bootstrap_servers, **overrides)
        workers = [DistributedWorker(settings, tmp_path) for _ in range(n)]
        started.extend(workers)
        for worker in workers:
            worker.wait_ready()
        return workers

    start.tmp_path = tmp_path  # type: ignore[attr-defined]
    yield start
    for worker in started:
        worker.stop()


def file_source(path: Path, topic: str, tasks: int = 1) -> dict:
    return {"connector.class": "FileStreamSource", "file": str(path), "topic": topic, "tasks.max": str(tasks)}


def verifiable_source(topic: str, tasks: int) -> dict:
    return {"connector.class": "org.apache.kafka.connect.tools.VerifiableSourceConnector", "topic": topic,
            "tasks.max": str(tasks), "throughput": "10"}


def task_owners(status: dict) -> collections.Counter:
    return collections.Counter(t["worker_id"] for t in status["tasks"])


def test_three_workers_create_on_a_status_on_c_tasks_balanced(cluster, tmp_path):
    a, b, c = cluster(3)
    (tmp_path / "in.txt").write_text("one\ntwo\n")
    names = ["src-1", "src-2", "src-3"]
    for name in names:
        response = a.write("POST", "/connectors", json={"name": name, "config": file_source(tmp_path / "in.txt", name)})
        assert response.status_code == 201, response.text
        assert response.json()["name"] == name
    # Every worker lists them and answers their status (from the status topic).
    for worker in (a, b, c):
        wait_until(lambda w=worker: sorted(w.get("/connectors").json()) == names, 60, f"connectors on {worker.url}")
    statuses = {n: wait_until(lambda n=n: (s := c.status(n)) and running(s, 1) and s, 90, f"{n} running") for n in names}
    workers = {w.url.split("://")[1] for w in (a, b, c)}
    task_workers = collections.Counter(s["tasks"][0]["worker_id"] for s in statuses.values())
    assert set(task_workers) <= workers
    # Three tasks on three workers: one each (max - min <= 1), and the connectors spread too.
    assert sorted(task_workers.values()) == [1, 1, 1], statuses
    connector_workers = collections.Counter(s["connector"]["worker_id"] for s in statuses.values())
    assert sorted(connector_workers.values()) == [1, 1, 1], statuses
    # The same answers on every worker.
    for worker in (a, b):
        assert worker.status("src-1")["tasks"] == statuses["src-1"]["tasks"]


def other(workers: list[DistributedWorker], worker_id: str) -> DistributedWorker:
    """A worker that is not ``worker_id`` (host:port)."""
    return next(w for w in workers if w.url.split("://")[1] != worker_id)


def test_pause_resume_restart_stop_and_offsets_through_any_worker(cluster, tmp_path):
    a, b = cluster(2)
    lines = tmp_path / "lines.txt"
    lines.write_text("".join(f"line {i}\n" for i in range(20)))
    assert b.write("POST", "/connectors", json={"name": "src", "config": file_source(lines, "lines")}).status_code == 201
    status = wait_until(lambda: (s := a.status("src")) and running(s, 1) and s, 90, "src running")

    assert a.write("PUT", "/connectors/src/pause").status_code == 202
    wait_until(lambda: (s := b.status("src")) and s["connector"]["state"] == "PAUSED"
               and [t["state"] for t in s["tasks"]] == ["PAUSED"], 60, "src paused, seen on b")
    assert b.write("PUT", "/connectors/src/resume").status_code == 202
    wait_until(lambda: running(a.status("src"), 1), 60, "src resumed, seen on a")

    # A task restart sent to the worker that does not run it goes to the one that does.
    task_worker = status["tasks"][0]["worker_id"]
    stranger = other([a, b], task_worker)
    assert stranger.write("POST", "/connectors/src/tasks/0/restart").status_code == 204
    # A restart of the connector and its tasks goes through the leader's restart request.
    restarted = a.write("POST", "/connectors/src/restart?includeTasks=true")
    assert restarted.status_code == 202, restarted.text
    assert restarted.json()["connector"]["state"] == "RESTARTING"
    assert [t["state"] for t in restarted.json()["tasks"]] == ["RESTARTING"]
    wait_until(lambda: running(b.status("src"), 1), 60, "src running after the restart")

    # Offsets: every line read is committed; read on either worker.
    partition = {"filename": str(lines)}
    wait_until(lambda: a.get("/connectors/src/offsets").json()["offsets"] == [
        {"partition": partition, "offset": {"position": lines.stat().st_size}}], 60, "offsets committed")
    not_stopped = b.write("PATCH", "/connectors/src/offsets", json={"offsets": [
        {"partition": partition, "offset": {"position": 7}}]})
    assert not_stopped.status_code == 400 and "STOPPED" in not_stopped.json()["message"]

    assert b.write("PUT", "/connectors/src/stop").status_code == 204
    wait_until(lambda: (s := a.status("src")) and s["connector"]["state"] == "STOPPED" and s["tasks"] == [],
               60, "src stopped, seen on a")
    altered = a.write("PATCH", "/connectors/src/offsets", json={"offsets": [
        {"partition": partition, "offset": {"position": 7}}]})
    assert altered.status_code == 200, altered.text
    assert b.get("/connectors/src/offsets").json()["offsets"] == [{"partition": partition, "offset": {"position": 7}}]
    reset = b.write("DELETE", "/connectors/src/offsets")
    assert reset.status_code == 200, reset.text
    assert a.get("/connectors/src/offsets").json()["offsets"] == []

    assert a.write("PUT", "/connectors/src/resume").status_code == 202
    wait_until(lambda: running(b.status("src"), 1), 90, "src running after stop + resume")
    assert a.write("DELETE", "/connectors/src").status_code == 204
    wait_until(lambda: b.get("/connectors/src").status_code == 404, 60, "src gone on b")
    assert a.get("/connectors").json() == []
