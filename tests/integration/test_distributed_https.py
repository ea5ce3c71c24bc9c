"""Two ``dbconnect distributed`` workers behind https listeners with a private CA and required client
certificates (issue 14): the requests one worker sends the other (a forwarded write, a follower's
task configs to the leader, the cluster metrics summary) go through the worker's one peer client,
which trusts ``listeners.https.ssl.truststore.location`` and presents the worker's keystore."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.distributed_helpers import DistributedWorker, cluster_settings, last_generation, running, wait_until
from tests.integration.test_distributed import file_sink, file_source, leader_url
from tests.tls_certs import make_pki

pytestmark = pytest.mark.timeout(600)

LINES = 30


@pytest.fixture
def https_cluster(broker, tmp_path):
    pki = make_pki(tmp_path / "pki")
    # As in a worker file: the keystore (key and certificate for "localhost", the advertised host), the
    # private CA, and client certificates required, so a peer without the worker's certificate is refused.
    settings = cluster_settings(broker.bootstrap_servers, **{
        "rest.advertised.host.name": "localhost",
        "listeners.https.ssl.keystore.location": str(pki.worker_keystore),
        "listeners.https.ssl.truststore.location": str(pki.ca),
        "listeners.https.ssl.client.auth": "required",
    })
    # The test's own calls: the same CA, and a certificate the listeners accept.
    client = {"verify": str(pki.ca), "cert": str(pki.worker_keystore)}
    workers = [DistributedWorker(settings, tmp_path, https_client=client) for _ in range(2)]
    try:
        for worker in workers:
            worker.wait_ready()
        yield workers
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.stop()


def test_https_workers_forward_writes_send_task_configs_and_gather_the_cluster_summary(https_cluster, tmp_path):
    a, b = https_cluster
    assert a.url.startswith("https://localhost:") and b.url.startswith("https://localhost:")
    wait_until(lambda: None not in {last_generation(w) for w in (a, b)}
               and len({last_generation(w) for w in (a, b)}) == 1, 60, "both workers joined one generation")
    leader = leader_url([a, b]).rstrip("/")
    follower = b if leader == a.url else a
    assert leader in (a.url, b.url) and follower.url != leader
    follower_id = follower.url.split("://", 1)[1]
    ids = sorted(w.url.split("://", 1)[1] for w in (a, b))

    # 1. Writes POSTed to the follower are forwarded to the leader, over https (the tutorial's order:
    # the sink first, then the source that feeds its topic).
    topic = f"https-{uuid.uuid4().hex[:8]}"
    lines = tmp_path / "lines.txt"
    lines.write_text("".join(f"line {i}\n" for i in range(LINES)))
    out = tmp_path / "out.txt"
    for name, config in (("sink", file_sink(out, topic, 2)), ("src", file_source(lines, topic))):
        response = follower.write("POST", "/connectors", json={"name": name, "config": config})
        assert response.status_code == 201, response.text
        assert response.json()["name"] == name

    # 2. Two connectors on two workers: one runs on the follower, which generated its task configs
    # and sent them to the leader; only the leader writes them, so its tasks run only if they arrived.
    statuses = {name: wait_until(lambda n=name, t=tasks: (s := follower.status(n)) and running(s, t) and s,
                                 120, f"{name} running with {tasks} task(s)")
                for name, tasks in (("sink", 2), ("src", 1))}
    on_follower = [name for name, status in statuses.items() if status["connector"]["worker_id"] == follower_id]
    assert on_follower, statuses
    wait_until(lambda: out.exists() and len(out.read_text().splitlines()) >= LINES, 120,
               f"the {LINES} lines through src and sink")

    # 3. The cluster summary on each worker includes the tasks that run on the other one.
    for asker, other in ((a, b), (b, a)):
        other_id = other.url.split("://", 1)[1]

        def summary(asker=asker, other_id=other_id) -> dict | None:
            answer = asker.get("/metrics/summary?scope=cluster")
            assert answer.status_code == 200, answer.text
            body = answer.json()
            shown = {t["worker_id"] for c in body["connectors"].values() for t in c["tasks"].values()}
            return body if other_id in shown else None

        body = wait_until(summary, 60, f"the cluster summary on {asker.url} showing the tasks of {other_id}")
        assert body["unreachable"] == [] and sorted(body["workers"]) == ids, body
