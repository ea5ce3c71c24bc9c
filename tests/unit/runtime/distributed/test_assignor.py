"""The incremental cooperative assignor: balance, lost work held back then moved, nothing twice."""

from __future__ import annotations

import random

import pytest

from dbconnect.runtime.distributed.assignor import IncrementalCooperativeAssignor
from dbconnect.runtime.distributed.connect_protocol import CONFIG_MISMATCH, ConnectorsAndTasks, WorkerState
from dbconnect.runtime.stores.status import ConnectorTaskId


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Cluster:
    """Members that apply their assignments as WorkerGroupMember does: keep, drop revoked, add new."""

    def __init__(self, max_delay_ms: int = 0) -> None:
        self.clock = Clock()
        self.assignor = IncrementalCooperativeAssignor(max_delay_ms, clock=self.clock)
        self.members: dict[str, tuple[set[str], set[ConnectorTaskId]]] = {}
        self.connectors: dict[str, int] = {}
        self.generation = 0
        self.last: dict = {}

    def join(self, *ids: str) -> None:
        for m in ids:
            self.members[m] = (set(), set())

    def leave(self, *ids: str) -> None:
        for m in ids:
            del self.members[m]

    def round(self) -> dict:
        states = {m: WorkerState(f"http://{m}", 10, ConnectorsAndTasks(tuple(sorted(c)), tuple(sorted(t))))
                  for m, (c, t) in self.members.items()}
        leader = sorted(self.members)[0]
        out = self.assignor.assign(leader, f"http://{leader}", 10, states, self.connectors, self.generation,
                                   last_completed_generation=self.generation - 1 if self.generation else None)
        assert set(out) == set(self.members)
        # Safety: new work never goes to a member while another member still runs it.
        for m, a in out.items():
            others_c = set().union(*[c for k, (c, _) in self.members.items() if k != m])
            others_t = set().union(*[t for k, (_, t) in self.members.items() if k != m])
            assert not set(a.connectors) & others_c, (m, a.connectors)
            assert not set(a.tasks) & others_t, (m, a.tasks)
            c, t = self.members[m]
            assert set(a.revoked_connectors) <= c and set(a.revoked_tasks) <= t  # only revoke what it runs
        for m, a in out.items():
            c, t = self.members[m]
            c -= set(a.revoked_connectors)
            t -= set(a.revoked_tasks)
            c |= set(a.connectors)
            t |= set(a.tasks)
        self.generation += 1
        self.last = out
        return out

    def settle(self, max_rounds: int = 8) -> int:
        """Rounds until one revokes nothing and holds nothing back."""
        for n in range(1, max_rounds + 1):
            out = self.round()
            if all(not a.revoked_tasks and not a.revoked_connectors and a.delay_ms == 0 for a in out.values()):
                return n
        pytest.fail(f"not settled after {max_rounds} rounds: {self.members}")

    def tasks_of(self, m: str) -> set[ConnectorTaskId]:
        return self.members[m][1]

    def check_complete_and_balanced(self) -> None:
        all_c = [c for cs, _ in self.members.values() for c in cs]
        all_t = [t for _, ts in self.members.values() for t in ts]
        assert len(all_c) == len(set(all_c)) and len(all_t) == len(set(all_t)), "assigned twice"
        assert set(all_c) == set(self.connectors)
        assert set(all_t) == {ConnectorTaskId(c, i) for c, n in self.connectors.items() for i in range(n)}
        loads_t = [len(t) for _, t in self.members.values()]
        loads_c = [len(c) for c, _ in self.members.values()]
        assert max(loads_t) - min(loads_t) <= 1, self.members
        assert max(loads_c) - min(loads_c) <= 1, self.members


def T(c: str, i: int) -> ConnectorTaskId:
    return ConnectorTaskId(c, i)


def test_first_round_assigns_everything_balanced():
    cluster = Cluster()
    cluster.join("w1", "w2", "w3")
    cluster.connectors = {"a": 4, "b": 3, "c": 1}
    assert cluster.settle() == 1
    cluster.check_complete_and_balanced()


def test_a_new_worker_gets_its_share_by_revocation_then_assignment_and_only_that_moves():
    cluster = Cluster(max_delay_ms=300000)
    cluster.join("w1", "w2")
    cluster.connectors = {"a": 6, "b": 0}
    cluster.settle()
    before = {m: set(cluster.tasks_of(m)) for m in ("w1", "w2")}
    cluster.join("w3")
    first = cluster.round()
    revoked = [t for a in first.values() for t in a.revoked_tasks]
    assert len(revoked) == 2 and not first["w3"].tasks  # revoked in this round, not yet reassigned
    second = cluster.round()
    assert set(second["w3"].tasks) == set(revoked)
    cluster.settle()
    cluster.check_complete_and_balanced()
    # What did not have to move stayed where it was.
    for m in ("w1", "w2"):
        assert cluster.tasks_of(m) <= before[m] and len(before[m] - cluster.tasks_of(m)) == 1


def test_a_departed_workers_work_waits_for_the_delay_then_moves():
    cluster = Cluster(max_delay_ms=10000)
    cluster.join("w1", "w2", "w3")
    cluster.connectors = {"a": 6}
    cluster.settle()
    gone = set(cluster.tasks_of("w3")) | {("conn", c) for c in cluster.members["w3"][0]}
    lost_tasks = set(cluster.tasks_of("w3"))
    cluster.leave("w3")
    held = cluster.round()
    assert all(a.delay_ms == 10000 for a in held.values())
    assert not any(a.tasks for a in held.values()), "lost work must wait"
    cluster.clock.now += 4
    still = cluster.round()
    assert all(a.delay_ms == 6000 for a in still.values()) and not any(a.tasks for a in still.values())
    cluster.clock.now += 6
    moved = cluster.round()
    assert set(moved["w1"].tasks) | set(moved["w2"].tasks) == lost_tasks
    assert all(a.delay_ms == 0 for a in moved.values())
    cluster.settle()
    cluster.check_complete_and_balanced()
    assert gone


def test_a_worker_restarted_within_the_delay_gets_its_own_work_back_and_nothing_else_moves():
    cluster = Cluster(max_delay_ms=10000)
    cluster.join("w1", "w2", "w3")
    cluster.connectors = {"a": 5, "b": 4}
    cluster.settle()
    own = (set(cluster.members["w3"][0]), set(cluster.tasks_of("w3")))
    others = {m: (set(cluster.members[m][0]), set(cluster.tasks_of(m))) for m in ("w1", "w2")}
    cluster.leave("w3")
    cluster.round()
    cluster.clock.now += 3
    cluster.join("w3-restarted")  # a new member id, nothing running: a candidate for the lost work
    waiting = cluster.round()
    assert not waiting["w3-restarted"].tasks and waiting["w3-restarted"].delay_ms == 7000
    cluster.clock.now += 7
    back = cluster.round()
    assert (set(back["w3-restarted"].connectors), set(back["w3-restarted"].tasks)) == own
    cluster.settle()
    assert {m: (set(cluster.members[m][0]), set(cluster.tasks_of(m))) for m in ("w1", "w2")} == others
    cluster.check_complete_and_balanced()


def test_with_no_delay_lost_work_moves_at_once():
    cluster = Cluster(max_delay_ms=0)
    cluster.join("w1", "w2")
    cluster.connectors = {"a": 4}
    cluster.settle()
    lost = set(cluster.tasks_of("w2"))
    cluster.leave("w2")
    out = cluster.round()
    assert set(out["w1"].tasks) == lost and out["w1"].delay_ms == 0


def test_duplicated_work_is_revoked_everywhere_then_assigned_once():
    cluster = Cluster()
    cluster.join("w1", "w2")
    cluster.connectors = {"a": 2}
    cluster.members["w1"] = ({"a"}, {T("a", 0), T("a", 1)})
    cluster.members["w2"] = ({"a"}, {T("a", 0)})
    out = cluster.round()
    assert T("a", 0) in out["w1"].revoked_tasks and T("a", 0) in out["w2"].revoked_tasks
    assert "a" in out["w1"].revoked_connectors and "a" in out["w2"].revoked_connectors
    cluster.settle()
    cluster.check_complete_and_balanced()


def test_deleted_connectors_are_revoked_even_by_a_new_leader():
    cluster = Cluster()
    cluster.join("w1", "w2")
    cluster.connectors = {"a": 1}
    cluster.members["w1"] = ({"gone"}, {T("gone", 0), T("a", 0)})
    out = cluster.round()
    assert out["w1"].revoked_connectors == ["gone"] and out["w1"].revoked_tasks == [T("gone", 0)]
    cluster.settle()
    cluster.check_complete_and_balanced()


def test_a_leader_behind_the_members_config_offset_answers_config_mismatch():
    assignor = IncrementalCooperativeAssignor(0)
    out = assignor.assign("w1", "http://w1", 5, {"w1": WorkerState("http://w1", 5), "w2": WorkerState("http://w2", 9)},
                          {"a": 1}, 3)
    assert {a.error for a in out.values()} == {CONFIG_MISMATCH}
    assert {a.config_offset for a in out.values()} == {9}
    assert not any(a.tasks or a.connectors for a in out.values())


@pytest.mark.parametrize("seed", range(60))
def test_random_histories_converge_balanced_with_nothing_twice(seed):
    rng = random.Random(seed)
    delay = rng.choice([0, 5000])
    cluster = Cluster(max_delay_ms=delay)
    next_id = 0
    for _ in range(rng.randint(1, 5)):
        cluster.join(f"w{next_id}")
        next_id += 1
    cluster.connectors = {f"c{i}": rng.randint(0, 6) for i in range(rng.randint(1, 6))}
    for step in range(rng.randint(3, 8)):
        change = rng.random()
        if change < 0.25:
            cluster.join(f"w{next_id}")
            next_id += 1
        elif change < 0.45 and len(cluster.members) > 1:
            cluster.leave(rng.choice(sorted(cluster.members)))
        elif change < 0.65:
            cluster.connectors[f"c{rng.randint(0, 9)}"] = rng.randint(0, 6)
        elif change < 0.75 and len(cluster.connectors) > 1:
            del cluster.connectors[rng.choice(sorted(cluster.connectors))]
        for _ in range(rng.randint(1, 3)):
            out = cluster.round()
            if any(a.delay_ms for a in out.values()) and rng.random() < 0.5:
                cluster.clock.now += delay / 1000.0
    cluster.clock.now += delay / 1000.0 + 1
    cluster.settle(max_rounds=10)
    cluster.check_complete_and_balanced()


def test_a_round_that_did_not_complete_does_not_make_the_leader_forget_the_last_completed_one():
    clock = Clock()
    assignor = IncrementalCooperativeAssignor(10000, clock=clock)
    connectors = {"a": 4}

    def states(alloc):
        return {m: WorkerState(f"http://{m}", 0, ConnectorsAndTasks((), tuple(ts))) for m, ts in alloc.items()}

    first = assignor.assign("w1", "http://w1", 0, states({"w1": [], "w2": []}), connectors, 0)
    alloc = {m: list(a.tasks) for m, a in first.items()}
    # Generation 1 is computed but its SyncGroup fails: nobody receives it.
    assignor.assign("w1", "http://w1", 0, states(alloc), connectors, 1, last_completed_generation=0)
    # Generation 2: w2 is gone. Its tasks are lost work, held back, not new work handed to w1 at once.
    out = assignor.assign("w1", "http://w1", 0, states({"w1": alloc["w1"]}), connectors, 2, last_completed_generation=0)
    assert out["w1"].tasks == [] and out["w1"].delay_ms == 10000
