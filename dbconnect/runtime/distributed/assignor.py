"""The leader's assignment of connectors and tasks: Kafka's incremental cooperative assignor (KIP-415).

Pure logic, kept between rounds by the leader (a new leader starts with no memory, as in Kafka). One
round, from the members' metadata (what each runs: its ``allocation``) and the configured connectors:

1. what the members run now is the *active* assignment; the leader's own view of the previous round
   (what it handed out) is the *previous* assignment;
2. work that is no longer configured (deleted) and work that two members both run (duplicated) is
   revoked from the members that run it;
3. work in the previous assignment that no member runs any more is *lost* (its worker left). It is held
   back for up to ``scheduled.rebalance.max.delay.ms``: every assignment carries ``delay_ms`` so the
   members rejoin when it ends. Workers that joined empty-handed meanwhile are the candidates (a worker
   that restarted quickly comes back empty): when the delay ends the lost work goes to them, else to
   everyone as new work. With the delay at 0 it is reassigned at once;
4. work never assigned (created) and lost work being reassigned goes to the least loaded workers;
5. balance: when no delay is running, workers above their fair share (⌊n/w⌋, or one more for n mod w
   of them) of connectors and of tasks have the excess revoked in this round; the revoked work is
   unassigned in the next round and then given to the least loaded. Consecutive revoking rounds back
   off (40 ms, 1.6 s, …, capped at the max delay) so a flapping group does not thrash.

Each member's ``ExtendedAssignment`` lists only its *new* work in ``connectors``/``tasks`` (what it keeps
is implied) and what it must stop in ``revoked_*``, as Kafka's leader sends them. One deliberate
difference from Kafka: work a member runs that is not configured is revoked even when this leader has
no previous view of it (Kafka detects deletions only from its previous assignment).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ..stores.status import ConnectorTaskId
from .connect_protocol import CONFIG_MISMATCH, CONNECT_PROTOCOL_V1, NO_ERROR, ExtendedAssignment, WorkerState

log = logging.getLogger(__name__)


@dataclass
class _Work:
    connectors: set[str] = field(default_factory=set)
    tasks: set[ConnectorTaskId] = field(default_factory=set)

    def copy(self) -> _Work:
        return _Work(set(self.connectors), set(self.tasks))

    def is_empty(self) -> bool:
        return not self.connectors and not self.tasks

    def minus(self, *others: _Work) -> _Work:
        out = self.copy()
        for other in others:
            out.connectors -= other.connectors
            out.tasks -= other.tasks
        return out

    def add(self, other: _Work) -> None:
        self.connectors |= other.connectors
        self.tasks |= other.tasks


def _sorted_tasks(tasks: Iterable[ConnectorTaskId]) -> list[ConnectorTaskId]:
    return sorted(tasks, key=lambda t: (t.connector, t.task))


class IncrementalCooperativeAssignor:
    """Kafka's IncrementalCooperativeAssignor; ``clock`` returns seconds (monotonic)."""

    def __init__(self, scheduled_rebalance_max_delay_ms: int, clock: Callable[[], float] = time.monotonic) -> None:
        if scheduled_rebalance_max_delay_ms < 0:
            raise ValueError("scheduled.rebalance.max.delay.ms must be >= 0")
        self.max_delay_ms = int(scheduled_rebalance_max_delay_ms)
        self.clock = clock
        self._previous = _Work()
        self._previous_generation: int | None = None
        self._previous_members: set[str] = set()
        self._previous_revocation = _Work()
        self._revoked_in_previous = False
        self._successive_revoking_rounds = 0
        self._scheduled_rebalance_ms = 0  # 0 = none scheduled
        self._delay_ms = 0
        self._candidates: set[str] = set()
        # The views of the last few rounds this leader computed, by generation.
        self._views: dict[int, tuple[_Work, set[str]]] = {}

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    # -- one round -----------------------------------------------------------------------------

    def assign(self, leader_id: str, leader_url: str, config_offset: int, members: Mapping[str, WorkerState],
               connectors: Mapping[str, int], generation: int,
               last_completed_generation: int | None = None) -> dict[str, ExtendedAssignment]:
        """Every member's assignment for this round.

        ``config_offset`` is the offset of the config snapshot ``connectors`` comes from (the leader's);
        when a member has read further, the leader is behind: every member gets a CONFIG_MISMATCH
        assignment naming the highest offset (the herder reads to it and rejoins). Pass the leader's
        ``last_completed_generation`` when known: a leader whose previous round did not complete forgets
        its view of it, as Kafka's does.
        """
        if not members:
            return {}
        max_offset = max(state.config_offset for state in members.values())
        if max_offset > config_offset:
            log.info("Leader's config offset %s is behind a member's (%s): assignment error CONFIG_MISMATCH",
                     config_offset, max_offset)
            return {m: ExtendedAssignment(CONNECT_PROTOCOL_V1, CONFIG_MISMATCH, leader_id, leader_url, max_offset)
                    for m in members}

        if last_completed_generation is not None and self._previous_generation != last_completed_generation:
            # The round this leader computed last did not complete (its SyncGroup failed), so the members
            # never received it. Kafka forgets its view then; this leader goes back to the view of the last
            # round that did complete, when it computed that one, so a departed worker's work is still
            # recognised as lost (held back) rather than taken for new work.
            view = self._views.get(last_completed_generation)
            if view is not None:
                self._previous, self._previous_members = view[0].copy(), set(view[1])
            else:
                self._previous, self._previous_members = _Work(), set()
            self._previous_revocation = _Work()

        configured = _Work(set(connectors), {ConnectorTaskId(c, i) for c, n in connectors.items() for i in range(int(n))})
        current = {m: _Work(set(s.allocation.connectors), set(s.allocation.tasks)) if s.allocation else _Work()
                   for m, s in sorted(members.items())}
        active = _Work()
        for work in current.values():
            active.add(work)

        # A revocation of the last round that did not happen: re-derive the view from what runs.
        if not self._previous_revocation.is_empty():
            if (self._previous_revocation.connectors & active.connectors) or (self._previous_revocation.tasks & active.tasks):
                self._previous = active.copy()
            self._previous_revocation = _Work()

        previous = self._previous
        deleted = _Work(previous.connectors | active.connectors, previous.tasks | active.tasks).minus(configured)
        duplicated = self._duplicated(current)
        lost = previous.minus(active, deleted)
        created = configured.minus(previous, active)

        to_revoke: dict[str, _Work] = {m: _Work() for m in current}
        for m, work in current.items():
            to_revoke[m].connectors |= work.connectors & (deleted.connectors | duplicated.connectors)
            to_revoke[m].tasks |= work.tasks & (deleted.tasks | duplicated.tasks)
        # The base of the incremental diff: what each member runs, deleted work aside.
        base = {m: work.minus(deleted) for m, work in current.items()}
        nxt = {m: work.minus(to_revoke[m]) for m, work in current.items()}

        lost_to_reassign = self._handle_lost(lost, nxt)
        unassigned = _Work()

        if self._delay_ms == 0:
            balancing = self._balancing_revocations(configured, nxt)
            if self._revoked_in_previous and balancing:
                self._successive_revoking_rounds += 1
                self._delay_ms = self._backoff_ms(self._successive_revoking_rounds)
                if self._delay_ms:
                    self._scheduled_rebalance_ms = self._now_ms() + self._delay_ms
                    log.debug("Consecutive revoking rounds: revocations wait %s ms", self._delay_ms)
                else:
                    self._apply_revocations(balancing, to_revoke, nxt, current, unassigned)
            elif balancing:
                self._apply_revocations(balancing, to_revoke, nxt, current, unassigned)
                self._revoked_in_previous = True
            elif self._revoked_in_previous:
                self._revoked_in_previous = False
                self._successive_revoking_rounds = 0
        else:
            self._revoked_in_previous = False

        to_assign = created.copy()
        to_assign.add(lost_to_reassign)
        to_assign.add(unassigned)
        order = list(nxt)  # member ids, sorted: ties go to the smaller id, deterministically
        for connector in sorted(to_assign.connectors):
            target = min(order, key=lambda m: (len(nxt[m].connectors), order.index(m)))
            nxt[target].connectors.add(connector)
        for task in _sorted_tasks(to_assign.tasks):
            target = min(order, key=lambda m: (len(nxt[m].tasks), order.index(m)))
            nxt[target].tasks.add(task)

        # The leader's memory of this round.
        handed_out = _Work()
        for work in nxt.values():
            handed_out.add(work)
        revoked_all = _Work()
        for work in to_revoke.values():
            revoked_all.add(work)
        self._previous = handed_out.minus(revoked_all)
        self._previous.add(lost)
        self._previous_revocation = revoked_all
        self._previous_generation = generation
        self._previous_members = set(members)
        self._views[generation] = (self._previous.copy(), set(members))
        for old in sorted(self._views)[:-4]:
            del self._views[old]

        out: dict[str, ExtendedAssignment] = {}
        for m in current:
            new = nxt[m].minus(base[m])
            out[m] = ExtendedAssignment(
                CONNECT_PROTOCOL_V1, NO_ERROR, leader_id, leader_url, config_offset,
                sorted(new.connectors), _sorted_tasks(new.tasks),
                sorted(to_revoke[m].connectors), _sorted_tasks(to_revoke[m].tasks), self._delay_ms)
        log.debug("Generation %s: assignments %s", generation, out)
        return out

    # -- the parts of a round ------------------------------------------------------------------

    @staticmethod
    def _duplicated(current: Mapping[str, _Work]) -> _Work:
        seen = _Work()
        dup = _Work()
        for work in current.values():
            dup.connectors |= work.connectors & seen.connectors
            dup.tasks |= work.tasks & seen.tasks
            seen.add(work)
        return dup

    def _handle_lost(self, lost: _Work, nxt: dict[str, _Work]) -> _Work:
        """Lost work to reassign as new now (empty while it is held back); may give it to candidates."""
        if lost.is_empty() and not self._revoked_in_previous:
            self._reset_delay()
            return _Work()
        now = self._now_ms()
        if self._scheduled_rebalance_ms <= 0 and set(nxt) >= self._previous_members:
            # Nobody left: the members simply did not receive the last round's assignments.
            return lost.copy()
        if self.max_delay_ms == 0:
            return lost.copy()
        if self._scheduled_rebalance_ms > 0 and now >= self._scheduled_rebalance_ms:
            candidates = [m for m in nxt if m in self._candidates]
            reassign = _Work()
            if candidates:
                for i, connector in enumerate(sorted(lost.connectors)):
                    nxt[candidates[i % len(candidates)]].connectors.add(connector)
                for i, task in enumerate(_sorted_tasks(lost.tasks)):
                    nxt[candidates[i % len(candidates)]].tasks.add(task)
            else:
                reassign = lost.copy()
            self._reset_delay()
            self._revoked_in_previous = False
            return reassign
        # Hold the lost work back; empty workers that join meanwhile are the candidates for it.
        self._candidates |= {m for m, work in nxt.items() if work.is_empty()}
        if now < self._scheduled_rebalance_ms:
            self._delay_ms = min(self._scheduled_rebalance_ms - now, self.max_delay_ms)
        else:
            self._delay_ms = self.max_delay_ms
        self._scheduled_rebalance_ms = now + self._delay_ms
        log.info("Lost work %s held back for %s ms for its worker to return", sorted(lost.connectors) +
                 [str(t) for t in _sorted_tasks(lost.tasks)], self._delay_ms)
        return _Work()

    def _reset_delay(self) -> None:
        self._candidates.clear()
        self._scheduled_rebalance_ms = 0
        self._delay_ms = 0

    def _backoff_ms(self, rounds: int) -> int:
        if self.max_delay_ms == 0:
            return 0
        return int(min(self.max_delay_ms, 40 ** (rounds - 1) * 40))

    @staticmethod
    def _apply_revocations(revocations: dict[str, _Work], to_revoke: dict[str, _Work], nxt: dict[str, _Work],
                           current: dict[str, _Work], unassigned: _Work) -> None:
        """Take the excess off; what the member does not run yet (given this round) just goes back to the pool."""
        for m, work in revocations.items():
            running = _Work(work.connectors & current[m].connectors, work.tasks & current[m].tasks)
            to_revoke[m].add(running)
            unassigned.add(work.minus(running))
            nxt[m] = nxt[m].minus(work)

    def _balancing_revocations(self, configured: _Work, nxt: dict[str, _Work]) -> dict[str, _Work]:
        if all(work.is_empty() for work in nxt.values()) or configured.is_empty():
            return {}
        out: dict[str, _Work] = {}
        for m, items in self._excess(len(configured.connectors), {m: sorted(w.connectors) for m, w in nxt.items()}).items():
            out.setdefault(m, _Work()).connectors |= set(items)
        for m, items in self._excess(len(configured.tasks), {m: _sorted_tasks(w.tasks) for m, w in nxt.items()}).items():
            out.setdefault(m, _Work()).tasks |= set(items)
        return out

    @staticmethod
    def _excess(total: int, loads: dict[str, list]) -> dict[str, list]:
        """What to take from each worker above its fair share (Kafka's loadBalancingRevocations)."""
        workers = len(loads)
        minimum, extras = divmod(total, workers)
        sizes = [len(v) for v in loads.values()]
        if sizes.count(minimum + 1) == extras and sizes.count(minimum) + sizes.count(minimum + 1) == workers:
            return {}
        out: dict[str, list] = {}
        given_extras = 0
        for m, items in loads.items():
            if len(items) <= minimum:
                continue
            if given_extras < extras:
                given_extras += 1
                if len(items) == minimum + 1:
                    continue
                allowed = minimum + 1
            else:
                allowed = minimum
            # Revoke from the end: the most recently numbered work moves, the first stays put.
            out[m] = items[allowed:]
        return out
