"""JdbcSinkConnector upsert throughput into PostgreSQL and MariaDB, next to the limit measured in the same run.

Usage: python bench/jdbc_sink.py [--rows 1000000] [--only postgresql|mariadb] [--batch 10000]

Per database, on embedded servers (settings of ../shared/reference/limits-measured.md):
1. ``--rows`` rows with 10 mixed columns (bigint pk, int, varchar, varchar, numeric(12,2), double,
   boolean, timestamp, date, text) are generated; the target table is created with half of the keys
   (the even ids) already present with *different* values, so every other row is a real update;
2. the limit: the same rows as native Python tuples written by the database's fastest upsert —
   PostgreSQL: binary COPY into a temp table + INSERT … SELECT … ON CONFLICT DO UPDATE, 10k rows per
   transaction; MariaDB: PyMySQL executemany of INSERT … ON DUPLICATE KEY UPDATE (multi-row), 10k rows
   per transaction;
3. the connector: the rows as JsonConverter messages (schemas.enable=true) in a 1-partition topic,
   consumed by ``dbconnect standalone`` (a separate process) running JdbcSinkConnector with
   insert.mode=upsert, pk.mode=record_value. Timed from the first row written to the last (both
   detected by primary-key lookups, so the consumer-group join is not counted);
4. both results are verified: count and checksums (sums, lengths, min/max) against the generated data.
Prints rows/s for both and the ratio (target ≥ 0.5, goal ≥ 0.7).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import decimal
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dbconnect.embedded import EmbeddedBroker, EmbeddedMariaDB, EmbeddedPostgres  # noqa: E402

COLUMNS = ("id", "qty", "customer", "product", "amount", "score", "active", "created_at", "ship_date", "note")
EPOCH = dt.datetime(1970, 1, 1)
START = dt.datetime(2024, 1, 1)
SCHEMA = {"type": "struct", "name": "bench.Order", "optional": False, "fields": [
    {"field": "id", "type": "int64", "optional": False},
    {"field": "qty", "type": "int32", "optional": False},
    {"field": "customer", "type": "string", "optional": False},
    {"field": "product", "type": "string", "optional": False},
    {"field": "amount", "type": "bytes", "optional": False, "name": "org.apache.kafka.connect.data.Decimal",
     "version": 1, "parameters": {"scale": "2", "connect.decimal.precision": "12"}},
    {"field": "score", "type": "double", "optional": False},
    {"field": "active", "type": "boolean", "optional": False},
    {"field": "created_at", "type": "int64", "optional": False, "name": "org.apache.kafka.connect.data.Timestamp",
     "version": 1},
    {"field": "ship_date", "type": "int32", "optional": False, "name": "org.apache.kafka.connect.data.Date",
     "version": 1},
    {"field": "note", "type": "string", "optional": True},
]}
PG_SETTINGS = {"shared_buffers": "512MB", "max_wal_size": "4GB", "work_mem": "64MB", "maintenance_work_mem": "256MB"}
MARIADB_OPTIONS = {"innodb-buffer-pool-size": "1G", "innodb-log-file-size": "1G"}


# -- data --------------------------------------------------------------------------------------------

def make_rows(n: int, variant: int = 0) -> list[tuple]:
    """Deterministic rows; ``variant`` 1 gives the same ids with different values (the preload)."""
    rows = []
    for i in range(n):
        j = i * 7 + variant * 13
        rows.append((
            i, j % 1000, f"customer-{j % 99991:05d}-{'x' * (j % 11)}", f"product-{j % 7919}",
            decimal.Decimal(j % 10_000_000) / 100, j / 7.0, (j % 2) == 0,
            START + dt.timedelta(milliseconds=j * 1013), (START + dt.timedelta(days=j % 3650)).date(),
            None if j % 5 == 0 else f"note {j} " + "n" * (j % 60),
        ))
    return rows


def checksum(rows: list[tuple]) -> tuple:
    return (len(rows), sum(r[0] for r in rows), sum(r[1] for r in rows), sum(r[4] for r in rows),
            sum(1 for r in rows if r[6]), sum(len(r[2]) + len(r[3]) + len(r[9] or "") for r in rows),
            min(r[7] for r in rows), max(r[7] for r in rows), min(r[8] for r in rows), max(r[8] for r in rows),
            sum(r[5] for r in rows))


CHECKSUM_SQL = ("SELECT count(*), sum(id), sum(qty), sum(amount), sum(CASE WHEN active THEN 1 ELSE 0 END), "
                "sum(length(customer) + length(product) + coalesce(length(note), 0)), min(created_at), "
                "max(created_at), min(ship_date), max(ship_date), sum(score) FROM {table}")


def message(row: tuple) -> bytes:
    amount = int(row[4] * 100)
    raw = amount.to_bytes(amount.bit_length() // 8 + 1, "big", signed=True)
    payload = {"id": row[0], "qty": row[1], "customer": row[2], "product": row[3],
               "amount": base64.b64encode(raw).decode(), "score": row[5], "active": row[6],
               "created_at": (row[7] - EPOCH) // dt.timedelta(milliseconds=1),
               "ship_date": (row[8] - EPOCH.date()).days, "note": row[9]}
    return orjson.dumps({"schema": SCHEMA, "payload": payload})


# -- databases ---------------------------------------------------------------------------------------

class Target:
    def __init__(self, kind: str, server) -> None:
        self.kind, self.server = kind, server
        self.pg = kind == "postgresql"

    def create(self, table: str, preload: list[tuple]) -> None:
        ts = "TIMESTAMP(6)" if self.pg else "DATETIME(6)"
        self.server.execute(f"DROP TABLE IF EXISTS {table}")
        self.server.execute(f"CREATE TABLE {table} (id BIGINT PRIMARY KEY, qty INT NOT NULL, customer VARCHAR(40) NOT NULL, "
                            f"product VARCHAR(40) NOT NULL, amount NUMERIC(12,2) NOT NULL, score DOUBLE PRECISION NOT NULL, "
                            f"active BOOLEAN NOT NULL, created_at {ts} NOT NULL, ship_date DATE NOT NULL, note TEXT)")
        if self.pg:
            with self.server.connect(autocommit=False) as conn:
                with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                    for row in preload:
                        copy.write_row(row)
                conn.commit()
            self.server.execute(f"VACUUM ANALYZE {table}")
            self.server.execute("CHECKPOINT")
        else:
            conn = self.server.connect(autocommit=False)
            with conn.cursor() as cur:
                for start in range(0, len(preload), 10_000):
                    cur.executemany(f"INSERT INTO {table} VALUES ({', '.join(['%s'] * 10)})", preload[start:start + 10_000])
            conn.commit()
            conn.close()

    def limit(self, table: str, rows: list[tuple], batch: int) -> float:
        cols = ", ".join(COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" if self.pg else f"{c} = VALUES({c})" for c in COLUMNS[1:])
        if self.pg:
            conn = self.server.connect(autocommit=False)
            conn.execute(f"CREATE TEMP TABLE stage (LIKE {table}) ON COMMIT DELETE ROWS")
            conn.commit()
            types = ["int8", "int4", "varchar", "varchar", "numeric", "float8", "bool", "timestamp", "date", "text"]
            start = time.perf_counter()
            for offset in range(0, len(rows), batch):
                with conn.cursor().copy("COPY stage FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(types)
                    for row in rows[offset:offset + batch]:
                        copy.write_row(row)
                conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM stage ON CONFLICT (id) DO UPDATE SET {updates}")
                conn.commit()
            elapsed = time.perf_counter() - start
        else:
            conn = self.server.connect(autocommit=False)
            sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * 10)}) ON DUPLICATE KEY UPDATE {updates}"
            start = time.perf_counter()
            with conn.cursor() as cur:
                for offset in range(0, len(rows), batch):
                    cur.executemany(sql, rows[offset:offset + batch])
                    conn.commit()
            elapsed = time.perf_counter() - start
        conn.close()
        return len(rows) / elapsed

    def checksum(self, table: str) -> tuple:
        [row] = self.server.execute(CHECKSUM_SQL.format(table=table))
        return tuple(int(v) if isinstance(v, decimal.Decimal) and i != 3 else v for i, v in enumerate(row))

    def value_at(self, table: str, key: int) -> str | None:
        rows = self.server.execute(f"SELECT customer FROM {table} WHERE id = %s", (key,))
        return rows[0][0] if rows else None


# -- the connector run -----------------------------------------------------------------------------------

def run_connector(target: Target, broker, topic: str, table: str, rows: list[tuple], batch: int, work: Path) -> float:
    worker = work / f"worker-{target.kind}.properties"
    worker.write_text("\n".join(f"{k}={v}" for k, v in {
        "bootstrap.servers": broker.bootstrap_servers,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "offset.storage.file.filename": str(work / "connect.offsets"), "offset.flush.interval.ms": "5000",
        "listeners": "http://127.0.0.1:0", "consumer.max.poll.records": str(batch),
        "consumer.session.timeout.ms": "6000", "consumer.heartbeat.interval.ms": "1000",
    }.items()) + "\n")
    server = target.server
    connector = work / f"sink-{target.kind}.json"
    connector.write_text(json.dumps({"name": f"bench-{target.kind}", "config": {
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "tasks.max": "1", "topics": topic,
        "connection.url": server.jdbc_url(), "connection.user": server.user, "connection.password": server.password,
        "table.name.format": table, "insert.mode": "upsert", "pk.mode": "record_value", "pk.fields": "id",
        "batch.size": str(batch)}}))
    first, last = rows[0], rows[-1]
    log = open(work / f"worker-{target.kind}.log", "wb")  # noqa: SIM115
    # BENCH_PROFILE=dir: the worker runs under py-spy (collapsed stacks for the analysis in BENCHMARKS.md).
    profile = os.environ.get("BENCH_PROFILE")
    wrapper = ["py-spy", "record", "--threads", "--format", "raw", "--rate", "200", "-o",
               str(Path(profile) / f"worker-{target.kind}.txt"), "--"] if profile else []
    proc = subprocess.Popen([*wrapper, sys.executable, "-m", "dbconnect.cli", "--log-level", "WARNING", "standalone", str(worker),
                             str(connector)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 120
        while target.value_at(table, first[0]) != first[2]:  # the first batch is committed
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start writing; see {log.name}")
            time.sleep(0.01)
        started, cpu_started = time.perf_counter(), _cpu_seconds(proc.pid)
        others = {"database": server.pid, "broker": broker.pid}
        others_started = {k: _tree_cpu(p) for k, p in others.items()}
        deadline = time.monotonic() + 1800
        while target.value_at(table, last[0]) != last[2]:  # one partition, in order: the last row is last
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not finish; see {log.name}")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        if not profile:  # the worker's own CPU time (all its threads) per row, in the timed window
            cpu = _cpu_seconds(proc.pid) - cpu_started
            print(f"{target.kind:10}  worker CPU {cpu / (len(rows) - batch) * 1e6:.1f} µs/row "
                  f"({cpu / elapsed:.0%} of one core)", flush=True)
            print("            " + ", ".join(f"{k} CPU {(_tree_cpu(p) - others_started[k]) / (len(rows) - batch) * 1e6:.1f} "
                                         "µs/row" for k, p in others.items()), flush=True)
            if os.environ.get("BENCH_THREADS"):  # CPU seconds per OS thread of the worker (whole run)
                for task in sorted(Path(f"/proc/{proc.pid}/task").iterdir()):
                    name = (task / "comm").read_text().strip()
                    print(f"    {name:16} {_cpu_seconds(proc.pid, task.name):6.2f} s")
    finally:
        proc.send_signal(2 if profile else 15)  # py-spy writes its profile on SIGINT
        proc.wait(60)
    # The first batch was written before the clock started.
    return (len(rows) - batch) / elapsed


def _cpu_seconds(pid: int, thread: str | None = None) -> float:
    """User + system CPU time of process ``pid`` (or one of its threads; Linux /proc), in seconds."""
    path = f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat"
    fields = Path(path).read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu(pid: int | None) -> float:
    """CPU seconds of ``pid`` and all its descendants (0 when unknown)."""
    if pid is None:
        return 0.0
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += _cpu_seconds(p)
        except OSError:
            pass
        todo += children.get(p, [])
    return total


def produce(broker, topic: str, rows: list[tuple]) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "linger.ms": 20, "acks": "all"})
    for i, row in enumerate(rows):
        while True:
            try:
                producer.produce(topic, message(row), key=str(row[0]).encode())
                break
            except BufferError:
                producer.poll(0.05)
        if i % 5000 == 0:
            producer.poll(0)
    assert producer.flush(300) == 0


def verify(got: tuple, expected: tuple) -> None:
    """Equal checksums; the float sum only up to summation-order rounding."""
    assert got[:-1] == expected[:-1], (got, expected)
    assert abs(float(got[-1]) - expected[-1]) <= 1e-9 * abs(expected[-1]), (got[-1], expected[-1])


def bench(kind: str, server, broker, rows: list[tuple], preload: list[tuple], expected: tuple, batch: int,
          work: Path) -> tuple[float, float]:
    target = Target(kind, server)
    target.create("limit_dst", preload)
    limit = target.limit("limit_dst", rows, batch)
    verify(target.checksum("limit_dst"), expected)
    target.server.execute("DROP TABLE limit_dst")
    target.create("sink_dst", preload)
    topic = f"bench-{kind}"
    broker.create_topic(topic)
    produce(broker, topic, rows)
    rate = run_connector(target, broker, topic, "sink_dst", rows, batch, work)
    verify(target.checksum("sink_dst"), expected)
    print(f"{kind:10}  limit {limit:10,.0f} rows/s   connector {rate:10,.0f} rows/s   ratio {rate / limit:.2f}   "
          f"(verified: {expected[0]:,} rows, checksums equal)", flush=True)
    return limit, rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--only", choices=["postgresql", "mariadb"])
    args = parser.parse_args()
    rows = make_rows(args.rows)
    preload = [r for r in make_rows(args.rows, variant=1) if r[0] % 2 == 0]
    expected = checksum(rows)
    with tempfile.TemporaryDirectory(prefix="dbconnect-bench-sink-") as tmp, EmbeddedBroker() as broker:
        work = Path(tmp)
        if args.only in (None, "postgresql"):
            with EmbeddedPostgres(settings=PG_SETTINGS) as pg:
                bench("postgresql", pg, broker, rows, preload, expected, args.batch, work)
        if args.only in (None, "mariadb"):
            with EmbeddedMariaDB(options=MARIADB_OPTIONS) as maria:
                bench("mariadb", maria, broker, rows, preload, expected, args.batch, work)


if __name__ == "__main__":
    main()
