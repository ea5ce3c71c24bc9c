"""The JDBC sink's half of the sink fast path (api/sink_rows.py): rows → buffer entries.

``add_rows`` is ``entries.add_records`` (``JdbcSinkTask._add``) for a RowBatch: the same exactly-once
skipping and offset bookkeeping, and the same buffer entries — ``TablePlan.extract_values`` gives from a record's
values exactly what ``TablePlan.extract`` gives from its SinkRecord (the same getters, defaults,
timestamp conversions and adapters). Tombstones, schemaless values and tolerant sinks never get
here: ``JdbcSinkTask.row_plan`` leaves them to ``put()``. Projected rows (``ProjectedPlan`` in the
plan's place) already hold the entry key and the value columns: the entry is their concatenation.
"""

from __future__ import annotations

from typing import Any

from ....api.sink_rows import RowBatch
from .writers import TransientError
from .writers.base import ProjectedPlan


def add_rows(task: Any, batch: RowBatch, accepted: dict, failed: list) -> None:
    """Map rows to (origin, plan, key, row) entries in ``task``'s buffer; unmappable ones go to
    ``failed`` as (their ordinary SinkRecord, error)."""
    cfg, pending = task.cfg, task._pending
    eos = cfg.exactly_once
    floor, durable = task._accepted, task._durable
    append = task._buffer.append
    last: dict[tuple[str, int], int] = {}
    tp: tuple[str, int] | None = None
    run_topic, run_partition = None, -1  # tp's parts, compared without indexing per row
    run_last: int | None = None  # the last accepted offset of the current run of one partition
    for row in batch.rows:
        plan, topic, partition, offset, key, value, _message = row
        if partition != run_partition or topic != run_topic:
            if run_last is not None:
                last[tp] = run_last
            tp, run_last = (topic, partition), None
            run_topic, run_partition = topic, partition
        if eos:
            low = accepted.get(tp, floor.get(tp))
            if low is not None and offset < low:
                continue  # already written (or buffered): a replay after a rewind or restart
            accepted[tp] = offset + 1
            if tp not in durable:
                durable[tp] = offset  # nothing before it is ours: the place to rewind to
        run_last = offset
        if plan.__class__ is ProjectedPlan:  # the decoders selected the columns: nothing to extract
            append(((tp, offset), plan.plan, key, key + value))
            continue
        try:
            entry_key, values = plan.extract_values(key, value, topic, partition, offset)
        except TransientError:
            raise
        except Exception as exc:  # the record, not the database, is the problem
            failed.append((batch.record(row), exc))
            continue
        append(((tp, offset), plan, entry_key, values))  # tp: this run's (topic, partition), shared
    if run_last is not None:
        last[tp] = run_last
    for tp, offset in last.items():
        if pending.get(tp, -1) <= offset:
            pending[tp] = offset + 1
