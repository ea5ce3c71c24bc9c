"""JdbcSinkConnector upsert throughput into PostgreSQL and MariaDB, next to the limit measured in the same run.

Usage: python bench/jdbc_sink.py [--rows 1000000] [--only postgresql|mariadb] [--tuned | --defaults]
                                 [--batch 10000] [--converter jsonschema|json] [--decimal-format BASE64|NUMERIC]

Decimals are written as the producing JsonSchemaConverter does by default (NUMERIC: exact JSON
numbers), as a tutorial user gets them; ``--decimal-format BASE64`` writes Confluent's base64 instead.

Both runs by default, each on its own database servers:
- **tuned**: ``batch.size=--batch`` (10000), ``consumer.max.poll.records=--batch``,
  ``offset.flush.interval.ms=5000``, databases with larger buffers and logs (PG_SETTINGS,
  MARIADB_OPTIONS);
- **defaults** (``--defaults``): what a user following a tutorial gets — the connector config
  has only the connection, topic and key settings (``batch.size`` 3000), the worker only the
  broker, converters and REST listener (``offset.flush.interval.ms`` 60 s, no consumer tuning),
  the embedded databases with their default settings.
Per database and run:
1. ``--rows`` rows with 10 mixed columns (bigint pk, int, varchar, varchar, numeric(12,2), double,
   boolean, timestamp, date, text) are generated; the target table is created with half of the keys
   (the even ids) already present with *different* values, so every other row is a real update;
2. the limit: the same rows as native Python tuples written by the database's fastest upsert —
   PostgreSQL: binary COPY into a temp table + INSERT … SELECT … ON CONFLICT DO UPDATE, 10k rows per
   transaction; MariaDB: PyMySQL executemany of INSERT … ON DUPLICATE KEY UPDATE (multi-row), 10k rows
   per transaction;
3. the connector: the rows were produced beforehand (one 1-partition topic) — with
   ``--converter jsonschema`` (default) keys (a ``{id}`` struct) and values through our
   JsonSchemaConverter and the embedded schema registry; with ``json`` String keys and JsonConverter
   values with schemas (the input of the first versions of this benchmark). A standalone worker (a
   separate process) starts, the connector (insert.mode=upsert, pk.mode=record_key; json:
   record_value) is created over REST, and the clock runs from that call until the last row is
   committed in the target (start-up and group join included: what a user waits for). The
   steady-state rate is timed from the row at 10 % to the last one (rows are detected by
   primary-key lookups; one partition, written in order);
4. both results are verified: count and checksums (sums, lengths, min/max) against the generated data.
Prints rows/s for both and the ratio (must ≥ 0.5 with defaults; goal: defaults ≥ 0.8 × tuned).

``--ab N`` (the metrics overhead, issue 16): instead of the above, on one database server and the
same topic, N pairs of connector runs (the tuned config; ``--defaults``: the defaults one) alternating
the worker with its real metric recorders (A) and with no-op ones (B, bench/noop_metrics.py: not a
user setting), the order swapped every pair; each run's rates and worker CPU per row (steady window,
task processes included), then medians, spread, B / A and the same run's limit.

Experiments (not in the reported figures): ``--tuned-databases`` gives the defaults run the tuned
database settings; ``--worker``/``--connector KEY=VALUE`` add settings. Environment:
``BENCH_THREADS=1`` prints the worker's CPU and context switches per thread, ``BENCH_PROFILE=dir``
runs the worker under py-spy (``BENCH_PROFILE_IDLE=1``: idle samples too), ``BENCH_KEEP=dir`` keeps
the worker logs, ``BENCH_LOG_LEVEL`` sets the worker's log level.
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
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dbconnect.api.data import (  # noqa: E402
    BOOLEAN_SCHEMA, FLOAT64_SCHEMA, INT32_SCHEMA, INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, Date, Decimal,
    SchemaBuilder, Struct, Timestamp,
)
from dbconnect.embedded import EmbeddedBroker, EmbeddedMariaDB, EmbeddedPostgres, EmbeddedRegistry  # noqa: E402
from dbconnect.embedded.ports import free_port  # noqa: E402

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
VALUE_SCHEMA = (SchemaBuilder.struct().name("bench.Order")
                .field("id", INT64_SCHEMA).field("qty", INT32_SCHEMA).field("customer", STRING_SCHEMA)
                .field("product", STRING_SCHEMA).field("amount", Decimal.schema(2, 12)).field("score", FLOAT64_SCHEMA)
                .field("active", BOOLEAN_SCHEMA).field("created_at", Timestamp.SCHEMA)
                .field("ship_date", Date.SCHEMA).field("note", OPTIONAL_STRING_SCHEMA).build())
KEY_SCHEMA = SchemaBuilder.struct().name("bench.OrderKey").field("id", INT64_SCHEMA).build()
UTC = dt.timezone.utc
# The test broker (Tansu) holds a new consumer group's first join for half the session timeout:
# 23 s with librdkafka's default of 45 s, where Apache Kafka waits group.initial.rebalance.delay.ms
# (3 s by default). Both runs set 6 s, which makes Tansu's join take those 3 s: the one setting the
# defaults run adds, to time start-up as a user on Apache Kafka sees it (--tansu-join: leave it out).
TANSU_JOIN = {"consumer.session.timeout.ms": "6000", "consumer.heartbeat.interval.ms": "1000"}
# The tuned run's database settings (../shared/reference/limits-measured.md); the defaults run uses
# the embedded servers' own.
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


def json_message(row: tuple) -> bytes:
    """A JsonConverter (schemas.enable=true) value."""
    amount = int(row[4] * 100)
    raw = amount.to_bytes(amount.bit_length() // 8 + 1, "big", signed=True)
    payload = {"id": row[0], "qty": row[1], "customer": row[2], "product": row[3],
               "amount": base64.b64encode(raw).decode(), "score": row[5], "active": row[6],
               "created_at": (row[7] - EPOCH) // dt.timedelta(milliseconds=1),
               "ship_date": (row[8] - EPOCH.date()).days, "note": row[9]}
    return orjson.dumps({"schema": SCHEMA, "payload": payload})


def jsonschema_messages(rows: list[tuple], registry_url: str, topic: str, decimal_format: str | None):
    """(key, value) bytes of each row through our JsonSchemaConverter (keys: the {id} struct)."""
    from dbconnect.converters.jsonschema import JsonSchemaConverter

    keys, values = JsonSchemaConverter(), JsonSchemaConverter()
    keys.configure({"schema.registry.url": registry_url}, is_key=True)
    settings = {"schema.registry.url": registry_url}
    if decimal_format is not None:  # None: the converter's default (NUMERIC), what a tutorial user gets
        settings["decimal.format"] = decimal_format
    values.configure(settings, is_key=False)
    fields = VALUE_SCHEMA.fields
    try:
        for row in rows:
            value = Struct(VALUE_SCHEMA)
            for f, v in zip(fields, row):
                value.put(f.name, v.replace(tzinfo=UTC) if f.name == "created_at" else v)
            yield (keys.from_connect_data(topic, KEY_SCHEMA, Struct(KEY_SCHEMA).put("id", row[0])),
                   values.from_connect_data(topic, VALUE_SCHEMA, value))
    finally:
        keys.close()
        values.close()


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

class Run:
    """One benchmark configuration: tuned or defaults."""

    def __init__(self, name: str, args: argparse.Namespace, registry_url: str) -> None:
        self.name, self.tuned = name, name == "tuned"
        self.converter, self.batch = args.converter, args.batch
        self.registry_url = registry_url
        self.tansu_join = args.tansu_join
        self.extra_worker = dict(kv.split("=", 1) for kv in args.worker)
        self.extra_connector = dict(kv.split("=", 1) for kv in args.connector)

    def worker_props(self, broker, work: Path, port: int) -> dict[str, str]:
        props = {"bootstrap.servers": broker.bootstrap_servers, "listeners": f"http://127.0.0.1:{port}",
                 "offset.storage.file.filename": str(work / f"connect-{self.name}.offsets")}
        if self.converter == "json":
            props.update({"key.converter": "org.apache.kafka.connect.storage.StringConverter",
                          "value.converter": "org.apache.kafka.connect.json.JsonConverter"})
        else:
            props.update({"key.converter": "io.confluent.connect.json.JsonSchemaConverter",
                          "key.converter.schema.registry.url": self.registry_url,
                          "value.converter": "io.confluent.connect.json.JsonSchemaConverter",
                          "value.converter.schema.registry.url": self.registry_url})
        if self.tuned:
            props.update({"offset.flush.interval.ms": "5000", "consumer.max.poll.records": str(self.batch)})
        if not self.tansu_join:
            props.update(TANSU_JOIN)
        return {**props, **self.extra_worker}

    def connector_config(self, server, topic: str, table: str) -> dict[str, str]:
        config = {"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "tasks.max": "1", "topics": topic,
                  "connection.url": server.jdbc_url(), "connection.user": server.user,
                  "connection.password": server.password, "table.name.format": table, "insert.mode": "upsert",
                  "pk.mode": "record_value" if self.converter == "json" else "record_key", "pk.fields": "id"}
        if self.tuned:
            config["batch.size"] = str(self.batch)
        return {**config, **self.extra_connector}


def run_connector(run: Run, target: Target, broker, topic: str, table: str, rows: list[tuple],
                  work: Path, noop: bool | None = None, suffix: str = "", figures: bool = False) -> tuple[float, float]:
    """(rows/s from the REST call to the last row committed, steady-state rows/s from 10 % on).

    ``noop`` (``--ab``): the worker runs through bench/noop_metrics.py, with no-op metric recorders
    when True, the real ones when False; ``run.last_cpu`` is then its CPU µs/row (steady window)."""
    port = free_port()
    worker = work / f"worker-{run.name}-{target.kind}.properties"
    worker.write_text("".join(f"{k}={v}\n" for k, v in run.worker_props(broker, work, port).items()))
    server = target.server
    url = f"http://127.0.0.1:{port}"
    log = open(work / f"worker-{run.name}-{target.kind}.log", "wb")  # noqa: SIM115
    # BENCH_PROFILE=dir: the worker runs under py-spy (collapsed stacks for the analysis in BENCHMARKS.md).
    profile = os.environ.get("BENCH_PROFILE")
    wrapper = ["py-spy", "record", "--threads", *(["--idle"] if os.environ.get("BENCH_PROFILE_IDLE") else []),
               "--format", "raw", "--rate", "200", "-o",
               str(Path(profile) / f"worker-{run.name}-{target.kind}.txt"), "--"] if profile else []
    entry, env = ["-m", "dbconnect.cli"], {**os.environ, "PYTHONPATH": str(ROOT)}
    if noop is not None:
        switch = work / "noop-metrics.switch"
        if noop:
            switch.touch()
        else:
            switch.unlink(missing_ok=True)
        entry, env["DBCONNECT_BENCH_NOOP_METRICS"] = [str(ROOT / "bench" / "noop_metrics.py")], str(switch)
    proc = subprocess.Popen([*wrapper, sys.executable, *entry, "--log-level", os.environ.get("BENCH_LOG_LEVEL", "WARNING"), "standalone",
                             str(worker)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    tenth, last = rows[len(rows) // 10], rows[-1]
    try:
        _wait_for_rest(proc, url, log.name)
        started = time.perf_counter()
        # (--ab: a name, so a consumer group, per run: each run reads the topic from its start)
        response = requests.put(f"{url}/connectors/bench-{run.name}-{target.kind}{suffix}/config",
                                json=run.connector_config(server, topic, table), timeout=60)
        if response.status_code not in (200, 201):
            raise SystemExit(f"creating the connector failed: {response.status_code} {response.text}")
        deadline = time.monotonic() + 600
        first = rows[0]
        while target.value_at(table, first[0]) != first[2]:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start writing; see {log.name}")
            time.sleep(0.01)
        print(f"    {run.name:8} {target.kind:10}  first row committed {time.perf_counter() - started:.1f} s "
              "after the REST call", flush=True)
        while target.value_at(table, tenth[0]) != tenth[2]:  # one partition, in order: all before it too
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start writing; see {log.name}")
            time.sleep(0.01)
        # The worker with its task processes (task.isolation=process: children of its fork server).
        steady, cpu_steady = time.perf_counter(), _tree_cpu(proc.pid)
        others = {"database": server.pid, "broker": broker.pid}
        others_steady = {k: _tree_cpu(p) for k, p in others.items()}
        deadline = time.monotonic() + 1800
        while target.value_at(table, last[0]) != last[2]:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not finish; see {log.name}")
            time.sleep(0.02)
        done = time.perf_counter()
        counted = len(rows) - len(rows) // 10
        if figures:  # --ab's extra run: the task's own counts of its put() batches and transactions
            run.last_figures = _task_figures(url, len(rows))
        if not profile:  # CPU time per row in the steady window: the worker (all threads), database, broker
            cpu = _tree_cpu(proc.pid) - cpu_steady
            run.last_cpu = cpu / counted * 1e6
            print(f"    {run.name:8} {target.kind:10}  worker CPU {cpu / counted * 1e6:.1f} µs/row "
                  f"({cpu / (done - steady):.0%} of one core); "
                  + ", ".join(f"{k} CPU {(_tree_cpu(p) - others_steady[k]) / counted * 1e6:.1f} µs/row"
                              for k, p in others.items()), flush=True)
            if os.environ.get("BENCH_THREADS"):  # CPU seconds per OS thread of the worker tree (whole run)
                for pid in _tree_pids(proc.pid):
                    for task in sorted(Path(f"/proc/{pid}/task").iterdir()):
                        name = (task / "comm").read_text().strip()
                        print(f"        {pid:>7} {name:16} {_cpu_seconds(pid, task.name):6.2f} s  "
                              f"{_context_switches(pid, task.name)}", flush=True)
    finally:
        proc.send_signal(2 if profile else 15)  # py-spy writes its profile on SIGINT
        proc.wait(60)
    return len(rows) / (done - started), counted / (done - steady)


def _task_figures(url: str, rows: int) -> dict[str, float]:
    """The sink task's figures once its snapshot counts every row (task processes report once a second)."""
    from prometheus_client.parser import text_string_to_metric_families

    deadline = time.monotonic() + 30
    while True:
        text = requests.get(f"{url}/metrics", timeout=10).text
        samples = {s.name + (f"{{le={s.labels['le']}}}" if "le" in s.labels else ""): s.value
                   for family in text_string_to_metric_families(text) for s in family.samples
                   if s.labels.get("task") == "0" and "kind" not in s.labels}
        if samples.get("kafka_connect_sink_task_metrics_sink_record_send_total", 0) >= rows or time.monotonic() > deadline:
            return samples
        time.sleep(0.2)


def _wait_for_rest(proc: subprocess.Popen, url: str, log: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(url + "/", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start; see {log}")
        time.sleep(0.05)


def _cpu_seconds(pid: int, thread: str | None = None) -> float:
    """User + system CPU time of process ``pid`` (or one of its threads; Linux /proc), in seconds."""
    path = f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat"
    fields = Path(path).read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _context_switches(pid: int, thread: str) -> str:
    """A thread's voluntary/involuntary context switches (whole run): GIL hand-offs and waits
    show as voluntary ones, preemption by other work on the cores as involuntary ones."""
    fields = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/task/{thread}/status").read_text().splitlines()
                  if ":\t" in line)
    return (f"{int(fields['voluntary_ctxt_switches']):>8} voluntary, "
            f"{int(fields['nonvoluntary_ctxt_switches']):>7} involuntary switches")


def _tree_pids(pid: int) -> list[int]:
    """``pid`` and all its living descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _tree_cpu(pid: int | None) -> float:
    """CPU seconds of ``pid`` and all its descendants (0 when unknown)."""
    if pid is None:
        return 0.0
    total = 0.0
    for p in _tree_pids(pid):
        try:
            total += _cpu_seconds(p)
        except OSError:
            pass
    return total


def produce(broker, topic: str, messages) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "linger.ms": 20, "acks": "all"})
    for i, (key, value) in enumerate(messages):
        while True:
            try:
                producer.produce(topic, value, key=key)
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


def bench(run: Run, kind: str, server, broker, topic: str, rows: list[tuple], preload: list[tuple],
          expected: tuple, work: Path) -> dict:
    target = Target(kind, server)
    target.create("limit_dst", preload)
    db_cpu = _tree_cpu(server.pid)
    limit = target.limit("limit_dst", rows, 10_000)
    print(f"    {run.name:8} {kind:10}  limit: database CPU {(_tree_cpu(server.pid) - db_cpu) / len(rows) * 1e6:.1f} "
          "µs/row", flush=True)
    verify(target.checksum("limit_dst"), expected)
    target.server.execute("DROP TABLE limit_dst")
    target.create("sink_dst", preload)
    user, steady = run_connector(run, target, broker, topic, "sink_dst", rows, work)
    verify(target.checksum("sink_dst"), expected)
    print(f"{run.name:8} {kind:10}  limit {limit:9,.0f} rows/s | connector {user:9,.0f} rows/s from the REST call "
          f"(ratio {user / limit:.2f}), {steady:9,.0f} rows/s steady (ratio {steady / limit:.2f})   "
          f"(verified: {expected[0]:,} rows, checksums equal)", flush=True)
    return {"limit": limit, "user": user, "steady": steady}


class _kept:
    def __init__(self, path: str) -> None:
        self.path = path
        Path(path).mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> str:
        return self.path

    def __exit__(self, *exc) -> None:
        pass


def ab(run: Run, kind: str, server, broker, topic: str, rows: list[tuple], preload: list[tuple],
       expected: tuple, work: Path, pairs: int, control: bool = False) -> None:
    """Alternated A (metrics) / B (no-op recorders) runs on one server; see the module's docstring."""
    import statistics

    target = Target(kind, server)
    target.create("limit_dst", preload)
    limit = target.limit("limit_dst", rows, 10_000)
    target.server.execute("DROP TABLE limit_dst")
    print(f"{run.name} {kind}: A/B{' CONTROL (B = A)' if control else ''}, {pairs} pairs of {len(rows):,} rows; limit {limit:,.0f} rows/s", flush=True)
    results: dict[str, list[tuple[float, float, float]]] = {"A": [], "B": []}
    for pair in range(pairs):
        for variant in ("AB" if pair % 2 == 0 else "BA"):
            target.create("sink_dst", preload)
            used = work / "noop-metrics.switch.used"
            noop_tasks = len(used.read_text().splitlines()) if used.exists() else 0
            user, steady = run_connector(run, target, broker, topic, "sink_dst", rows, work, noop=variant == "B" and not control,
                                          suffix=f"-ab{pair}{variant}")
            now_noop = len(used.read_text().splitlines()) if used.exists() else 0
            assert now_noop - noop_tasks == (variant == "B" and not control), "the no-op recorders were (not) used"
            verify(target.checksum("sink_dst"), expected)
            target.server.execute("DROP TABLE sink_dst")
            results[variant].append((user, steady, run.last_cpu))
            print(f"{run.name} {kind} pair {pair} {variant}: {user:9,.0f} rows/s from the REST call | steady "
                  f"{steady:9,.0f} rows/s | worker CPU {run.last_cpu:.2f} µs/row (steady window)", flush=True)
    # One more A run, not in the statistics: the task's own count of its put() batches and transactions.
    target.create("sink_dst", preload)
    run_connector(run, target, broker, topic, "sink_dst", rows, work, noop=False, suffix="-abfigures", figures=True)
    target.server.execute("DROP TABLE sink_dst")
    f = run.last_figures
    size = f.get("kafka_connect_connector_task_metrics_batch_size_avg") or 0
    print(f"{run.name} {kind} the task's figures (an extra A run): {f.get('kafka_connect_sink_task_metrics_sink_record_send_total', 0):,.0f} "
          f"records put in {len(rows) / size if size else float('nan'):,.0f} put() batches (batch-size-avg {size:,.1f}, "
          f"max {f.get('kafka_connect_connector_task_metrics_batch_size_max', 0):,.0f}), "
          f"{f.get('dbconnect_jdbc_sink_write_seconds_count', 0):,.0f} write transactions, "
          f"{f.get('kafka_connect_sink_task_metrics_offset_commit_completion_total', 0):,.0f} offset commits; "
          f"put-batch-avg-time-ms {f.get('kafka_connect_sink_task_metrics_put_batch_avg_time_ms', 0):.3f}", flush=True)
    medians = {}
    for variant, label in (("A", "A metrics"), ("B", "B no-op  ")):
        line = []
        for i, unit in enumerate(("rows/s from REST", "rows/s steady", "µs/row worker CPU")):
            values = [r[i] for r in results[variant]]
            medians[(variant, i)] = statistics.median(values)
            line.append(f"{unit} median {statistics.median(values):,.2f} (min {min(values):,.2f}, max {max(values):,.2f})")
        print(f"{run.name} {kind} {label}: " + "; ".join(line), flush=True)
    print(f"{run.name} {kind} A / B: rate {medians[('A', 0)] / medians[('B', 0)]:.3f}, steady "
          f"{medians[('A', 1)] / medians[('B', 1)]:.3f}, worker CPU per row {medians[('A', 2)] / medians[('B', 2)]:.3f} "
          f"(+{medians[('A', 2)] - medians[('B', 2)]:.3f} µs/row); limit {limit:,.0f} rows/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000, help="batch.size and max.poll.records of the tuned run")
    parser.add_argument("--only", choices=["postgresql", "mariadb"])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--defaults", action="store_true", help="only the run with default settings")
    which.add_argument("--tuned", action="store_true", help="only the tuned run")
    parser.add_argument("--converter", choices=["jsonschema", "json"], default="jsonschema")
    parser.add_argument("--tansu-join", action="store_true",
                        help="keep the consumer's default session timeout (the test broker then takes 23 s to join)")
    parser.add_argument("--tuned-databases", action="store_true",
                        help="the defaults run too gets the tuned database settings (PG_SETTINGS, MARIADB_OPTIONS)")
    parser.add_argument("--worker", action="append", default=[], metavar="KEY=VALUE",
                        help="an extra worker setting (experiments; not in the reported figures)")
    parser.add_argument("--connector", action="append", default=[], metavar="KEY=VALUE",
                        help="an extra connector setting (experiments; not in the reported figures)")
    parser.add_argument("--decimal-format", choices=["BASE64", "NUMERIC"], default=None,
                        help="how the producing JsonSchemaConverter writes the numeric column (default: the "
                             "converter's own default, NUMERIC, as a tutorial user gets it)")
    parser.add_argument("--ab", type=int, default=0, metavar="N",
                        help="N alternated pairs: real metric recorders (A) vs no-op ones (B); see above")
    parser.add_argument("--ab-control", action="store_true",
                        help="with --ab: B runs keep the real recorders too (an A/A run: the method's own noise)")
    args = parser.parse_args()
    runs = ["defaults"] if args.defaults else ["tuned"] if args.tuned else ["tuned", "defaults"]
    kinds = [args.only] if args.only else ["postgresql", "mariadb"]
    rows = make_rows(args.rows)
    preload = [r for r in make_rows(args.rows, variant=1) if r[0] % 2 == 0]
    expected = checksum(rows)
    results: dict[tuple[str, str], dict] = {}
    keep = os.environ.get("BENCH_KEEP")  # a directory for the worker logs (else a temp dir)
    with (tempfile.TemporaryDirectory(prefix="dbconnect-bench-sink-") if not keep else _kept(keep)) as tmp, EmbeddedBroker() as broker, \
            EmbeddedRegistry() as registry:
        work = Path(tmp)
        topic = f"bench-orders-{args.converter}"
        broker.create_topic(topic)
        started = time.perf_counter()
        if args.converter == "json":
            produce(broker, topic, ((str(r[0]).encode(), json_message(r)) for r in rows))
        else:
            produce(broker, topic, jsonschema_messages(rows, registry.url, topic, args.decimal_format))
        decimals = args.decimal_format or "the converter's default, NUMERIC"
        print(f"produced {len(rows):,} records ({args.converter}, decimal.format: {decimals}) in "
              f"{time.perf_counter() - started:.1f} s",
              flush=True)
        for name in runs if args.ab else []:
            run = Run(name, args, registry.url)
            for kind in kinds:
                if kind == "postgresql":
                    settings = {"settings": PG_SETTINGS} if run.tuned or args.tuned_databases else {}
                    with EmbeddedPostgres(**settings) as pg:
                        ab(run, kind, pg, broker, topic, rows, preload, expected, work, args.ab, args.ab_control)
                else:
                    options = {"options": MARIADB_OPTIONS} if run.tuned or args.tuned_databases else {}
                    with EmbeddedMariaDB(**options) as maria:
                        ab(run, kind, maria, broker, topic, rows, preload, expected, work, args.ab, args.ab_control)
        if args.ab:
            return
        for name in runs:
            run = Run(name, args, registry.url)
            for kind in kinds:
                if kind == "postgresql":
                    settings = {"settings": PG_SETTINGS} if run.tuned or args.tuned_databases else {}
                    with EmbeddedPostgres(**settings) as pg:
                        results[(name, kind)] = bench(run, kind, pg, broker, topic, rows, preload, expected, work)
                else:
                    options = {"options": MARIADB_OPTIONS} if run.tuned or args.tuned_databases else {}
                    with EmbeddedMariaDB(**options) as maria:
                        results[(name, kind)] = bench(run, kind, maria, broker, topic, rows, preload, expected, work)
    print()
    for kind in kinds:
        for name in runs:
            r = results[(name, kind)]
            print(f"{kind:10} {name:8}  from the REST call {r['user']:9,.0f} rows/s = {r['user'] / r['limit']:.2f} "
                  f"of the limit {r['limit']:,.0f}; steady {r['steady']:9,.0f} rows/s = {r['steady'] / r['limit']:.2f}")
        if len(runs) == 2:
            tuned, defaults = results[("tuned", kind)], results[("defaults", kind)]
            print(f"{kind:10} defaults / tuned: {defaults['user'] / tuned['user']:.2f} from the REST call, "
                  f"{defaults['steady'] / tuned['steady']:.2f} steady (goal ≥ 0.8)")
        if "defaults" in runs:
            r = results[("defaults", kind)]
            print(f"{kind:10} must: defaults ≥ 0.5 of the limit: {'met' if r['user'] / r['limit'] >= 0.5 else 'NOT met'} "
                  f"({r['user'] / r['limit']:.2f} from the REST call)")


if __name__ == "__main__":
    main()
