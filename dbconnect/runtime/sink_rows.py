"""The runtime half of the sink fast path (api/sink_rows.py): consumed messages → runs of rows and records.

WorkerSinkTask uses a RowPath only when no transformation is configured, both converters offer
row decoders (``RowDecoding``) and the task accepts rows (``RowSinkTask``). Per message, the
shape of the previous message (topic, key header, value header) is tested first; a message
of another shape is converted the ordinary way (WorkerSinkTask._record: same errors, DLQ copy
and headers as without the fast path), and its shape is then looked up or planned: the
converters' decoders plus the task's row plan, or None (that shape stays ordinary).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..api.records import SinkRecord
from ..api.sink_rows import RowBatch, RowDecoding, RowSinkTask

log = logging.getLogger(__name__)

_NOTHING = object()  # a header no message starts with (the previous shape is unknown)


def fast_path_problem(task: Any, key_converter: Any, value_converter: Any, transforms: bool) -> str | None:
    """Why the fast path cannot be used for this task, or None when it can."""
    if transforms:
        return "a transformation is configured"
    if not isinstance(task, RowSinkTask):
        return f"{type(task).__name__} takes SinkRecords only"
    for kind, converter in (("key", key_converter), ("value", value_converter)):
        if not isinstance(converter, RowDecoding):
            return f"the {kind} converter {type(converter).__name__} has no row decoder"
    return None


def _projected(plan: Any, key_decoder: Any, value_decoder: Any) -> tuple[Any, Any, Any]:
    """(plan, key decode, value decode) for a shape: the projections when the plan takes projected
    rows (``row_fields``) and both decoders offer them, else the plan and the plain decoders."""
    fields = getattr(plan, "row_fields", None)
    plain = (plan, None if key_decoder is None else key_decoder.decode, value_decoder.decode)
    if fields is None:
        return plain
    key_fields, value_fields, projected = fields
    if value_decoder.project is None or (key_decoder is None and key_fields) or (
            key_decoder is not None and key_decoder.project is None):
        return plain
    return (projected, None if key_decoder is None else key_decoder.project(tuple(key_fields)),
            value_decoder.project(tuple(value_fields)))


class RowPath:
    """Splits each poll into runs of rows (``RowBatch``) and runs of SinkRecords, in order."""

    def __init__(self, owner: Any) -> None:
        self.owner = owner  # the WorkerSinkTask: its converters, task, _record() and offsets
        # (topic, key header or None, value header) → (plan, key decode, value decode) or None.
        self._shapes: dict[tuple, Any] = {}
        self._key_length = self._value_length = 0  # header lengths of this task's converters
        self._reset_last()

    def _reset_last(self) -> None:
        self._topic: Any = _NOTHING
        self._key_header: Any = _NOTHING
        self._value_header: Any = _NOTHING
        self._plan = self._decode_key = self._decode_value = None

    def split(self, messages: list[Any]) -> list[list[SinkRecord] | RowBatch]:
        owner = self.owner
        parts: list[list[SinkRecord] | RowBatch] = []
        records: list[SinkRecord] = []
        rows: list[tuple] = []
        append_row = rows.append
        to_record = owner._record
        last_offsets: dict[tuple[str, int], int] = {}
        run_topic, run_partition, run_offset = None, -1, -1
        topic_now, key_header, value_header = self._topic, self._key_header, self._value_header
        plan, decode_key, decode_value = self._plan, self._decode_key, self._decode_value
        for msg in messages:
            err = msg.error()
            if err is not None:
                owner.figures.records_in -= 1  # an event (no record): counted with the batch, taken back
                owner._consumer_error(err, msg)
                continue
            topic, partition, offset = msg.topic(), msg.partition(), msg.offset()
            if partition != run_partition or topic != run_topic:
                if run_topic is not None:
                    last_offsets[(run_topic, run_partition)] = run_offset
                run_topic, run_partition = topic, partition
            run_offset = offset
            value_bytes, key_bytes = msg.value(), msg.key()
            if value_bytes is None or msg.headers():
                # A tombstone, or a message with headers (rows carry none, and the header
                # converter's errors must be handled as without the fast path): the ordinary way.
                fast = False
            else:
                fast = (topic == topic_now and value_bytes.startswith(value_header)
                        and (key_header is None if key_bytes is None
                             else key_header is not None and key_bytes.startswith(key_header)))
                if not fast:  # another shape: one seen before (schemas alternating) is fast too
                    shape = self._known(topic, key_bytes, value_bytes)
                    if shape is not None:
                        topic_now = topic
                        key_header, value_header, plan, decode_key, decode_value = shape
                        fast = True
            if fast:
                try:
                    key = None if key_bytes is None else decode_key(key_bytes)
                    value = decode_value(value_bytes)
                except Exception:  # noqa: BLE001 — the ordinary conversion below decides
                    pass
                else:
                    if records:
                        parts.append(records)
                        records = []
                    append_row((plan, topic, partition, offset, key, value, msg))
                    continue
            record = to_record(msg, True)
            if record is None:
                continue  # tolerated (errors.tolerance=all): reported, offset advanced
            if rows:
                parts.append(RowBatch(rows, self.record))
                rows = []
                append_row = rows.append
            records.append(record)
            if value_bytes is not None:
                shape = self._shape(topic, key_bytes, value_bytes, record)
                if shape is not None:
                    topic_now = topic
                    key_header, value_header, plan, decode_key, decode_value = shape
        if rows:
            parts.append(RowBatch(rows, self.record))
        if records:
            parts.append(records)
        if run_topic is not None:
            last_offsets[(run_topic, run_partition)] = run_offset
        owner._advance(last_offsets)
        self._topic, self._key_header, self._value_header = topic_now, key_header, value_header
        self._plan, self._decode_key, self._decode_value = plan, decode_key, decode_value
        return parts

    def record(self, row: tuple) -> SinkRecord:
        """A row's ordinary SinkRecord, converted again from its message (errors, reports)."""
        return self.owner._record(row[6], False)

    def _known(self, topic: str, key_bytes: bytes | None, value_bytes: bytes) -> tuple | None:
        """The planned shape of a message's headers, or None (not seen, or not fast)."""
        value_length, key_length = self._value_length, self._key_length
        if value_length and (key_bytes is None or key_length):  # the header lengths are known
            return self._shapes.get((topic, None if key_bytes is None else bytes(key_bytes[:key_length]),
                                     bytes(value_bytes[:value_length])))
        return None

    def _shape(self, topic: str, key_bytes: bytes | None, value_bytes: bytes, record: SinkRecord) -> tuple | None:
        """(key header, value header, plan, key decode, value decode) for records like ``record``."""
        value_length, key_length = self._value_length, self._key_length
        if value_length and (key_bytes is None or key_length):  # the header lengths are known
            known = (topic, None if key_bytes is None else bytes(key_bytes[:key_length]),
                     bytes(value_bytes[:value_length]))
            if known in self._shapes:
                return self._shapes[known]
        owner = self.owner
        value_decoder = owner.value_converter.row_decoder(topic, value_bytes)
        key_decoder = None if key_bytes is None else owner.key_converter.row_decoder(topic, key_bytes)
        if value_decoder is None or (key_bytes is not None and key_decoder is None):
            shape = None
        else:
            self._value_length = len(value_decoder.header)
            if key_decoder is not None:
                self._key_length = len(key_decoder.header)
            try:
                plan = owner.task.row_plan(record)
            except Exception as exc:  # noqa: BLE001 — put() of this record gives its error
                log.debug("Task %s: no row plan for %s: %s", owner.id, topic, exc)
                return None  # not cached: asked again for the next record of this shape
            shape = None if plan is None else (
                None if key_decoder is None else key_decoder.header, value_decoder.header,
                *_projected(plan, key_decoder, value_decoder))
            # Cached either way: a shape the task refused stays ordinary without asking again.
            self._shapes[(topic, None if key_decoder is None else key_decoder.header, value_decoder.header)] = shape
        return shape
