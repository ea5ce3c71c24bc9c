"""Whether a stopping member may leave the group at once: only when it cannot be the leader of a
rebalance that has not completed (``WorkerGroupMember.stop_joining_unless_leading``).

On the test broker (Tansu 0.6) a group whose leader leaves while it rebalances is stuck for good
(docs/design/distributed.md, failures); a follower that leaves is dropped from the round, which the
leader completes. The coordinator keeps the leader from round to round and makes the first member
it hears from the leader of a group that has none (after the leader left or missed its session),
so a member whose JoinGroup is unanswered may be the leader; once answered, the answer says.

Driven through kafka-python's own join loop (``ensure_active_group``) with only the network round
trip replaced: the JoinGroup answer goes through kafka-python's ``_process_join_group_response``.
No broker: the client never connects.
"""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from kafka.coordinator.base import BaseCoordinator, MemberState

from dbconnect.runtime.distributed.connect_protocol import ExtendedAssignment, serialize_assignment
from dbconnect.runtime.distributed.group_member import WorkerGroupMember, _Leaving

from .offline_group import CONFIG, offline_coordinator



class Rounds:
    """JoinGroup answered (naming ``leader``) once ``answer_join`` is set, SyncGroup once ``answer_sync`` is."""

    def __init__(self, leader: str) -> None:
        self.leader = leader
        self.sent = 0
        self.answer_join = threading.Event()
        self.answer_sync = threading.Event()
        self.joined = threading.Event()

    async def round_trip(self, coordinator: BaseCoordinator) -> bytes:
        self.sent += 1
        while not self.answer_join.is_set():
            await coordinator._manager._net.sleep(0.01)
        coordinator.state = MemberState.REBALANCING  # as the real round sets it before its JoinGroup
        coordinator._process_join_group_response(SimpleNamespace(
            error_code=0, protocol_type="connect", generation_id=self.sent, member_id="m-1",
            protocol_name="sessioned", leader=self.leader), time.monotonic())
        self.joined.set()
        while not self.answer_sync.is_set():
            await coordinator._manager._net.sleep(0.01)
        return serialize_assignment(ExtendedAssignment(2, 0, self.leader, "http://l:8083", 7, []))


@pytest.fixture
def group(monkeypatch):
    made = []

    def build(leader: str):
        rounds = Rounds(leader)
        member = WorkerGroupMember(CONFIG, "http://me:8083", listener=None)
        coordinator = offline_coordinator(monkeypatch, member, rounds)
        made.append(member._client)
        return coordinator, member, rounds

    yield build
    for client in made:
        client.close()


def test_a_member_not_in_the_group_may_leave():
    member = WorkerGroupMember(CONFIG, "http://me:8083", listener=None)
    assert member.stop_joining_unless_leading() is True


def test_a_member_whose_joingroup_is_unanswered_may_be_the_leader(group):
    coordinator, member, rounds = group(leader="m-2")
    assert coordinator.ensure_active_group(timeout_ms=100) is False  # the JoinGroup is out, unanswered
    assert member.stop_joining_unless_leading() is False
    assert coordinator.joins_closed is False


def test_a_follower_may_leave_once_its_joingroup_answer_names_another_leader(group):
    coordinator, member, rounds = group(leader="m-2")
    assert coordinator.ensure_active_group(timeout_ms=100) is False
    rounds.answer_join.set()
    assert rounds.joined.wait(5)
    assert member.stop_joining_unless_leading() is True  # its SyncGroup is still pending
    # From then on it sends no JoinGroup: it cannot become the leader before it has left.
    rounds.answer_sync.set()
    assert coordinator.ensure_active_group(timeout_ms=1000) is True
    coordinator.request_rejoin()
    with pytest.raises(_Leaving):
        coordinator.ensure_active_group(timeout_ms=1000)
    assert rounds.sent == 1


def test_the_leader_of_the_round_in_flight_waits_until_it_completed(group):
    coordinator, member, rounds = group(leader="m-1")
    rounds.answer_join.set()
    assert coordinator.ensure_active_group(timeout_ms=100) is False
    assert rounds.joined.wait(5)
    assert member.stop_joining_unless_leading() is False  # named leader, its SyncGroup not answered
    rounds.answer_sync.set()
    assert coordinator.ensure_active_group(timeout_ms=1000) is True
    assert member.stop_joining_unless_leading() is True  # the round is complete: the group is settled


@pytest.mark.parametrize("leader, may_leave", [("m-1", False), ("m-2", True)])
def test_a_rebalance_pending_waits_only_for_the_member_that_led_the_last_round(group, leader, may_leave):
    """The group rebalances (a heartbeat answered REBALANCE_IN_PROGRESS, or the herder asked), before
    this member's JoinGroup: the coordinator keeps the last leader, while it is in the group."""
    coordinator, member, rounds = group(leader=leader)
    rounds.answer_join.set()
    rounds.answer_sync.set()
    assert coordinator.ensure_active_group(timeout_ms=1000) is True
    coordinator.request_rejoin()
    assert member.stop_joining_unless_leading() is may_leave
