"""The JDBC sink's put() path: SinkRecords → buffer entries.

``add_records`` is ``JdbcSinkTask._add``: it maps each record with its table's plan to an
``(origin, plan, key, row)`` entry (buffer.Entry) in the task's buffer, skips what exactly-once
mode has already written, and keeps the task's offset bookkeeping; records that cannot be mapped
go to ``failed``. ``rows.add_rows`` is its twin for the sink fast path: change both together.
"""

from __future__ import annotations

from typing import Any

from ....api.records import SinkRecord
from .records import RecordError, where
from .writers import TransientError

_NO_SHAPE = object()  # matches no schema: the next record looks its plan up again


def add_records(task: Any, records: list[SinkRecord], accepted: dict, failed: list) -> None:
    """Map records to (origin, plan, key, row) entries in ``task``'s buffer; unmappable ones go to ``failed``."""
    cfg, buffer, pending, plans = task.cfg, task._buffer, task._pending, task._plans
    eos, deletes = cfg.exactly_once, cfg.delete_enabled
    keep = cfg.tolerate_all  # buffered records may still be reported: keep them (see buffer.Entry)
    floor, durable = task._accepted, task._durable
    append = buffer.append
    last: dict[tuple[str, int], int] = {}
    tp: tuple[str, int] | None = None
    run_last: int | None = None  # the last accepted offset of the current run of one partition
    # The last record shape and its plan: consecutive records nearly always share them, and
    # identity tests are cheaper than the (topic, key schema, value schema) lookup.
    shape_topic = shape_key = shape_value = plan = None
    shape_null = False
    for record in records:
        # SinkRecord always carries where it was consumed, whatever an SMT changed.
        topic, partition, offset = (record.original_topic, record.original_kafka_partition,
                                    record.original_kafka_offset)
        if tp is None or tp[1] != partition or tp[0] != topic:
            if run_last is not None:
                last[tp] = run_last
            tp, run_last = (topic, partition), None
        if eos:
            low = accepted.get(tp, floor.get(tp))
            if low is not None and offset < low:
                continue  # already written (or buffered): a replay after a rewind or restart
            accepted[tp] = offset + 1
            if tp not in durable:
                durable[tp] = offset  # nothing before it is ours: the place to rewind to
        run_last = offset
        value = record.value
        try:
            key_schema, value_schema = record.key_schema, record.value_schema
            if (value_schema is not shape_value or key_schema is not shape_key or record.topic != shape_topic
                    or (value is None) is not shape_null or plan is None):
                shape = (record.topic, key_schema, value_schema, value is None)
                plan = plans.get(shape)
                if plan is None:
                    plan = task._plan(record)
                if shape in plans:  # cacheable (schemaless maps are planned per record)
                    shape_topic, shape_key, shape_value, shape_null = shape
                else:
                    shape_value = _NO_SHAPE
            origin = record if keep else (tp, offset)
            if value is None:
                if not deletes:
                    raise RecordError(f"Record {where(record)} has a null value (a tombstone) but "
                                      "delete.enabled is false")
                append((origin, plan, plan.layout.extract_key(record), None))
            else:
                key, row = plan.extract(record)
                append((origin, plan, key, row))
        except TransientError:
            raise
        except Exception as exc:  # the record, not the database, is the problem
            plan = None
            failed.append((record, exc))
    if run_last is not None:
        last[tp] = run_last
    for tp, offset in last.items():
        if pending.get(tp, -1) <= offset:
            pending[tp] = offset + 1
