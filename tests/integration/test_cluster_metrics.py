"""``GET /metrics/summary?scope=cluster`` across two ``dbconnect distributed`` workers (issue 16's
cluster-wide view): the page opened on worker A shows the figures of the task that runs on B."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
import requests
from confluent_kafka import Producer

from tests.integration.distributed_helpers import (DistributedWorker, cluster_settings, running,
                                                   last_generation, wait_until)
from tests.integration.test_distributed import leader_url

pytestmark = pytest.mark.timeout(600)

ADMIN = ("admin", "correct horse")
RECORDS = 40


@pytest.fixture
def credentials_file(tmp_path):
    path = tmp_path / "rest-credentials.properties"
    # The README's way: dbconnect passwd, the password on standard input.
    subprocess.run([sys.executable, "-m", "dbconnect.cli", "passwd", str(path), ADMIN[0], "--rounds", "6"],
                   input=ADMIN[1] + "\n", text=True, check=True, capture_output=True)
    return path


def _answers(worker: DistributedWorker, auth: tuple[str, str]) -> bool:
    try:
        return worker.get("/health", auth=auth).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def two_workers(broker, tmp_path):
    started: list[DistributedWorker] = []

    def start(auth: tuple[str, str] | None = None, **overrides: str) -> list[DistributedWorker]:
        settings = cluster_settings(broker.bootstrap_servers, **overrides)
        started.extend(DistributedWorker(settings, tmp_path) for _ in range(2))
        for worker in started:
            if auth is None:
                worker.wait_ready()
            else:  # /health is behind the authentication too
                wait_until(lambda w=worker: w.alive() and _answers(w, auth), 60, f"worker {worker.url} ready")
        return started

    yield start
    for worker in started:
        worker.terminate()
    for worker in started:
        worker.stop()


def test_cluster_summary_on_a_includes_the_task_running_on_b(broker, two_workers, tmp_path):
    auth = None
    a, b = two_workers()
    topic = f"cluster-view-{uuid.uuid4().hex[:8]}"
    # The tutorial's order: the sink first, its topic created by the producer afterwards.
    config = {"connector.class": "FileStreamSink", "file": str(tmp_path / "out.txt"), "topics": topic,
              "tasks.max": "2", "key.converter": "org.apache.kafka.connect.storage.StringConverter",
              "value.converter": "org.apache.kafka.connect.storage.StringConverter"}
    response = a.write("POST", "/connectors", json={"name": "sink", "config": config}, auth=auth)
    assert response.status_code == 201, response.text

    def status() -> dict | None:
        answer = a.get("/connectors/sink/status", auth=auth)
        return answer.json() if answer.status_code == 200 else None

    state = wait_until(lambda: (s := status()) and running(s, 2) and s, 90, "both sink tasks running")
    ids = {w.url.split("://", 1)[1] for w in (a, b)}
    owners = {str(t["id"]): t["worker_id"] for t in state["tasks"]}
    # Two tasks on two workers: one each (the assignor's balance), so one of them runs on B.
    assert set(owners.values()) == ids, state

    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "acks": "all"})
    for i in range(RECORDS):  # distinct keys: every partition, so both tasks, gets records
        producer.produce(topic, key=f"key-{i}".encode(), value=f"line {i}".encode())
    assert producer.flush(30) == 0

    def cluster_summary() -> dict:
        answer = a.get("/metrics/summary?scope=cluster", auth=auth)
        assert answer.status_code == 200, answer.text
        return answer.json()

    summary = wait_until(lambda: (s := cluster_summary())["connectors"].get("sink", {}).get("records_out_total")
                         == RECORDS and s, 120, f"the cluster summary on A counts all {RECORDS} records")
    sink = summary["connectors"]["sink"]
    assert summary["scope"] == "cluster" and summary["unreachable"] == [], summary
    assert sorted(summary["workers"]) == sorted(ids)
    assert {task: figures["worker_id"] for task, figures in sink["tasks"].items()} == owners
    b_id = b.url.split("://", 1)[1]
    on_b = [figures for figures in sink["tasks"].values() if figures["worker_id"] == b_id]
    assert len(on_b) == 1 and on_b[0]["records_out_total"] > 0, sink
    assert sink["records_in_total"] == RECORDS
    assert sink["type"] == "sink" and sink["state"] == "RUNNING"

    # The default answer is still this worker's own: only the task that runs on A.
    own = a.get("/metrics/summary", auth=auth).json()
    assert "scope" not in own and "unreachable" not in own
    a_id = a.url.split("://", 1)[1]
    assert set(own["connectors"]["sink"]["tasks"]) == {t for t, w in owners.items() if w == a_id}
    assert own["connectors"]["sink"]["records_out_total"] < RECORDS


def test_with_basic_auth_the_authorization_header_is_forwarded(two_workers, credentials_file, tmp_path):
    """The follower knows the leader's URL from its assignment: it asks the leader with the caller's
    credentials (without them the leader would answer 401 and be listed unreachable). And a connector
    whose tasks land on both workers runs: the task configs a follower sends the leader pass Basic
    authentication on their KIP-507 signature (they were refused 401 before, and never started)."""
    a, b = two_workers(ADMIN, **{"rest.basic.auth.credentials.file": str(credentials_file)})
    # Both joined the same generation (wait_settled's answer, generation 0, is falsy in wait_until).
    wait_until(lambda: len({last_generation(w) for w in (a, b)} - {None}) == 1
               and None not in {last_generation(w) for w in (a, b)}, 60, "both workers joined")
    leader = leader_url([a, b]).rstrip("/")
    follower = b if leader == a.url else a
    assert leader in (a.url, b.url) and follower.url != leader
    body = follower.get("/metrics/summary?scope=cluster", auth=ADMIN).json()
    assert body["unreachable"] == [], body
    assert sorted(body["workers"]) == sorted(w.url.split("://", 1)[1] for w in (a, b))
    assert follower.get("/metrics/summary?scope=cluster").status_code == 401
    topic = f"auth-{uuid.uuid4().hex[:6]}"
    for n in range(2):  # two connectors: whichever worker the leader is, one lands on the follower
        config = {"connector.class": "FileStreamSink", "file": str(tmp_path / f"out-{n}.txt"), "topics": topic,
                  "tasks.max": "2"}
        answer = follower.write("PUT", f"/connectors/auth-sink-{n}/config", json=config, auth=ADMIN)
        assert answer.status_code == 201, answer.text
    for n in range(2):
        wait_until(lambda n=n: (r := follower.get(f"/connectors/auth-sink-{n}/status", auth=ADMIN)).status_code == 200
                   and running(r.json(), 2),
                   90, f"auth-sink-{n} running with its 2 tasks")


def test_a_worker_that_is_gone_is_listed_unreachable(two_workers, tmp_path):
    a, b = two_workers()
    (tmp_path / "in.txt").write_text("one\ntwo\n")
    config = {"connector.class": "FileStreamSource", "file": str(tmp_path / "in.txt"), "topic": "gone-view",
              "tasks.max": "1"}
    assert a.write("POST", "/connectors", json={"name": "src", "config": config}).status_code == 201
    wait_until(lambda: (s := a.status("src")) and running(s, 1), 90, "src running")
    urls = {a.url, b.url}
    wait_until(lambda: set(a.get("/metrics/summary?scope=cluster").json()["workers"])
               == {u.split("://", 1)[1] for u in urls}, 60, "A knows B")
    b.kill9()
    # Until the group drops B, A still names it (its statuses, the last assignment): unreachable, not a 500.
    answer = a.get("/metrics/summary?scope=cluster")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    b_id = b.url.split("://", 1)[1]
    assert b_id in {w["worker_id"] for w in body["unreachable"]}, body
    assert b_id not in body["workers"]
    assert a.get("/metrics/summary?scope=nodes").status_code == 400
