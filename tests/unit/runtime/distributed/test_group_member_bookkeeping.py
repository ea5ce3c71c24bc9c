"""WorkerGroupMember's cooperative bookkeeping, driven with SyncGroup bytes (no broker: pure logic).

The leader sends only new work; the member keeps the rest unless revoked, calls on_revoked before
on_assigned, rejoins after a revoking round or when the assignment's delay has passed, and forgets
everything when its session is lost.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

from dbconnect.runtime.distributed.connect_protocol import (
    ConnectorsAndTasks, ExtendedAssignment, WorkerState, deserialize_metadata, serialize_assignment)
from dbconnect.runtime.distributed.group_member import WorkerGroupMember, _ConnectCoordinator
from dbconnect.runtime.stores.status import ConnectorTaskId

CONFIG = {"bootstrap.servers": "127.0.0.1:1", "group.id": "g"}


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def metadata(self):
        raise AssertionError("not called without a broker")

    def perform_assignment(self, members, generation):
        raise AssertionError("not called without a broker")

    def on_assigned(self, assignment, generation):
        self.calls.append(("assigned", generation, sorted(assignment.connectors), sorted(assignment.tasks),
                           sorted(assignment.revoked_tasks)))

    def on_revoked(self, leader, connectors, tasks):
        self.calls.append(("revoked", leader, sorted(connectors), sorted(tasks)))

    def on_session_lost(self, reason):
        self.calls.append(("lost", reason))


def T(c, i):
    return ConnectorTaskId(c, i)


def sync(member: WorkerGroupMember, generation: int, **fields) -> None:
    a = ExtendedAssignment(2, 0, "leader-1", "http://l:8083", 7, **fields)
    member._joined(generation, "me", "sessioned", serialize_assignment(a))
    member._dispatch()


def test_new_work_is_added_to_what_is_kept_and_revoked_work_removed_after_on_revoked():
    listener = Recorder()
    member = WorkerGroupMember(CONFIG, "http://me:8083", listener)
    sync(member, 0, connectors=["a"], tasks=[T("a", 0), T("a", 1)])
    sync(member, 1, connectors=["b"], tasks=[T("b", 0)], revoked_tasks=[T("a", 1)])
    assert listener.calls == [
        ("assigned", 0, ["a"], [T("a", 0), T("a", 1)], []),
        ("revoked", "leader-1", [], [T("a", 1)]),
        ("assigned", 1, ["a", "b"], [T("a", 0), T("b", 0)], [T("a", 1)]),
    ]
    assert member.generation == 1 and member.leader_id == "leader-1" and member.leader_url == "http://l:8083"
    # A revoking round is followed by a rejoin (the revoked work is reassigned in the next round).
    assert member._rejoin_reason is not None


def test_a_round_without_revocations_does_not_rejoin_but_a_delay_schedules_one():
    member = WorkerGroupMember(CONFIG, "http://me:8083", Recorder())
    sync(member, 0, tasks=[T("a", 0)])
    assert member._rejoin_reason is None and member._rejoin_at is None
    before = time.monotonic()
    sync(member, 1, delay_ms=5000)
    assert member._rejoin_at is not None and before + 4.9 <= member._rejoin_at <= time.monotonic() + 5.1
    assert member._rejoin_reason is None


def test_session_lost_forgets_the_assignment_once():
    listener = Recorder()
    member = WorkerGroupMember(CONFIG, "http://me:8083", listener)
    sync(member, 3, connectors=["a"], tasks=[T("a", 0)])
    member._generation_reset()
    member._generation_reset()  # a second reset (the rejoin's own) is not a second loss
    assert [c[0] for c in listener.calls] == ["assigned", "lost"]
    assert member.assignment() is None and member.generation == -1
    sync(member, 5, tasks=[T("b", 0)])
    assert listener.calls[-1] == ("assigned", 5, [], [T("b", 0)], [])  # nothing of the old assignment kept


def test_stopping_is_not_a_lost_session():
    listener = Recorder()
    member = WorkerGroupMember(CONFIG, "http://me:8083", listener)
    sync(member, 0, tasks=[T("a", 0)])
    member._stopping.set()
    member._generation_reset()
    assert [c[0] for c in listener.calls] == ["assigned"]


class Running(Recorder):
    """A herder that runs one task whatever the rounds say (what it reports at each join)."""

    def metadata(self):
        return WorkerState("http://me:8083", 7, ConnectorsAndTasks((), (T("a", 0),)))


def join_metadata(member: WorkerGroupMember) -> list[tuple[str, bytes]]:
    """The JoinGroup protocols the member's coordinator would send now."""
    return _ConnectCoordinator.group_protocols(SimpleNamespace(_member=member))


def test_the_rejoin_at_the_end_of_a_delay_sends_changed_metadata_so_the_coordinator_rebalances():
    """Issue 14: when scheduled.rebalance.max.delay.ms ends, every member rejoins running what it ran.
    With only the allocation in the metadata that JoinGroup equalled the previous one, and the test
    broker answered it, even the leader's, with the stored assignment of the same generation: the held
    work never moved. The member embeds its last assignment (its delay too), as Kafka's
    WorkerCoordinator does, so the delay-end JoinGroup carries changed metadata."""
    member = WorkerGroupMember(CONFIG, "http://me:8083", Running())
    sync(member, 4, tasks=[T("a", 0)])
    joined_with = join_metadata(member)  # the JoinGroup of the round in which a worker left
    sync(member, 5, delay_ms=20000)  # that round: nothing new for this member, the lost work held
    assert member._rejoin_at is not None
    at_delay_end = join_metadata(member)
    assert [n for n, _ in at_delay_end] == [n for n, _ in joined_with] == ["sessioned", "compatible"]
    assert all(before != after for (_, before), (_, after) in zip(joined_with, at_delay_end))
    assert deserialize_metadata(at_delay_end[0][1]).last_assignment.delay_ms == 20000
    # ... while the leader reads the same work from both.
    assert deserialize_metadata(at_delay_end[0][1]) == deserialize_metadata(joined_with[0][1])


def test_a_round_without_a_delay_cancels_the_scheduled_rejoin():
    """As Kafka's herder (scheduledRebalance = MAX when the delay is 0): the delay's round came early
    (another change started it after the leader reassigned the held work), so no rejoin is due."""
    member = WorkerGroupMember(CONFIG, "http://me:8083", Recorder())
    sync(member, 1, delay_ms=20000)
    assert member._rejoin_at is not None
    sync(member, 2, tasks=[T("a", 0)])
    assert member._rejoin_at is None
