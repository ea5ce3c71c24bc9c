"""A join round that completes between two of the member thread's waits is taken, not joined again.

The member thread waits for a JoinGroup/SyncGroup round in slices (``ensure_active_group(timeout_ms=
1000)``, then its own chores, then again). kafka-python keeps the round's task between slices, but
took a task that had *completed* in between for a stale one and sent a new JoinGroup: the assignment
the coordinator had handed out was dropped and the member spent a whole extra round getting it again
(issue 14's kill -9 failover: ≈ 5 s on the test broker, rounds of 21 s against the 20 s bound).

Driven through kafka-python's own ``join_group_async`` on its IO thread; only the network round trip
(``BaseCoordinator._do_join_and_sync_async``) is replaced, by a round the test completes when it wants.
No broker: the client never connects.
"""

from __future__ import annotations

import threading
import time

import pytest
from kafka.coordinator.base import BaseCoordinator
from dbconnect.runtime.distributed.connect_protocol import ExtendedAssignment, serialize_assignment
from dbconnect.runtime.distributed.group_member import WorkerGroupMember

from .offline_group import CONFIG, offline_coordinator

ASSIGNMENT = serialize_assignment(ExtendedAssignment(2, 0, "leader-1", "http://l:8083", 7, ["a"]))


class Rounds:
    """Stands for the JoinGroup/SyncGroup round trips: each one returns ASSIGNMENT once released."""

    def __init__(self) -> None:
        self.sent = 0
        self.completed = 0
        self.release = threading.Event()

    async def round_trip(self, coordinator: BaseCoordinator) -> bytes:
        self.sent += 1
        while not self.release.is_set():
            await coordinator._manager._net.sleep(0.01)
        self.completed += 1
        return ASSIGNMENT


@pytest.fixture
def coordinator(monkeypatch):
    rounds = Rounds()
    member = WorkerGroupMember(CONFIG, "http://me:8083", listener=None)
    coordinator = offline_coordinator(monkeypatch, member, rounds)
    try:
        yield coordinator, member, rounds
    finally:
        member._client.close()


def wait_for(condition, what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_a_round_completed_between_two_waits_is_taken_without_a_second_joingroup(coordinator):
    coordinator, member, rounds = coordinator
    # The first slice gives up while the round is still with the coordinator.
    assert coordinator.ensure_active_group(timeout_ms=100) is False
    assert rounds.sent == 1 and member._pending is None
    # The round completes while the member thread does its chores between two slices.
    rounds.release.set()
    wait_for(lambda: rounds.completed == 1, "the round to complete")
    # The next slice takes that round's assignment: no second JoinGroup, the member has it.
    assert coordinator.ensure_active_group(timeout_ms=1000) is True
    assert rounds.sent == 1
    assert member._pending is not None and member._pending[3] == ASSIGNMENT
    assert not coordinator.need_rejoin()


def test_a_completed_round_is_not_taken_once_the_generation_was_reset(coordinator):
    """A lost session (reset_generation) between the two slices: that round is no longer ours."""
    coordinator, member, rounds = coordinator
    assert coordinator.ensure_active_group(timeout_ms=100) is False
    rounds.release.set()
    wait_for(lambda: rounds.completed == 1, "the round to complete")
    coordinator.reset_generation()
    assert coordinator.ensure_active_group(timeout_ms=1000) is True
    assert rounds.sent == 2  # joined again, as a member whose round was lost must


def test_a_round_awaited_to_its_end_leaves_nothing_for_the_next_one(coordinator):
    coordinator, member, rounds = coordinator
    rounds.release.set()
    assert coordinator.ensure_active_group(timeout_ms=1000) is True
    assert rounds.sent == 1
    coordinator.request_rejoin()  # a new round (a config change, a revocation): a real JoinGroup
    assert coordinator.ensure_active_group(timeout_ms=1000) is True
    assert rounds.sent == 2
