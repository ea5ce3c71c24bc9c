"""DistributedHerder's own logic against small in-memory fakes of the group member and the stores
(their real versions have integration tests of their own; tests/integration/test_distributed.py runs
the whole herder in worker processes)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from dbconnect.api.errors import BadRequestError, ForbiddenError
from dbconnect.runtime.distributed import request_signing
from dbconnect.runtime.distributed.herder import DistributedHerder
from dbconnect.runtime.herder import NotAssignedError, NotLeaderError, RebalanceNeededError
from dbconnect.runtime.plugins import Plugins
from dbconnect.runtime.stores.configs import MemoryConfigBackingStore, TargetState
from dbconnect.runtime.stores.status import ConnectorTaskId, MemoryStatusBackingStore, State, Status

SOURCE = {"connector.class": "FileStreamSource", "topic": "lines", "file": "/dev/null", "tasks.max": "1"}


@dataclass
class Key:
    key: bytes
    algorithm: str
    creation_ms: int


@dataclass
class Snapshot:
    offset: int
    connector_configs: dict
    task_configs: dict
    target_states: dict

    def task_count(self, name):
        return len(self.task_configs.get(name, ()))

    def tasks(self, name):
        return [dict(t) for t in self.task_configs.get(name, ())]

    def target_state(self, name):
        return self.target_states.get(name)


class FakeConfigStore(MemoryConfigBackingStore):
    """The Kafka config store's extra API, in memory (every write bumps the offset)."""

    def __init__(self) -> None:
        super().__init__()
        self.offset = 0
        self.generations: list[int | None] = []
        self.restarts: list[tuple] = []
        self.key: Key | None = None
        self.listener = None

    def start(self, timeout_s=None): pass
    def stop(self): pass
    def refresh(self, timeout_s=None): return True
    def set_update_listener(self, listener): self.listener = listener
    def session_key(self): return self.key

    def put_session_key(self, key, algorithm, creation_ms):
        self.key = Key(key, algorithm, creation_ms)

    def put_connector_config(self, connector, config, target_state):
        super().put_connector_config(connector, config, target_state)
        self.offset += 1

    def put_task_configs(self, connector, configs, generation=None):
        super().put_task_configs(connector, configs)
        self.generations.append(generation)
        self.offset += 1

    def put_restart_request(self, name, include_tasks, only_failed):
        self.restarts.append((name, include_tasks, only_failed))

    def snapshot(self):
        names = self.connectors()
        return Snapshot(self.offset, {n: self.connector_config(n) for n in names},
                        {n: self.task_configs(n) for n in names}, {n: self.target_state(n) for n in names})


class FakeWorker:
    def __init__(self) -> None:
        self.plugins = Plugins()
        self.worker_id = "127.0.0.1:8083"
        self.events: list[tuple] = []
        self.tasks: set[ConnectorTaskId] = set()
        self.connectors: set[str] = set()
        self.offset_store = None

    def start(self): pass
    def stop(self): pass

    def start_connector(self, name, config, target, on_reconfigure, on_started):
        self.events.append(("start_connector", name))
        self.connectors.add(name)
        return True

    def stop_connector(self, name):
        self.events.append(("stop_connector", name))
        self.connectors.discard(name)

    def connector_running(self, name):
        return name in self.connectors

    def connector_task_configs(self, name, config, max_tasks, enforce=True):
        return [{"task.class": "T", "n": str(i)} for i in range(int(config.get("tasks.max", 1)))]

    def start_task(self, task_id, config, task_config, target):
        self.events.append(("start_task", task_id, task_config.get("n")))
        self.tasks.add(task_id)
        return True

    def stop_and_await_tasks(self, task_ids):
        for t in task_ids:
            if t in self.tasks:
                self.events.append(("stop_task", t))
                self.tasks.discard(t)

    def task_ids(self, connector=None):
        return [t for t in self.tasks if connector is None or t.connector == connector]

    def set_target_state(self, name, target):
        self.events.append(("target", name, target))


class FakeMember:
    def __init__(self, herder, member_id="m-1") -> None:
        self.member_id = member_id
        self.rejoins: list[str] = []

    def start(self): pass
    def stop(self): pass
    def request_rejoin(self, reason): self.rejoins.append(reason)
    def stop_joining_unless_leading(self): return True


@dataclass
class Assignment:
    leader: str
    leader_url: str
    config_offset: int = 0
    connectors: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    revoked_connectors: list = field(default_factory=list)
    revoked_tasks: list = field(default_factory=list)
    delay_ms: int = 0
    error: int = 0
    version: int = 2


class States:
    def worker_state(self, url, offset, connectors, tasks):
        return {"url": url, "offset": offset, "connectors": connectors, "tasks": tasks}


@pytest.fixture
def make():
    herders: list[DistributedHerder] = []

    def build(member_id="m-1", assignor=None):
        store = FakeConfigStore()
        herder = DistributedHerder(FakeWorker(), store, MemoryStatusBackingStore(), url="http://w1:8083",
                                   member_factory=lambda h: FakeMember(h, member_id), assignor=assignor,
                                   protocols=States(), stop_settle_s=0.0)
        herder.start()
        herders.append(herder)
        return herder

    yield build
    for herder in herders:
        herder.stop()


def settle(herder: DistributedHerder) -> None:
    """Wait until the tick thread has run everything queued so far."""
    done = threading.Event()
    herder._enqueue(done.set)
    assert done.wait(10)


def assign(herder, leader="m-1", generation=5, **kwargs) -> None:
    herder.on_assigned(Assignment(leader=leader, leader_url="http://leader:8083" if leader != "m-1"
                                  else "http://w1:8083", **kwargs), generation=generation)
    settle(herder)


def test_a_write_before_the_first_assignment_is_a_rebalance_409(make):
    herder = make()
    with pytest.raises(RebalanceNeededError, match="Request cannot be completed because a rebalance is expected"):
        herder.put_connector_config("src", SOURCE, allow_replace=False)


def test_a_follower_names_the_leader_for_writes(make):
    herder = make()
    assign(herder, leader="m-2")
    with pytest.raises(NotLeaderError) as caught:
        herder.put_connector_config("src", SOURCE, allow_replace=False)
    assert caught.value.forward_url == "http://leader:8083"


def test_the_leader_writes_the_config_and_rejoins_for_the_new_connector(make):
    herder = make()
    assign(herder)
    created, info = herder.put_connector_config("src", SOURCE, allow_replace=False)
    assert created and info["name"] == "src"
    assert herder.config_store.connector_config("src")["topic"] == "lines"
    herder.config_store.listener.on_connector_config_update("src")
    settle(herder)
    assert herder.member.rejoins == ["connector src added"]


def test_a_join_starts_a_rebalance_and_its_assignment_ends_it(make):
    herder = make()
    assign(herder)
    state = herder.metadata()
    assert state["url"] == "http://w1:8083"
    with pytest.raises(RebalanceNeededError):
        herder.delete_connector("src")
    assign(herder)
    assert not herder.rebalancing


def test_revoked_work_stops_before_assigned_work_starts(make):
    herder = make()
    store = herder.config_store
    for name in ("a", "b"):
        store.put_connector_config(name, {**SOURCE, "name": name}, TargetState.STARTED)
        store.put_task_configs(name, [{"n": "0"}])
    assign(herder, connectors=["a"], tasks=[ConnectorTaskId("a", 0)])
    herder.worker.events.clear()
    assign(herder, connectors=["b"], tasks=[ConnectorTaskId("b", 0)], revoked_connectors=["a"],
           revoked_tasks=[ConnectorTaskId("a", 0)])
    kinds = [e[0] for e in herder.worker.events]
    assert kinds.index("stop_task") < kinds.index("start_task")
    assert kinds.index("stop_connector") < kinds.index("start_connector")
    assert herder.worker.tasks == {ConnectorTaskId("b", 0)}
    assert herder.metadata()["connectors"] == ["b"]


def test_a_leader_stamps_task_configs_with_its_generation(make):
    herder = make()
    herder.config_store.put_connector_config("src", {**SOURCE, "name": "src", "tasks.max": "2"}, TargetState.STARTED)
    assign(herder, connectors=["src"], generation=7)
    assert herder.config_store.task_configs("src") == [{"task.class": "T", "n": "0"}, {"task.class": "T", "n": "1"}]
    assert herder.config_store.generations == [7]


def test_a_lost_session_stops_every_task_at_once(make):
    herder = make()
    herder.config_store.put_connector_config("src", {**SOURCE, "name": "src"}, TargetState.STARTED)
    herder.config_store.put_task_configs("src", [{"n": "0"}])
    assign(herder, leader="m-2", connectors=["src"], tasks=[ConnectorTaskId("src", 0)])
    assert herder.worker.tasks
    herder.on_session_lost("heartbeat expired")
    settle(herder)
    assert herder.worker.tasks == set() and herder.worker.connectors == set()
    assert herder.rebalancing


def test_task_config_updates_restart_the_tasks_after_the_rebalance(make):
    herder = make()
    store = herder.config_store
    store.put_connector_config("src", {**SOURCE, "name": "src"}, TargetState.STARTED)
    store.put_task_configs("src", [{"n": "old"}])
    assign(herder, leader="m-2", tasks=[ConnectorTaskId("src", 0)])
    store.put_task_configs("src", [{"n": "new"}])
    store.listener.on_task_config_update({"src"})
    settle(herder)
    assert herder.worker.tasks == set()
    assign(herder, leader="m-2", tasks=[ConnectorTaskId("src", 0)])  # the member's whole assignment: kept
    assert ("start_task", ConnectorTaskId("src", 0), "new") in herder.worker.events


def test_internal_task_configs_need_the_session_key_signature(make):
    herder = make()
    herder.config_store.put_connector_config("src", {**SOURCE, "name": "src"}, TargetState.STARTED)
    assign(herder)
    key = herder.config_store.session_key()
    assert key is not None and key.algorithm == "HmacSHA256"  # the leader wrote one
    body = b'[{"n": "0"}]'
    with pytest.raises(BadRequestError, match="Internal request missing required signature"):
        herder.put_task_configs("src", [{"n": "0"}], body, {})
    with pytest.raises(ForbiddenError, match="Internal request contained invalid signature."):
        herder.put_task_configs("src", [{"n": "0"}], body, request_signing.sign(b"another key", body))
    herder.put_task_configs("src", [{"n": "0"}], body, request_signing.sign(key.key, body))
    assert herder.config_store.task_configs("src") == [{"n": "0"}]


def test_task_configs_of_a_stopped_connector_are_dropped_by_the_leader(make):
    """Task configs a connector generated just before a stop reach the leader after it: a STOPPED
    connector keeps no tasks (seen in test_pause_resume_restart_stop_and_offsets_through_any_worker)."""
    herder = make()
    herder.config_store.put_connector_config("src", {**SOURCE, "name": "src"}, TargetState.STARTED)
    assign(herder)
    herder.config_store.put_task_configs("src", [])
    herder.config_store.put_target_state("src", TargetState.STOPPED)
    key = herder.config_store.session_key()
    body = b'[{"n": "0"}]'
    with pytest.raises(BadRequestError, match="Connector src is STOPPED"):
        herder.put_task_configs("src", [{"n": "0"}], body, request_signing.sign(key.key, body))
    assert herder.config_store.task_configs("src") == []


def test_restarts_go_to_the_owner_or_the_leader(make):
    herder = make()
    herder.config_store.put_connector_config("src", {**SOURCE, "name": "src"}, TargetState.STARTED)
    herder.config_store.put_task_configs("src", [{"n": "0"}])
    assign(herder, leader="m-2")
    with pytest.raises(NotLeaderError):
        herder.restart_task("src", 0)
    leader = make()
    leader.config_store.put_connector_config("src", {**SOURCE, "name": "src"}, TargetState.STARTED)
    leader.config_store.put_task_configs("src", [{"n": "0"}])
    assign(leader)
    leader._owner_urls = {ConnectorTaskId("src", 0): "http://w3:8083"}
    with pytest.raises(NotAssignedError) as caught:
        leader.restart_task("src", 0)
    assert caught.value.forward_url == "http://w3:8083"


def test_pause_is_a_target_state_any_worker_writes_and_every_worker_applies(make):
    herder = make()
    herder.config_store.put_connector_config("src", {**SOURCE, "name": "src"}, TargetState.STARTED)
    assign(herder, leader="m-2", connectors=["src"])
    herder.pause_connector("src")  # not the leader, still written
    assert herder.config_store.target_state("src") == TargetState.PAUSED
    herder.config_store.listener.on_target_state_change("src")
    settle(herder)
    assert ("target", "src", TargetState.PAUSED) in herder.worker.events


def test_the_leader_assigns_what_the_config_topic_holds(make):
    calls = []

    class Assignor:
        def assign(self, leader_id, leader_url, offset, members, connectors, generation,
                   last_completed_generation=None):
            calls.append((leader_id, leader_url, offset, connectors, generation))
            return {m: Assignment(leader=leader_id, leader_url=leader_url) for m in members}

    herder = make(assignor=Assignor())
    herder.config_store.put_connector_config("src", {**SOURCE, "name": "src"}, TargetState.STARTED)
    herder.config_store.put_task_configs("src", [{"n": "0"}, {"n": "1"}])

    @dataclass
    class Member:
        url: str
        allocation: object = None

    result = herder.perform_assignment({"m-1": Member("http://w1:8083"), "m-2": Member("http://w2:8083")}, 3)
    assert set(result) == {"m-1", "m-2"}
    assert calls == [("m-1", "http://w1:8083", 2, {"src": 2}, 3)]


def test_work_missing_from_the_whole_assignment_stops(make):
    herder = make()
    store = herder.config_store
    store.put_connector_config("a", {**SOURCE, "name": "a"}, TargetState.STARTED)
    store.put_task_configs("a", [{"n": "0"}, {"n": "1"}])
    assign(herder, leader="m-2", tasks=[ConnectorTaskId("a", 0), ConnectorTaskId("a", 1)])
    assign(herder, leader="m-2", tasks=[ConnectorTaskId("a", 1)], revoked_tasks=[ConnectorTaskId("a", 0)])
    assert herder.worker.tasks == {ConnectorTaskId("a", 1)}


def test_a_new_leader_stamps_the_stores_fencing_generation(make):
    herder = make()
    herder.config_store.fencing_generation = lambda group_generation: group_generation + 100
    herder.config_store.put_connector_config("src", {**SOURCE, "name": "src"}, TargetState.STARTED)
    assign(herder, connectors=["src"], generation=2)
    assert herder.config_store.generations == [102]


def test_the_leader_names_members_that_advertise_the_same_url(make, caplog):
    class Assignor:
        def assign(self, leader_id, leader_url, offset, members, connectors, generation, last_completed_generation=None):
            return {m: Assignment(leader=leader_id, leader_url=leader_url) for m in members}

    @dataclass
    class Member:
        url: str
        allocation: object = None

    herder = make(assignor=Assignor())
    herder.perform_assignment({"m-1": Member("http://w1:8083"), "m-2": Member("http://w2:8083"),
                               "m-3": Member("http://w2:8083")}, 1)
    assert "Workers m-2, m-3 all advertise the REST URL http://w2:8083" in caplog.text


def stop_during_a_rebalance(leads: bool) -> list[bool]:
    """Stop a herder whose member sent a JoinGroup and has no assignment yet, the round completing
    5 s later; what ``herder.rebalancing`` was when the member left the group."""
    left = []

    class Member(FakeMember):
        def stop(self):
            left.append(herder.rebalancing)

        def stop_joining_unless_leading(self):  # WorkerGroupMember's answer, for a leader or a follower
            return not (leads and herder.rebalancing)

    herder = DistributedHerder(FakeWorker(), FakeConfigStore(), MemoryStatusBackingStore(), url="http://w1:8083",
                               member_factory=lambda h: Member(h), assignor=None, protocols=States(),
                               stop_settle_s=30.0)
    herder.start()
    assign(herder)
    herder.metadata()  # a JoinGroup went out: a rebalance is in progress
    completes = threading.Timer(5.0, lambda: herder.on_assigned(Assignment(leader="m-1", leader_url="http://w1:8083"), 6))
    completes.start()
    try:
        herder.stop()
    finally:
        completes.cancel()
    return left


def test_a_leader_stopped_during_a_rebalance_waits_for_it_before_leaving_the_group():
    assert stop_during_a_rebalance(leads=True) == [False]  # it left only once the rebalance had completed


def test_a_follower_stopped_during_a_rebalance_leaves_the_group_at_once():
    assert stop_during_a_rebalance(leads=False) == [True]  # it left while the rebalance was still on


def test_a_round_that_revoked_work_is_not_the_end_of_the_rebalance(make):
    herder = make()
    store = herder.config_store
    store.put_connector_config("a", {**SOURCE, "name": "a"}, TargetState.STARTED)
    store.put_task_configs("a", [{"n": "0"}])
    assign(herder, leader="m-2", tasks=[ConnectorTaskId("a", 0)])
    assign(herder, leader="m-2", revoked_tasks=[ConnectorTaskId("a", 0)])
    assert herder.rebalancing  # the member rejoins at once for the revoked work to be reassigned
    with pytest.raises(RebalanceNeededError):
        herder.put_connector_config("b", SOURCE, allow_replace=False)
    assign(herder, leader="m-2")
    assert not herder.rebalancing


def owned_and_running(herder, leader="m-2"):
    """Connector "src" and its task 0 assigned to this worker and shown RUNNING on it."""
    herder.config_store.put_connector_config("src", {**SOURCE, "name": "src"}, TargetState.STARTED)
    herder.config_store.put_task_configs("src", [{"n": "0"}])
    assign(herder, leader=leader, connectors=["src"], tasks=[ConnectorTaskId("src", 0)])
    me = herder.worker_id
    herder.status_store.put_connector("src", Status(State.RUNNING, me))
    herder.status_store.put_task(ConnectorTaskId("src", 0), Status(State.RUNNING, me))
    return me


def test_a_clean_stop_shows_the_stopped_work_unassigned_on_this_worker(make):
    herder = make()
    me = owned_and_running(herder)
    herder.status_store.put_task(ConnectorTaskId("other", 0), Status(State.RUNNING, "w9:8083"))
    herder.stop()
    assert herder.status_store.connector("src") == Status(State.UNASSIGNED, me)
    assert herder.status_store.task(ConnectorTaskId("src", 0)) == Status(State.UNASSIGNED, me)
    assert herder.status_store.task(ConnectorTaskId("other", 0)).state == State.RUNNING


def test_revoked_work_shows_unassigned_but_a_failed_task_keeps_its_trace(make):
    herder = make()
    me = owned_and_running(herder)
    herder.status_store.put_task(ConnectorTaskId("src", 0), Status(State.FAILED, me, "boom"))
    herder.on_revoked("m-2", ["src"], [ConnectorTaskId("src", 0)])
    assert herder.status_store.connector("src") == Status(State.UNASSIGNED, me)
    assert herder.status_store.task(ConnectorTaskId("src", 0)) == Status(State.FAILED, me, "boom")


def test_work_moved_elsewhere_keeps_the_new_owners_status(make):
    herder = make()
    owned_and_running(herder)
    herder.status_store.put_task(ConnectorTaskId("src", 0), Status(State.RUNNING, "w2:8083"))
    assign(herder, leader="m-2", generation=6, connectors=[], tasks=[], revoked_connectors=["src"],
           revoked_tasks=[ConnectorTaskId("src", 0)])
    assert herder.status_store.task(ConnectorTaskId("src", 0)) == Status(State.RUNNING, "w2:8083")
    assert herder.status_store.connector("src").state == State.UNASSIGNED
