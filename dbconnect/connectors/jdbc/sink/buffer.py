"""Buffered records → per-table write groups: the last write per key wins, deletes keep their order.

Per key, any sequence of writes and deletes reduces to "an optional DELETE, then an optional
write": a delete drops the pending write of its key and is remembered; a later write replaces
the pending one but leaves the delete in place. Running all of a table's DELETEs first and then
its writes therefore gives exactly the result of replaying the records one by one — in every
insert.mode — while each statement works on a whole batch (COPY, multi-row INSERT,
``= ANY``/``IN`` deletes). It also removes duplicate keys, which ``ON CONFLICT`` cannot update
twice in one statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from ....api.records import SinkRecord

# One buffered record: (origin, plan, key, row); row None means delete. Tuples, not objects:
# this is built once per record on the hot path. ``origin`` is the SinkRecord when the sink may
# have to report it (errors.tolerance=all), else only where it was consumed, ((topic, partition),
# offset): the record, its Struct and its consumed message are then freed as soon as put() returns.
Entry = tuple  # (SinkRecord | ((str, int), int), TablePlan, tuple | None, list | tuple | None)


@dataclass
class TableOps:
    """What one transaction does to one table."""

    table: Any
    deletes: dict[Any, list[tuple]] = field(default_factory=dict)  # plan → keys (raw, not adapted)
    writes: dict[Any, list[Any]] = field(default_factory=dict)  # plan → rows (adapted)


class _TableState:
    __slots__ = ("writes", "deletes", "appends", "plans")

    def __init__(self) -> None:
        self.writes: dict[Any, Entry] = {}  # key → the entry of its last write
        self.deletes: dict[Any, Any] = {}  # key → plan
        self.appends: list[Entry] = []  # entries of key-less rows
        self.plans: set = set()


def collapse(entries: list[Entry], sort_keys: bool = False) -> list[TableOps]:
    """Group ``entries`` (in consumption order) by table, last write per key wins.

    ``sort_keys`` orders each table's rows by key, so that concurrent tasks lock rows in the same
    order (no deadlocks, Confluent #385); PostgreSQL does it with ORDER BY instead.
    """
    tables: dict[Any, _TableState] = {}
    state_of: dict[Any, _TableState] = {}  # plan (identity hash) → its table's state
    last_plan: Any = None
    state: _TableState | None = None
    for entry in entries:
        _origin, plan, key, row = entry
        if plan is not last_plan:  # runs of one plan are the rule: no lookup per entry
            state = state_of.get(plan)
            if state is None:
                state = tables.get(plan.table)
                if state is None:
                    state = tables[plan.table] = _TableState()
                state_of[plan] = state
                state.plans.add(plan)
            last_plan = plan
        if row is None:
            state.writes.pop(key, None)
            state.deletes[key] = plan
        elif key is None:
            state.appends.append(entry)  # no key (pk.mode=none): every record is its own row
        else:
            state.writes[key] = entry
    result = []
    for table, state in tables.items():
        ops = TableOps(table)
        for key, plan in state.deletes.items():
            ops.deletes.setdefault(plan, []).append(key)
        items = state.writes
        if sort_keys and len(items) > 1:
            try:
                items = dict(sorted(items.items(), key=itemgetter(0)))
            except TypeError:
                pass  # keys that do not compare (None inside): keep consumption order
        if len(state.plans) == 1:  # the common case: one record shape per table
            [plan] = state.plans
            rows = [entry[3] for entry in items.values()]
            rows += [entry[3] for entry in state.appends]
            if rows:
                ops.writes[plan] = rows
        else:
            for entry in list(items.values()) + state.appends:
                ops.writes.setdefault(entry[1], []).append(entry[3])
        result.append(ops)
    return result


def next_offsets(entries: list[Entry]) -> dict[tuple[str, int], int]:
    """(topic, partition) → the offset after the last record among ``entries``."""
    offsets: dict[tuple[str, int], int] = {}
    for entry in entries:
        tp, offset = coordinates(entry[0])
        if offsets.get(tp, -1) <= offset:
            offsets[tp] = offset + 1
    return offsets


def coordinates(record: SinkRecord | tuple) -> tuple[tuple[str, int], int]:
    """((topic, partition), offset) where the record was consumed (before any SMT renamed it).

    ``record`` may be an entry's origin that is already that pair.
    """
    if record.__class__ is tuple:
        return record
    topic = record.original_topic if record.original_topic is not None else record.topic
    partition = (record.original_kafka_partition if record.original_kafka_partition is not None
                 else record.kafka_partition)
    offset = record.original_kafka_offset if record.original_kafka_offset is not None else record.kafka_offset
    return (topic, partition), offset
