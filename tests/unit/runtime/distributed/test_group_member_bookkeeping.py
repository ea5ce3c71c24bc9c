"""WorkerGroupMember's cooperative bookkeeping, driven with SyncGroup bytes (no broker: pure logic).

The leader sends only new work; the member keeps the rest unless revoked, calls on_revoked before
on_assigned, rejoins after a revoking round or when the assignment's delay has passed, and forgets
everything when its session is lost.
"""

from __future__ import annotations

import time

from dbconnect.runtime.distributed.connect_protocol import ExtendedAssignment, serialize_assignment
from dbconnect.runtime.distributed.group_member import WorkerGroupMember
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
