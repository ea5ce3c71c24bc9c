"""A rejoin the herder asks for while a JoinGroup/SyncGroup round is in flight is kept, not lost.

kafka-python clears ``rejoin_needed`` when a round completes, whenever the request was made. The
herder asks for a rejoin from its own threads at any time (the leader after task configs were
written, a connector was added or removed; a worker that must read the config topic again), so a
request made after that round's JoinGroup went out, whose work the round's assignment may not
cover, vanished with it, and the work it was for waited for some other rebalance.

Kafka keeps such requests differently: its herder takes them on the tick thread, which is also the
thread that drives the join, and it handles config updates only once ``ensureActive`` has
completed the round (DistributedHerder.tick: "we need to re-run the ensureActive call since we can't
handle requests unless we're in the group"). Ours runs the join on the member's own thread, so the
member counts the requests and a round whose JoinGroup was sent before the last one is followed by
one more round.

Driven through kafka-python's own join loop (``ensure_active_group``) and, in the first and last
tests, the member's own thread (``WorkerGroupMember._run``); only the network round trip
(``BaseCoordinator._do_join_and_sync_async``) is replaced. No broker: the client never connects.
"""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from kafka.coordinator.base import BaseCoordinator, Generation

from dbconnect.runtime.distributed.assignor import IncrementalCooperativeAssignor
from dbconnect.runtime.distributed.connect_protocol import ExtendedAssignment, serialize_assignment
from dbconnect.runtime.distributed.group_member import WorkerGroupMember
from dbconnect.runtime.distributed.herder import DistributedHerder
from dbconnect.runtime.distributed.wiring import ProtocolStates
from dbconnect.runtime.stores.configs import TargetState
from dbconnect.runtime.stores.status import ConnectorTaskId, MemoryStatusBackingStore
from tests.unit.runtime.distributed.offline_group import CONFIG, offline_coordinator
from tests.unit.runtime.distributed.test_herder import SOURCE, FakeConfigStore, FakeWorker

ASSIGNMENT = serialize_assignment(ExtendedAssignment(2, 0, "leader-1", "http://l:8083", 7, ["a"]))


def wait_for(condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(0.01)


class Rounds:
    """Stands for the JoinGroup/SyncGroup round trips; a round is held until ``release`` is set.

    With ``lead`` the round is this member's round as the group's only member and leader, as the
    coordinator runs it: JoinGroup carries ``group_protocols()`` (the herder's metadata), the
    JoinGroup response names this member leader of the next generation, it computes the assignment
    at once (``_perform_assignment``: the herder and its assignor), and the SyncGroup response,
    held, hands it back.
    """

    def __init__(self, lead: bool = False) -> None:
        self.lead = lead
        self.sent = 0
        self.completed = 0
        self.assigned_in_flight = threading.Event()
        self.release = threading.Event()

    async def round_trip(self, coordinator: BaseCoordinator) -> bytes:
        self.sent += 1
        assignment = ASSIGNMENT
        if self.lead:
            name, metadata = coordinator.group_protocols()[0]
            coordinator._generation = Generation(self.sent, "m-1", name)
            members = [SimpleNamespace(member_id="m-1", group_instance_id=None, metadata=metadata)]
            assignment = coordinator._perform_assignment("m-1", name, members)["m-1"]
            self.assigned_in_flight.set()
        while not self.release.is_set():
            await coordinator._manager._net.sleep(0.01)
        self.completed += 1
        return assignment


class Recorder:
    def __init__(self) -> None:
        self.assigned: list[int] = []

    def on_assigned(self, assignment, generation):
        self.assigned.append(generation)

    def on_revoked(self, leader, connectors, tasks):
        pass

    def on_session_lost(self, reason):
        pass


def run_member_thread(member: WorkerGroupMember) -> None:
    """The member's own thread, as WorkerGroupMember.start() runs it (without the broker bootstrap)."""
    member._thread = threading.Thread(target=member._run, name="member-under-test", daemon=True)
    member._thread.start()


def stop_member_thread(member: WorkerGroupMember) -> None:
    member._stopping.set()
    member._wake.set()
    if member._thread is not None:
        member._thread.join(5)
    if member._client is not None:
        member._client.close()


@pytest.fixture
def offline(monkeypatch):
    """A member with a recording listener and its coordinator; no member thread."""
    rounds = Rounds()
    member = WorkerGroupMember(CONFIG, "http://me:8083", listener=Recorder())
    coordinator = offline_coordinator(monkeypatch, member, rounds)
    try:
        yield coordinator, member, rounds
    finally:
        stop_member_thread(member)


def test_a_rejoin_requested_while_the_round_is_in_flight_is_followed_by_one_more_round(offline):
    coordinator, member, rounds = offline
    listener = member.listener
    run_member_thread(member)
    wait_for(lambda: rounds.sent == 1, "the first JoinGroup")
    # The herder asks for a rejoin while that round is with the coordinator (e.g. the leader's task
    # configs were just written); the member thread hands the request over between two slices.
    member.request_rejoin("task configs of src")
    wait_for(lambda: member._rejoin_reason is None, "the member thread to take the request")
    assert rounds.completed == 0  # the request was made, and taken, while the round was in flight
    rounds.release.set()
    wait_for(lambda: len(listener.assigned) == 2,
             "a second round after the one the rejoin was requested in (the request was lost)", timeout=5)
    assert rounds.sent == 2
    # ... and only one: the request is satisfied by that second round.
    assert not coordinator.need_rejoin() and member._rejoin_reason is None


def test_a_rejoin_requested_after_the_round_completed_unclaimed_is_not_consumed_with_it(offline):
    """The round completes between two of the member thread's slices (its assignment kept for the
    next slice, see _ConnectCoordinator) and the request comes before that slice takes it."""
    coordinator, member, rounds = offline
    assert coordinator.ensure_active_group(timeout_ms=100) is False
    rounds.release.set()
    wait_for(lambda: rounds.completed == 1, "the round to complete")
    coordinator.request_member_rejoin()
    assert coordinator.ensure_active_group(timeout_ms=1000) is True
    assert rounds.sent == 1 and member._pending is not None  # that round's assignment, taken
    assert coordinator.need_rejoin()  # and the request is still there
    assert coordinator.ensure_active_group(timeout_ms=1000) is True
    assert rounds.sent == 2 and not coordinator.need_rejoin()


def test_a_rejoin_requested_before_the_joingroup_is_served_by_that_round(offline):
    coordinator, member, rounds = offline
    rounds.release.set()
    coordinator.request_member_rejoin()  # before any JoinGroup: the round's metadata is built after it
    assert coordinator.ensure_active_group(timeout_ms=1000) is True
    assert rounds.sent == 1 and not coordinator.need_rejoin()
    coordinator.request_member_rejoin()
    assert coordinator.ensure_active_group(timeout_ms=1000) is True
    assert rounds.sent == 2 and not coordinator.need_rejoin()


def test_kafka_pythons_own_rejoin_during_the_round_adds_no_round(offline):
    """A heartbeat answered REBALANCE_IN_PROGRESS calls request_rejoin(): that rebalance is the round
    in flight, so it does not call for another (on Kafka a leader's extra JoinGroup is a rebalance)."""
    coordinator, member, rounds = offline
    assert coordinator.ensure_active_group(timeout_ms=100) is False
    coordinator.request_rejoin()
    rounds.release.set()
    assert coordinator.ensure_active_group(timeout_ms=1000) is True
    assert rounds.sent == 1 and not coordinator.need_rejoin()


def test_the_leaders_task_configs_written_during_a_round_get_their_task_assigned(monkeypatch):
    """The herder's path that reaches it: a leader whose round's assignment was computed before the
    connector's new task configs were written (a round started by another member's join) asks for a
    rejoin while that round waits for its SyncGroup response. The new task must be assigned and run."""
    rounds = Rounds(lead=True)
    rounds.release.set()
    store = FakeConfigStore()
    store.put_connector_config("src", {**SOURCE, "name": "src"}, TargetState.STARTED)
    store.put_task_configs("src", [{"n": "0"}])
    worker = FakeWorker()

    requested: list[str] = []

    def member_factory(herder):
        member = WorkerGroupMember(CONFIG, herder.url, herder)
        offline_coordinator(monkeypatch, member, rounds)
        member.start = lambda: run_member_thread(member)
        member.stop = lambda timeout_s=10.0: stop_member_thread(member)
        ask = member.request_rejoin
        member.request_rejoin = lambda reason: (ask(reason), requested.append(reason))
        return member

    herder = DistributedHerder(worker, store, MemoryStatusBackingStore(), url="http://w1:8083",
                               member_factory=member_factory, assignor=IncrementalCooperativeAssignor(0),
                               protocols=ProtocolStates(), stop_settle_s=0.0)
    monkeypatch.setattr(herder, "_reconfigure", lambda name: None)  # the test writes the task configs
    herder.start()
    try:
        wait_for(lambda: ConnectorTaskId("src", 0) in worker.tasks and not herder.rebalancing,
                 "the first round's work running")
        coordinator = herder.member._coordinator
        # Another worker joins: the coordinator's answer to our heartbeat starts a round.
        rounds.release.clear()
        rounds.assigned_in_flight.clear()
        coordinator.request_rejoin()
        herder.member._wake.set()
        assert rounds.assigned_in_flight.wait(10)  # the leader has assigned: src has 1 task then
        sent = rounds.sent
        # Now src's connector asks for 2 tasks: the leader writes them, its listener hears of it.
        store.put_task_configs("src", [{"n": "0"}, {"n": "1"}])
        store.listener.on_task_config_update({"src"})
        wait_for(lambda: "task configs of src" in requested, "the leader's rejoin request")
        wait_for(lambda: herder.member._rejoin_reason is None, "the member thread to take the request")
        assert rounds.sent == sent and rounds.completed == sent - 1  # still in that round
        rounds.release.set()
        wait_for(lambda: ConnectorTaskId("src", 1) in worker.tasks,
                 "task src-1 running (it needs the round the leader asked for after writing its config)", timeout=5)
        assert rounds.sent == sent + 1
    finally:
        herder.stop()
