"""The JDBC sink task thread's Python per row, without a broker or a database.

Usage: python bench/sink_task_path.py [--records 100000] [--poll 500] [--repeat 5] [--decimal-format NUMERIC]

What the sink's task thread does per consumed message on the fast path (api/sink_rows.py), timed
in-process on the messages of ``bench/jdbc_sink.py --defaults`` (keys ``{id}`` and the 10-column
values through our JsonSchemaConverter and an embedded registry, NUMERIC decimals by default):

- ``decode``: key and value decoders only (``RowDecoder.decode`` of both);
- ``split``: ``RowPath.split`` of consumer polls of ``--poll`` confluent_kafka.Message objects
  (decode, shape test, the row tuple, offsets);
- ``split + add_rows``: the same, then the JDBC sink's ``add_rows`` into a buffer (the plan's
  ``extract_values``; the plan is the record mapper's layout, as a PostgreSQL plan for this table
  has no adapters).

The consumer's ``consume()``, the write and the GIL hand-over are not in it: this is the Python
the fast path runs per row, to compare changes to it (best of ``--repeat``, GC as in the worker:
young-generation threshold as ``settle_heap`` sets it).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import jdbc_sink as B  # noqa: E402
from confluent_kafka import Message  # noqa: E402

from dbconnect.api.sink_rows import RowBatch  # noqa: E402
from dbconnect.connectors.jdbc.sink.config import parse_config  # noqa: E402
from dbconnect.connectors.jdbc.sink.records import RecordMapper  # noqa: E402
from dbconnect.connectors.jdbc.dialect import TableId  # noqa: E402
from dbconnect.connectors.jdbc.sink.rows import add_rows  # noqa: E402
from dbconnect.connectors.jdbc.sink.writers.base import TablePlan  # noqa: E402
from dbconnect.converters.jsonschema import JsonSchemaConverter  # noqa: E402
from dbconnect.embedded import EmbeddedRegistry  # noqa: E402
from dbconnect.runtime.sink_rows import RowPath  # noqa: E402
from dbconnect.runtime.sink_task import WorkerSinkTask  # noqa: E402
from dbconnect.runtime.worker_task import settle_heap  # noqa: E402

TOPIC = "orders"
PROJECT = True  # --no-projection: the plan offers no row_fields (rows as values lists, extract_values)


def _plan(layout) -> TablePlan:
    """A TablePlan as the PostgreSQL writer makes it for this table (no adapters; projected rows
    unless ``--no-projection``)."""
    plan = TablePlan(TableId(None, None, TOPIC), layout, [], [])
    if not PROJECT:
        plan.row_fields = None
    return plan


class _Task:
    """The JDBC sink task's state that add_rows touches, and its row_plan."""

    def __init__(self) -> None:
        self.cfg = parse_config({"connection.url": "jdbc:postgresql://127.0.0.1/x", "topics": TOPIC,
                                 "insert.mode": "upsert", "pk.mode": "record_key"}, task=True)
        self.mapper = RecordMapper(self.cfg)
        self._pending, self._accepted, self._durable, self._buffer = {}, {}, {}, []

    def row_plan(self, record):
        return _plan(self.mapper.layout_for(record))


def _owner(key_converter, value_converter, task) -> WorkerSinkTask:
    owner = object.__new__(WorkerSinkTask)  # only what RowPath and _record use
    owner.key_converter, owner.value_converter, owner.task = key_converter, value_converter, task
    owner._current, owner.id = {}, "bench-0"
    return owner


def best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.thread_time()  # CPU time: the machine is shared, wall time is not ours
        fn()
        best = min(best, time.thread_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--poll", type=int, default=500, help="messages per poll (consumer.max.poll.records)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--decimal-format", choices=["BASE64", "NUMERIC"], default=None)
    parser.add_argument("--no-projection", action="store_true", help="rows as values lists (before projected rows)")
    args = parser.parse_args()
    global PROJECT
    PROJECT = not args.no_projection

    rows = B.make_rows(args.records)
    with EmbeddedRegistry() as registry:
        pairs = list(B.jsonschema_messages(rows, registry.url, TOPIC, args.decimal_format))
        key_converter, value_converter = JsonSchemaConverter(), JsonSchemaConverter()
        key_converter.configure({"schema.registry.url": registry.url}, is_key=True)
        value_converter.configure({"schema.registry.url": registry.url}, is_key=False)
        messages = [Message(topic=TOPIC, partition=0, offset=i, key=k, value=v) for i, (k, v) in enumerate(pairs)]
        polls = [messages[i:i + args.poll] for i in range(0, len(messages), args.poll)]
        task = _Task()
        owner = _owner(key_converter, value_converter, task)
        path = RowPath(owner)
        first = path.split(messages[:1])  # the first message goes the ordinary way and plans the shape
        assert isinstance(first[0], list), first
        check = path.split(messages[:2])
        assert isinstance(check[0], RowBatch), "the fast path did not take the messages"
        shape = next(s for s in path._shapes.values() if s is not None)
        decode_key, decode_value = shape[3], shape[4]

        def decode() -> None:
            for m in messages:
                decode_key(m.key())
                decode_value(m.value())

        def split() -> None:
            for poll in polls:
                path.split(poll)

        def split_add() -> None:
            task._buffer = []
            task._pending = {}
            for poll in polls:
                for part in path.split(poll):
                    add_rows(task, part, {}, [])

        settle_heap()
        n = len(messages)
        for name, fn in (("split", split), ("decode", decode), ("split + add_rows", split_add), ("decode", decode)):
            t = best_of(args.repeat, fn)
            print(f"{name:18} {t / n * 1e6:6.2f} µs/row  ({n:,} rows, polls of {args.poll})", flush=True)
        assert len(task._buffer) == n, len(task._buffer)
        entry = task._buffer[-1]
        print(f"last buffer entry: {entry}")
        gc.collect()


if __name__ == "__main__":
    main()
