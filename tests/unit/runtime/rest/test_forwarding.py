"""REST on any worker: a request another worker must serve is forwarded there (Kafka's
HerderRequestHandler), at most two hops, and a write during a rebalance is a 409."""

from __future__ import annotations

import httpx
import pytest

from dbconnect.http.server import RestServer
from dbconnect.runtime.herder import NotAssignedError, NotLeaderError, RebalanceNeededError
from dbconnect.runtime.rest import create_app
from tests.unit.runtime.rest.fake_herder import FakeHerder


class ForwardingHerder(FakeHerder):
    """A fake worker that is not the leader: writes name ``leader_url``; records what reaches it."""

    def __init__(self, leader_url: str | None = None) -> None:
        super().__init__()
        self.leader_url = leader_url
        self.seen: list[tuple[str, dict]] = []
        self.rebalancing = False

    def put_connector_config(self, name, config, allow_replace, initial_state=None):
        self.seen.append(("put", dict(config)))
        if self.rebalancing:
            raise RebalanceNeededError()
        if self.leader_url is not None:
            raise NotLeaderError("Only the leader can create or update connector configurations.", self.leader_url)
        return super().put_connector_config(name, config, allow_replace, initial_state)

    def restart_task(self, name, task_id):
        self.seen.append(("restart", {"task": task_id}))
        if self.leader_url is not None:
            raise NotAssignedError("Cannot restart task since it is not assigned to this member", self.leader_url)
        return super().restart_task(name, task_id)


@pytest.fixture
def servers():
    started: list[RestServer] = []

    def serve(herder) -> RestServer:
        server = RestServer(create_app(herder, version="9.9.9", commit="c"), ["http://127.0.0.1:0"], access_log=False)
        server.start()
        started.append(server)
        return server

    yield serve
    for server in started:
        server.stop()


def test_a_write_on_a_follower_is_forwarded_to_the_leader_with_its_answer_and_location(servers):
    leader = ForwardingHerder()
    leader_server = servers(leader)
    follower = ForwardingHerder(leader_server.url)
    follower_server = servers(follower)
    response = httpx.post(follower_server.url + "/connectors", json={"name": "src", "config": {
        "connector.class": "FileStreamSource", "topic": "t"}}, headers={"Authorization": "Basic dTpw"}, timeout=30)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "src"
    assert response.headers["location"].endswith("/connectors/src")
    assert [kind for kind, _ in follower.seen] == ["put"]
    assert [kind for kind, _ in leader.seen] == ["put"]
    # Now it exists on the leader: the follower's GET answers from its own (fake) state.
    assert "src" in leader.connectors()


def test_forwarding_stops_after_two_hops_with_409(servers):
    # Two workers that each believe the other is the leader: the request goes A → B → A, then 409.
    a = ForwardingHerder()
    b = ForwardingHerder()
    a_server, b_server = servers(a), servers(b)
    a.leader_url, b.leader_url = b_server.url, a_server.url
    response = httpx.put(a_server.url + "/connectors/src/config", json={"connector.class": "FileStreamSource"},
                         timeout=30)
    assert response.status_code == 409
    assert response.json() == {"error_code": 409, "message": "Cannot complete request because of a conflicting "
                                                           "operation (e.g. worker rebalance)"}
    assert len(a.seen) == 2 and len(b.seen) == 1


def test_forward_false_is_never_forwarded_again(servers):
    target = ForwardingHerder()
    target_server = servers(target)
    worker = ForwardingHerder(target_server.url)
    server = servers(worker)
    response = httpx.post(server.url + "/connectors/src/tasks/0/restart?forward=false", timeout=30)
    assert response.status_code == 409
    assert target.seen == []


def test_a_task_restart_goes_to_the_worker_that_runs_it(servers):
    owner = ForwardingHerder()
    owner.put_connector_config("src", {"connector.class": "FileStreamSource"}, allow_replace=True)
    owner_server = servers(owner)
    worker = ForwardingHerder(owner_server.url)
    response = httpx.post(servers(worker).url + "/connectors/src/tasks/0/restart", timeout=30)
    assert response.status_code == 204, response.text
    assert ("restart", {"task": 0}) in owner.seen


def test_a_write_during_a_rebalance_is_409_with_connects_message(servers):
    worker = ForwardingHerder()
    worker.rebalancing = True
    response = httpx.put(servers(worker).url + "/connectors/src/config", json={"connector.class": "X"}, timeout=30)
    assert response.status_code == 409
    assert response.json() == {"error_code": 409,
                               "message": "Request cannot be completed because a rebalance is expected"}


def test_no_known_leader_is_409_not_a_hang(servers):
    worker = ForwardingHerder()
    worker.leader_url = ""  # not joined yet: nobody to forward to
    response = httpx.put(servers(worker).url + "/connectors/src/config", json={"connector.class": "X"}, timeout=30)
    assert response.status_code == 409
