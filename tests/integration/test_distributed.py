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
