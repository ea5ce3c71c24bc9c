"""Replication latency PostgreSQL → JDBC source → topic → JDBC sink → PostgreSQL, default settings.

Usage: python bench/latency.py [--rows 300] [--gap-ms 50,350] [--poll-ms 1000]

On embedded servers (PostgreSQL 16 with its default settings, Tansu, the embedded schema registry)
and one standalone worker process with tutorial settings: keys and values through the
JsonSchemaConverter, ``offset.flush.interval.ms`` and consumer settings left at their defaults.
1. the JDBC source (``mode=timestamp+incrementing``, ``poll.interval.ms``) reads table ``orders``
   of database ``src``; the JDBC sink (``insert.mode=upsert``, ``pk.mode=record_key``) writes
   table ``orders`` of database ``dst``, whose trigger sends ``NOTIFY arrived`` with the row's id;
   both connectors are created over REST, the source first (its topic is auto-created), then the
   sink; a warm-up row is replicated before timing starts (group join, first plans);
2. ``--rows`` single-row transactions are committed one at a time in ``src`` (autocommit INSERT),
   spaced by a random gap (uniform in ``--gap-ms``), so that they fall at every phase of the
   source's poll cycle;
3. latency = arrival of the row's notification on a LISTEN connection to ``dst`` (sent when the
   sink's transaction commits) − the moment the source INSERT's commit returned, both on this
   process's clock. The Kafka CreateTime of each record (the source task's produce, same clock)
   splits it into the source part and the sink part.
Prints p50 / p95 / max of each. Must: p95 ≤ poll.interval.ms + 2.5 s; goal: ≤ poll.interval.ms + 1.2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from confluent_kafka import Consumer, TopicPartition  # noqa: E402

from dbconnect.embedded import EmbeddedBroker, EmbeddedPostgres, EmbeddedRegistry  # noqa: E402
from dbconnect.embedded.ports import free_port  # noqa: E402

SRC_DDL = """CREATE TABLE orders (id serial PRIMARY KEY, customer varchar(40) NOT NULL, amount numeric(12,2) NOT NULL,
    note text, updated_at timestamp NOT NULL DEFAULT now())"""
DST_DDL = """CREATE TABLE orders (id integer PRIMARY KEY, customer varchar(40) NOT NULL, amount numeric(12,2) NOT NULL,
    note text, updated_at timestamp NOT NULL)"""
# NOTIFY is delivered when the sink's transaction commits: its arrival is the moment the row is visible.
DST_TRIGGER = """
CREATE FUNCTION arrived() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('arrived', NEW.id::text);
  RETURN NEW;
END $$;
CREATE TRIGGER orders_arrived AFTER INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION arrived();
"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> str:
    return (f"p50 {percentile(values, 50) * 1000:6.0f} ms   p95 {percentile(values, 95) * 1000:6.0f} ms   "
            f"max {max(values) * 1000:6.0f} ms   mean {statistics.fmean(values) * 1000:6.0f} ms")


class Arrivals:
    """LISTEN arrived on the target database; id → first arrival time (time.time())."""

    def __init__(self, pg: EmbeddedPostgres) -> None:
        self.conn = pg.connect("dst", autocommit=True)
        self.conn.execute("LISTEN arrived")
        self.times: dict[int, float] = {}
        self.changed = threading.Condition()
        self._stop = False
        self.thread = threading.Thread(target=self._run, name="listener", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop:
            for note in self.conn.notifies(timeout=0.2):
                now = time.time()
                with self.changed:
                    self.times.setdefault(int(note.payload), now)
                    self.changed.notify_all()

    def wait_for(self, ids: set[int], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not ids <= self.times.keys():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
        return True

    def close(self) -> None:
        self._stop = True
        self.thread.join(5)
        self.conn.close()


def start_worker(broker: EmbeddedBroker, registry: EmbeddedRegistry, work: Path,
                 extra: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    props = {
        "bootstrap.servers": broker.bootstrap_servers,
        "key.converter": "io.confluent.connect.json.JsonSchemaConverter",
        "key.converter.schema.registry.url": registry.url,
        "value.converter": "io.confluent.connect.json.JsonSchemaConverter",
        "value.converter.schema.registry.url": registry.url,
        "offset.storage.file.filename": str(work / "connect.offsets"),
        "listeners": f"http://127.0.0.1:{port}",
        **extra,
    }
    worker = work / "worker.properties"
    worker.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    log = open(work / "worker.log", "wb")  # noqa: SIM115 — closed with the process
    proc = subprocess.Popen([sys.executable, "-m", "dbconnect.cli", "--log-level", "WARNING", "standalone",
                             str(worker)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(url + "/", timeout=2).status_code == 200:
                return proc, url
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start; see {log.name}")
        time.sleep(0.1)


def create(url: str, name: str, config: dict[str, str]) -> None:
    response = requests.put(f"{url}/connectors/{name}/config", json=config, timeout=60)
    if response.status_code not in (200, 201):
        raise SystemExit(f"creating {name} failed: {response.status_code} {response.text}")


def wait_running(url: str, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = requests.get(f"{url}/connectors/{name}/status", timeout=10).json()
        tasks = status.get("tasks", [])
        if any(t["state"] == "FAILED" for t in tasks):
            raise SystemExit(f"{name} failed: {json.dumps(status)[:2000]}")
        if tasks and all(t["state"] == "RUNNING" for t in tasks):
            return
        time.sleep(0.2)
    raise SystemExit(f"{name} is not running")


def produce_times(broker: EmbeddedBroker, topic: str, ids: set[int], registry_url: str) -> dict[int, float]:
    """id → the record's Kafka CreateTime (seconds), read back with our JsonSchemaConverter."""
    from dbconnect.converters.jsonschema import JsonSchemaConverter

    keys = JsonSchemaConverter()
    keys.configure({"schema.registry.url": registry_url}, is_key=True)
    consumer = Consumer({"bootstrap.servers": broker.bootstrap_servers, "group.id": "latency-bench",
                         "enable.auto.commit": False})
    partitions = broker.topics()[topic]
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    found: dict[int, float] = {}
    deadline = time.monotonic() + 60
    while not ids <= found.keys() and time.monotonic() < deadline:
        for msg in consumer.consume(1000, timeout=0.5):
            if msg.error() is None:
                _schema, key = keys.to_connect_data(topic, msg.key())
                found.setdefault(key.get("id"), msg.timestamp()[1] / 1000.0)
    consumer.close()
    keys.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--gap-ms", default="50,350", help="min,max pause between two inserts")
    parser.add_argument("--poll-ms", type=int, default=1000, help="the source's poll.interval.ms")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--worker", action="append", default=[], metavar="KEY=VALUE",
                        help="an extra worker setting (experiments only; the figures use none)")
    args = parser.parse_args()
    gap_lo, gap_hi = (int(v) / 1000 for v in args.gap_ms.split(","))
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="dbconnect-bench-latency-") as tmp, EmbeddedBroker() as broker, \
            EmbeddedRegistry() as registry, EmbeddedPostgres() as pg:
        work = Path(tmp)
        for db, ddl in (("src", SRC_DDL), ("dst", DST_DDL + ";" + DST_TRIGGER)):
            pg.create_database(db)
            with pg.connect(db, autocommit=True) as conn:
                conn.execute(ddl)
        extra = dict(kv.split("=", 1) for kv in args.worker)
        if extra:
            print(f"extra worker settings: {extra}", flush=True)
        proc, url = start_worker(broker, registry, work, extra)
        arrivals = Arrivals(pg)
        source = pg.connect("src", autocommit=True)
        try:
            topic = "pg-orders"
            create(url, "orders-source", {
                "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector", "tasks.max": "1",
                "connection.url": pg.jdbc_url("src"), "connection.user": pg.user, "connection.password": pg.password,
                "mode": "timestamp+incrementing", "timestamp.column.name": "updated_at",
                "incrementing.column.name": "id", "table.whitelist": "orders", "topic.prefix": "pg-",
                "poll.interval.ms": str(args.poll_ms)})
            wait_running(url, "orders-source")
            source.execute("INSERT INTO orders (customer, amount, note) VALUES ('warm-up', 0, NULL)")
            deadline = time.monotonic() + 60
            while topic not in broker.topics():  # the source creates it with its first record
                if time.monotonic() > deadline:
                    raise SystemExit("the source did not create its topic")
                time.sleep(0.1)
            create(url, "orders-sink", {
                "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "tasks.max": "1", "topics": topic,
                "connection.url": pg.jdbc_url("dst"), "connection.user": pg.user, "connection.password": pg.password,
                "table.name.format": "orders", "insert.mode": "upsert", "pk.mode": "record_key", "pk.fields": "id",
                "auto.create": "true"})
            wait_running(url, "orders-sink")
            if not arrivals.wait_for({1}, 120):
                raise SystemExit("the warm-up row did not arrive")
            print(f"pipeline ready; {args.rows} single-row commits, {args.gap_ms} ms apart, "
                  f"poll.interval.ms={args.poll_ms}", flush=True)
            committed: dict[int, float] = {}
            for i in range(args.rows):
                [(row_id,)] = source.execute("INSERT INTO orders (customer, amount, note) VALUES (%s, %s, %s) "
                                             "RETURNING id", (f"c{i}", i / 100, "x" * (i % 50))).fetchall()
                committed[row_id] = time.time()  # autocommit: the commit has returned
                time.sleep(rng.uniform(gap_lo, gap_hi))  # pacing the load generator, not synchronisation
            if not arrivals.wait_for(set(committed), 120):
                missing = sorted(set(committed) - arrivals.times.keys())
                raise SystemExit(f"{len(missing)} rows did not arrive, e.g. {missing[:10]}")
            produced = produce_times(broker, topic, set(committed), registry.url)
        finally:
            source.close()
            arrivals.close()
            proc.terminate()
            proc.wait(60)
        total = [arrivals.times[i] - committed[i] for i in committed]
        src = [produced[i] - committed[i] for i in committed if i in produced]
        sink = [arrivals.times[i] - produced[i] for i in committed if i in produced]
        print(f"commit → visible in target   {summary(total)}")
        print(f"  commit → produced (source)  {summary(src)}")
        print(f"  produced → visible (sink)   {summary(sink)}")
        p95, poll = percentile(total, 95), args.poll_ms / 1000
        print(f"p95 {p95:.2f} s: must ≤ {poll + 2.5:.1f} s {'met' if p95 <= poll + 2.5 else 'NOT met'}; "
              f"goal ≤ {poll + 1.2:.1f} s {'met' if p95 <= poll + 1.2 else 'not met'}", flush=True)


if __name__ == "__main__":
    main()
