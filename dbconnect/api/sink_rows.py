"""The sink fast path: consumed messages handed to a sink task as rows, with no SinkRecord per record.

Why: for a sink such as the JDBC sink, building a Struct and a SinkRecord per consumed message
(and the key's Struct, and the headers) costs more than the message's JSON decode, and the task
then takes the values straight back out of them. A converter that can decode a message's payload
into the struct's *values list* offers a :class:`RowDecoder` for the message's schema; a task
that can write such values offers a *row plan* for a record shape. The runtime uses them only
when no transformation is configured; otherwise, and for every message they do not cover, it
builds ordinary SinkRecords.

The protocol, per consumed message (runtime/sink_rows.py implements it):

1. A message whose key and value start with the headers of the current :class:`RowDecoder`
   pair is decoded by them and appended to a :class:`RowBatch` as ``(plan, topic, partition,
   offset, key, value, message)``: ``value`` is what ``to_connect_data`` gives (a struct's
   ``values`` list in place of the Struct), ``key`` likewise (None for a null key).
2. Any other message — a tombstone, a new schema, one a decoder raises on — is converted the
   ordinary way into a SinkRecord, with the ordinary error handling (``errors.tolerance``, DLQ,
   headers). When that worked, the runtime asks both converters for a ``row_decoder`` of its key
   and value and the task for a ``row_plan(record)``; if all three agree, the next messages of
   that shape take step 1.
3. Runs of rows go to ``put_rows(batch)``, runs of records to ``put(records)``, in consumption
   order. Offsets, commits and pause/resume are the runtime's as for ``put()``.

Projected rows (an option of both sides): a plan whose rows are a plain selection of the key's and
the value's fields offers ``row_fields = (key fields, value fields, projected)`` (struct field
indices, and the object that stands for the plan in such rows); decoders that can offer
``RowDecoder.project``. When both do, the runtime decodes that shape's messages with the
projections and appends ``(projected, topic, partition, offset, key tuple, value tuple, message)``:
the tuples hold just the selected values, in the plan's order, so the task takes the row as it is
(no per-row extraction call, no values list). Same messages, same errors: a projection decodes and
checks every field as ``decode`` does.

Equivalence is the contract: a decoder must give exactly the values ``to_connect_data`` would
(or raise), and ``put_rows`` must write exactly what ``put`` of the same records would.
``RowBatch.record(row)`` rebuilds a row's ordinary SinkRecord (for error messages and reports).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .data import Schema
from .records import SinkRecord

__all__ = ["RowDecoder", "RowDecoding", "RowBatch", "RowSinkTask", "Row"]

# (plan, topic, partition, offset, key, value, consumed message): a tuple, built once per record.
Row = tuple


@dataclass(frozen=True, eq=False)
class RowDecoder:
    """Decodes the messages of one schema: every message starting with ``header`` (the same
    length for all decoders of one converter) decodes with ``decode(data)`` to what
    ``to_connect_data(topic, data).value`` is — a struct's ``values`` list instead of the Struct
    (``struct`` is then True) — or raises, and the runtime converts that message the ordinary way."""

    header: bytes
    schema: Schema
    decode: Callable[[bytes], Any]
    struct: bool
    # For struct schemas, optionally: field indices → a decoder of the same messages that gives
    # ``tuple(decode(data)[i] for i in indices)`` (and raises where ``decode`` raises).
    project: Callable[[tuple[int, ...]], Callable[[bytes], tuple]] | None = None


class RowDecoding:
    """Mixin for converters that offer row decoders."""

    def row_decoder(self, topic: str, data: bytes) -> RowDecoder | None:
        """The decoder for messages of ``data``'s schema, or None. Called after ``to_connect_data``
        of ``data`` succeeded, so the schema is known to the converter."""
        return None


class RowBatch:
    """Consecutive rows of one ``poll``, in consumption order."""

    __slots__ = ("rows", "record")

    def __init__(self, rows: list[Row], record: Callable[[Row], SinkRecord]) -> None:
        self.rows = rows
        self.record = record  # the row's ordinary SinkRecord (converted again from its message)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Any:
        return iter(self.rows)


class RowSinkTask:
    """Mixin for SinkTasks that accept rows."""

    def row_plan(self, record: SinkRecord) -> Any | None:
        """The plan for records shaped like ``record`` (its topic, key and value schemas), or None
        when this shape needs SinkRecords. May raise: the record then goes through ``put()``.
        A plan with a ``row_fields`` attribute other than None accepts projected rows (see above)."""
        return None

    def put_rows(self, batch: RowBatch) -> None:
        """Write the rows as ``put()`` would write their records (same errors, same offsets)."""
        raise NotImplementedError
