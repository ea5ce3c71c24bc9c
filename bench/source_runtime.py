"""The source runtime alone: the CPU per row it costs at small and large polls (no database).

Usage: python bench/source_runtime.py [--rows 300000] [--repeat 2] [--defaults]

A source task (defined here) returns pre-built JSON-ready batches (``JsonRowBatch``, the shape of
bench/jdbc_source.py's rows: ten fields, a primary-key struct key) straight from memory, so
what is measured is the runtime: framing by the converters (JsonSchemaConverter, embedded
registry), ``produce_batch``, delivery reports, the submitted-batch bookkeeping, the poll loop.
For each poll size (100 rows — batch.max.rows' default — and 10,000) and topic (a pre-created
1-partition topic, and one the broker auto-creates: 4 partitions on Tansu), ``--repeat`` times,
on a fresh worker: rows/s until a consumer in a child process has them all (bench/jdbc_source.py's
counter), and the CPU per row of the task thread, librdkafka's threads and the broker.
``--defaults`` runs only the 100-row polls into an auto-created topic on a worker with default
settings (what a tutorial's JDBC source would do with this runtime).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dbconnect.api.connector import SourceConnector  # noqa: E402
from dbconnect.api.data import (  # noqa: E402
    BOOLEAN_SCHEMA, FLOAT64_SCHEMA, INT32_SCHEMA, INT64_SCHEMA, STRING_SCHEMA, SchemaBuilder,
)
from dbconnect.api.payload import FLOAT, JsonRowBatch, JsonRowShape  # noqa: E402
from dbconnect.api.task import SourceTask  # noqa: E402

SCHEMA = (SchemaBuilder.struct().name("bench_rows").field("id", INT64_SCHEMA).field("account_id", INT32_SCHEMA)
          .field("name", STRING_SCHEMA).field("email", STRING_SCHEMA).field("amount", STRING_SCHEMA)
          .field("score", FLOAT64_SCHEMA).field("active", BOOLEAN_SCHEMA).field("created_at", INT64_SCHEMA)
          .field("birth", INT32_SCHEMA).field("note", STRING_SCHEMA).build())
KEY_SCHEMA = SchemaBuilder.struct().name("bench_rows.Key").field("id", INT64_SCHEMA).build()
CONFIG = {"type": "object", "properties": {
    "rows": {"type": "string", "default": "300000", "description": "rows to send", "x-importance": "HIGH"},
    "poll.rows": {"type": "string", "default": "100", "description": "rows per poll()", "x-importance": "HIGH"},
    "topic": {"type": "string", "default": "bench", "description": "the topic", "x-importance": "HIGH"}}}
ROWS: list[tuple] = []  # built before the clock starts, shared with the task (same process)


def make_rows(n: int) -> list[tuple]:
    """JSON-ready values as PostgreSQL hands them over for bench/jdbc_source.py's table."""
    ROWS[:] = [(i, i % 10007, ("%032x" % (i * 2654435761))[:10 + i % 20], f"user{i}@example.com", "AAAAAAE=",
                i * 0.5, i % 2 == 0, 1_704_067_200_000 + i * 1000, i % 20000, "%064x" % (i * 7))
               for i in range(1, n + 1)]
    return ROWS


class RowsConnector(SourceConnector):
    def start(self, props):
        self.props = dict(props)

    def task_class(self):
        return RowsTask

    def task_configs(self, max_tasks):
        return [dict(self.props)]

    def stop(self):
        pass

    def config(self):
        return CONFIG

    def version(self):
        return "bench"


class RowsTask(SourceTask):
    def version(self):
        return "bench"

    def start(self, props):
        value_format, key_format = self.context.json_payload_format(), self.context.json_payload_format(True)
        if value_format is None or key_format is None:
            raise RuntimeError("the converters do not take JSON-ready rows")
        kinds = [None] * 10
        kinds[5] = FLOAT
        self.shape = JsonRowShape(SCHEMA, value_format, kinds)
        self.key_shape = JsonRowShape(KEY_SCHEMA, key_format, [None], [0])
        self.rows = ROWS[:int(props["rows"])]
        self.size, self.topic, self.at = int(props["poll.rows"]), props["topic"], 0
        self.partition = {"protocol": "1", "table": "bench.public.bench_rows"}
        self.stopped = threading.Event()

    def poll(self):
        if self.at >= len(self.rows):
            self.stopped.wait(0.1)
            return None
        rows = self.rows[self.at:self.at + self.size]
        self.at += len(rows)
        return JsonRowBatch(self.topic, self.partition, self.shape, self.key_shape, rows,
                            lambda row: {"incrementing": row[0]})

    def stop(self):
        self.stopped.set()


def run(bootstrap: str, registry_url: str, broker, topic: str, rows: int, poll_rows: int, defaults: bool,
        work: Path) -> dict:
    import jdbc_source as J
    from dbconnect.runtime.connect import StandaloneConnect

    counter = subprocess.Popen([sys.executable, J.__file__, "--count-child",
                                json.dumps({"bootstrap": bootstrap, "topic": topic, "rows": rows})],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert counter.stdout.readline().strip() == "ready"
        props = {"bootstrap.servers": bootstrap, **J.converter_props("jsonschema", registry_url),
                 "offset.storage.file.filename": str(work / f"{topic}.offsets"), "listeners": "http://127.0.0.1:0"}
        if not defaults:
            props["offset.flush.interval.ms"] = "500"
        connect = StandaloneConnect(props)
        connect.start()
        try:
            cpu_before, broker_before = J.thread_cpu(), J.tree_cpu(broker.pid)
            start = time.monotonic()
            connect.add_connector("runtime", {"connector.class": "source_runtime.RowsConnector", "rows": str(rows),
                                              "poll.rows": str(poll_rows), "topic": topic})
            out, _ = counter.communicate(timeout=900)
            cpu = J.cpu_per_row(cpu_before, J.thread_cpu(), rows)
            cpu["broker"] = J.server_cpu_per_row(broker_before, J.tree_cpu(broker.pid), rows)
        finally:
            connect.stop()
    finally:
        if counter.poll() is None:
            counter.kill()
    result = json.loads(out.strip().splitlines()[-1])
    assert result["count"] >= rows, f"received {result['count']} of {rows}"
    return {"rate": rows / (result["last"] - start), "partitions": result["partitions"], "cpu": cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--defaults", action="store_true",
                        help="only 100-row polls into an auto-created topic on a worker with default settings")
    args = parser.parse_args()
    from dbconnect.embedded import EmbeddedBroker, EmbeddedRegistry

    import source_runtime  # the worker loads the connector by this name: share its rows with it
    source_runtime.make_rows(args.rows)
    variants = [(100, "auto")] if args.defaults else [(100, "1"), (10_000, "1"), (100, "auto"), (10_000, "auto")]
    with EmbeddedBroker() as broker, EmbeddedRegistry() as registry, tempfile.TemporaryDirectory() as tmp:
        for attempt in range(args.repeat):
            for poll_rows, partitions in variants:
                topic = f"runtime-{attempt}-{poll_rows}-{partitions}"
                if partitions == "1":
                    broker.create_topic(topic, partitions=1)
                r = run(broker.bootstrap_servers, registry.url, broker, topic, args.rows, poll_rows,
                        args.defaults, Path(tmp))
                cpu = r["cpu"]
                print(f"polls of {poll_rows:>6} rows, {r['partitions']} partition(s): {r['rate']:>9,.0f} rows/s | "
                      f"CPU per row: task thread {cpu.get('task', 0):.2f} µs, librdkafka {cpu.get('librdkafka', 0):.2f} µs, "
                      f"broker {cpu['broker']:.2f} µs", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
