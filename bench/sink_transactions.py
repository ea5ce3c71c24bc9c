"""The JDBC sink's write path alone: CPU per row with one batch.size statement per transaction or several.

Usage: python bench/sink_transactions.py [--rows 300000] [--poll 500] [--batch 3000] [--repeats 2]

No broker, no converters: the bench's rows (bench/jdbc_sink.py, half of the keys preloaded with
other values) as ready SinkRecords, handed to a started JdbcSinkTask in put() calls of ``--poll``
records (the runtime's default max.poll.records is 500), then the runtime's periodic commit
(pre_commit), which writes what is buffered. The task writes upserts into PostgreSQL with the
embedded server's default settings, as the tutorial's ``--defaults`` run does. Per variant, alternating:

- ``one batch``: TRANSACTION_BATCHES = 1, a transaction per batch.size records (the code before);
- ``several``: the default, up to TRANSACTION_BATCHES batches of batch.size records per transaction.

Prints wall time, the task process's CPU (task and writer threads) and the database's CPU per row,
and the transactions written. The result is verified (count and checksums) after each run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from jdbc_sink import UTC, KEY_SCHEMA, VALUE_SCHEMA, COLUMNS, Target, _tree_cpu, checksum, make_rows, verify  # noqa: E402

from dbconnect.api.data import Struct  # noqa: E402
from dbconnect.api.records import SinkRecord  # noqa: E402
from dbconnect.api.task import SinkTaskContext, TopicPartition  # noqa: E402
from dbconnect.connectors.jdbc.sink import JdbcSinkTask, connector  # noqa: E402
from dbconnect.embedded import EmbeddedPostgres  # noqa: E402


def records(rows: list[tuple]) -> list[SinkRecord]:
    out = []
    for offset, row in enumerate(rows):
        value = Struct(VALUE_SCHEMA)
        for name, v in zip(COLUMNS, row):
            value.put(name, v.replace(tzinfo=UTC) if name == "created_at" else v)  # Connect Timestamps are aware
        out.append(SinkRecord("orders", 0, KEY_SCHEMA, Struct(KEY_SCHEMA).put("id", row[0]), VALUE_SCHEMA, value,
                              offset))
    return out


def run(pg, recs: list[SinkRecord], rows: list[tuple], preload: list[tuple], expected: tuple, poll: int,
        batch: int, batches: int) -> tuple[float, float, float, int]:
    target = Target("postgresql", pg)
    target.create("sink_dst", preload)
    connector.TRANSACTION_BATCHES = batches
    task = JdbcSinkTask()
    context = SinkTaskContext()
    props = {"name": "bench", "connection.url": pg.jdbc_url(), "connection.user": pg.user,
             "connection.password": pg.password, "topics": "orders", "table.name.format": "sink_dst",
             "insert.mode": "upsert", "pk.mode": "record_key", "batch.size": str(batch)}
    context._configs = props
    task.initialize(context)
    task.start(props)
    writes = []
    write = task.writer.write
    task.writer.write = lambda tables, offsets: (writes.append(1), write(tables, offsets))[1]
    db_cpu, cpu, started = _tree_cpu(pg.pid), time.process_time(), time.perf_counter()
    for start in range(0, len(recs), poll):
        task.put(recs[start:start + poll])
    task._requested = False  # the runtime's periodic commit (not one the task asked for): writes the rest
    task.pre_commit({TopicPartition("orders", 0): len(recs)})
    wall, cpu, db_cpu = time.perf_counter() - started, time.process_time() - cpu, _tree_cpu(pg.pid) - db_cpu
    task.stop()
    verify(target.checksum("sink_dst"), expected)
    return wall, cpu, db_cpu, len(writes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--poll", type=int, default=500)
    parser.add_argument("--batch", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    rows = make_rows(args.rows)
    preload = [r for r in make_rows(args.rows, variant=1) if r[0] % 2 == 0]
    expected, recs = checksum(rows), records(rows)
    default = connector.TRANSACTION_BATCHES
    with EmbeddedPostgres() as pg:
        for _ in range(args.repeats):
            for name, batches in (("one batch", 1), ("several", default)):
                wall, cpu, db, n = run(pg, recs, rows, preload, expected, args.poll, args.batch, batches)
                per = 1e6 / len(rows)
                print(f"{name:10} {len(rows) / wall:9,.0f} rows/s  task process CPU {cpu * per:5.2f} µs/row  "
                      f"database CPU {db * per:5.2f} µs/row  {n} transactions  (verified)", flush=True)


if __name__ == "__main__":
    main()
