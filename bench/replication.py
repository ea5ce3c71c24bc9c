"""Replication database → topic → database with a tutorial's configs, against dlt on the same table.

Usage: flock /tmp/dbconnect-bench.lock python bench/replication.py [--rows 300000]
           [--only postgresql|mariadb] [--skip-dlt] [--one-core] [--tansu-join] [--source-first]

Per database (PostgreSQL 16 and MariaDB, embedded, their default settings), in one run:
1. the 10-column ``bench_rows`` table of bench/jdbc_source.py (bigint pk, int, 2 varchar, numeric(12,2),
   double, boolean, timestamp, date, text) is generated with --rows rows in database ``bench``;
2. dbconnect: one standalone worker process (``python -m dbconnect.cli standalone``) with only what a
   tutorial worker has — bootstrap.servers, JsonSchemaConverter for keys and values with the embedded
   registry's URL, listeners, offset.storage.file.filename — plus, unless --tansu-join, a consumer
   session timeout of 6 s (TANSU_JOIN: the test broker holds a group's first join for half the
   session timeout, 23 s at the default 45 s, where Apache Kafka waits 3 s). Over REST the sink
   (connection, topics, insert.mode=upsert, pk.mode=record_key, auto.create=true) and then the source
   (connection, mode=incrementing, incrementing.column.name=id, table.whitelist, topic.prefix) are
   POSTed — the order tutorials use; the topic does not exist yet and is auto-created. The clock runs
   from the first POST until the target table (database ``target``) holds every row: primary-key
   lookups (TargetPoll) watch for the first and the last ids, then count and checksum must equal the
   source's (the clock stops after that check). Printed: rows/s from the REST call,
   start-up (to the first row in the target), steady (first row to last), CPU per row of the worker
   (its process tree: threads now, task processes later), of the database and of the broker, and the
   worker's CPU per thread;
3. dlt (unless --skip-dlt): ``sql_table(backend="pyarrow")``, incremental on ``id``,
   ``write_disposition="merge"`` (bench/dlt_replication.py), run by a private venv bench/.venv-dlt
   (created on first use: dlt never enters the shared environment), into the same target database —
   PostgreSQL with dlt's postgres destination, MariaDB with its sqlalchemy destination (mysql+pymysql;
   dlt has no MariaDB destination of its own). Timed from the start of its process to the end of its
   load; its target is verified by count and checksum too. Printed: rows/s and dbconnect / dlt;
4. --one-core: both again with the worker (and the dlt process) pinned to CPU 0 (taskset -c 0); the
   databases and the broker stay unpinned.
--source-first (an experiment, not a tutorial's order): the source is POSTed first and the sink once
its topic exists, which takes the sink's topic discovery out of the start-up.
Environment: ``BENCH_LOG_LEVEL`` (the worker's log level, WARNING by default; INFO shows the start-up's steps)
and ``BENCH_KEEP=dir`` (the worker logs are copied there).
Must: dbconnect ≥ 1.5 × dlt; goal ≥ 2.5 × (issue 12).
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from dbconnect.embedded import EmbeddedBroker, EmbeddedMariaDB, EmbeddedPostgres, EmbeddedRegistry  # noqa: E402
from dbconnect.embedded.ports import _parent_death_signal, free_port  # noqa: E402
from jdbc_sink import TANSU_JOIN, _tree_pids, _wait_for_rest  # noqa: E402
from jdbc_source import converter_props, make_table  # noqa: E402

DLT_VENV = BENCH / ".venv-dlt"
DLT_PACKAGES = ["dlt[postgres,sqlalchemy]", "pyarrow", "pymysql"]
SOURCE_DB, TARGET_DB = "bench", "target"
CHECKSUM_SQL = ("SELECT count(*), sum(id), sum(account_id), sum(amount), sum(CASE WHEN active THEN 1 ELSE 0 END), "
                "sum(length(name) + length(email) + coalesce(length(note), 0)), min(created_at), max(created_at), "
                "min(birth), max(birth), sum(score) FROM {table}")


# -- configs ----------------------------------------------------------------------------------------------

def worker_props(bootstrap: str, registry_url: str, port: int, work: Path, tansu_join: bool,
                 extra: dict[str, str] | None = None) -> dict[str, str]:
    props = {"bootstrap.servers": bootstrap, **converter_props("jsonschema", registry_url),
             "listeners": f"http://127.0.0.1:{port}", "offset.storage.file.filename": str(work / "connect.offsets")}
    if not tansu_join:
        props.update(TANSU_JOIN)
    return {**props, **(extra or {})}  # --worker KEY=VALUE (e.g. task.isolation=process)


def connection(server, dbname: str) -> dict[str, str]:
    return {"connection.url": server.jdbc_url(dbname), "connection.user": server.user,
            "connection.password": server.password}


def source_config(server, prefix: str) -> dict[str, str]:
    return {"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector", **connection(server, SOURCE_DB),
            "mode": "incrementing", "incrementing.column.name": "id", "table.whitelist": "bench_rows",
            "topic.prefix": prefix}


def sink_config(server, topic: str) -> dict[str, str]:
    return {"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", **connection(server, TARGET_DB),
            "topics": topic, "insert.mode": "upsert", "pk.mode": "record_key", "auto.create": "true"}


def describe_keys(props: dict[str, str]) -> str:
    """The keys set, with the values that are the same in every run."""
    fixed = ("mode", "incrementing.column.name", "table.whitelist", "insert.mode", "pk.mode", "auto.create",
             "task.isolation")
    return ", ".join(f"{k}={v}" if k in fixed else k for k, v in props.items())


class _Described:
    """A server stand-in for printing which keys the configs set."""
    user = password = "…"

    def jdbc_url(self, dbname: str) -> str:
        return "…"


# -- verification -------------------------------------------------------------------------------------------

def _normal(value):
    """Checksum values made comparable across column types (timestamptz, DECIMAL sums of integers)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def checksum(server, dbname: str, table: str) -> tuple:
    [row] = server.execute(CHECKSUM_SQL.format(table=table), dbname=dbname)
    return tuple(_normal(v) for v in row)


def same_checksum(got: tuple, expected: tuple) -> bool:
    """Equal, the float sums only up to summation-order rounding."""
    for a, b in zip(got, expected, strict=True):
        if isinstance(a, float) or isinstance(b, float):
            if a is None or b is None or not math.isclose(float(a), float(b), rel_tol=1e-9):
                return False
        elif a != b:
            return False
    return True


TAIL = 100  # the last ids the cheap poll looks for


class TargetPoll:
    """Cheap polls of the sink's target over one kept connection, so that watching does not load the
    database the pipeline writes to (a count(*) of a 1M-row table every 0.2 s would): "has the first
    row arrived" and "are the last TAIL ids there" are primary-key lookups. The source produces keyed
    records to several partitions and the sink writes each partition in order, so once the last 100
    ids (spread over every partition) are in, the rest should be; count and checksum then decide."""

    def __init__(self, server, dbname: str, table: str, rows: int) -> None:
        self.server, self.dbname, self.table, self.rows = server, dbname, table, rows
        self.conn = None

    def _one(self, sql: str):
        try:
            if self.conn is None:
                self.conn = self.server.connect(self.dbname)
            cur = self.conn.cursor()
            cur.execute(sql)
            row = cur.fetchone()
            cur.close()
            return row
        except Exception:  # noqa: BLE001 — psycopg / PyMySQL "no such table" until auto.create ran
            self.close()
            return None

    def any_row(self) -> bool:
        return self._one(f"SELECT 1 FROM {self.table} LIMIT 1") is not None

    def tail_complete(self) -> bool:
        row = self._one(f"SELECT count(*) FROM {self.table} WHERE id > {self.rows - TAIL}")
        return row is not None and row[0] >= min(TAIL, self.rows)

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None


# -- CPU accounting ------------------------------------------------------------------------------------------

def server_cpu(pid: int | None) -> float:
    """CPU seconds of a server and its descendants, including those that exited: each process's own
    time plus its reaped children's (cutime/cstime). bench/jdbc_sink.py's _tree_cpu counts only the
    living, which misses the PostgreSQL backends of a client that has disconnected (dlt's)."""
    if pid is None:
        return 0.0
    total = 0.0
    for p in _tree_pids(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()
            total += sum(int(f) for f in fields[11:15])
        except (OSError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[int, tuple[str, float]]:
    """{tid: (OS thread name, CPU seconds)} of every thread of ``pid`` and its descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for p in _tree_pids(pid):
        try:
            tasks = list(Path(f"/proc/{p}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                fields = (task / "stat").read_text().rpartition(")")[2].split()
                out[int(task.name)] = ((task / "comm").read_text().strip(), (int(fields[11]) + int(fields[12])) / tick)
            except (OSError, ValueError):
                continue
    return out


def python_thread_names(pid: int) -> dict[int, str]:
    """{tid: Python thread name} of the worker's Python processes, from ``py-spy dump`` (best effort:
    the OS knows Python threads only as "python")."""
    names = {}
    for p in _tree_pids(pid):
        try:
            out = subprocess.run(["py-spy", "dump", "--pid", str(p)], capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        for line in out.splitlines():  # Thread 17794 (active): "MainThread"
            if line.startswith("Thread ") and '"' in line:
                tid = line.split()[1]
                if tid.isdigit():
                    names[int(tid)] = line.split('"')[1]
    return names


def per_thread(before: dict, after: dict, names: dict[int, str], rows: int) -> dict[str, float]:
    """µs of CPU per row per kind of thread (librdkafka's together, digits stripped), largest first."""
    kinds: dict[str, float] = {}
    for tid, (comm, seconds) in after.items():
        name = names.get(tid, comm)
        kind = "librdkafka" if name.startswith("rdk:") else name.rstrip("_0123456789-")
        kinds[kind] = kinds.get(kind, 0.0) + seconds - before.get(tid, (comm, 0.0))[1]
    return {k: v / rows * 1e6 for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]) if v > 0.0005 * rows / 1e6}


# -- dbconnect ---------------------------------------------------------------------------------------------

def wait_for_topic(bootstrap: str, topic: str, deadline: float) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    while not (t := admin.list_topics(topic, timeout=10).topics.get(topic)) or t.error or not t.partitions:
        if time.monotonic() > deadline:
            raise SystemExit(f"topic {topic} never appeared")
        time.sleep(0.02)


def run_dbconnect(kind: str, server, broker, registry_url: str, rows: int, expected: tuple, prefix: str,
                  work: Path, one_core: bool, tansu_join: bool, source_first: bool = False,
                  extra: dict[str, str] | None = None) -> dict:
    """One worker process, sink and source POSTed; timed from the first POST to the verified target."""
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    props = worker_props(broker.bootstrap_servers, registry_url, port, work, tansu_join, extra)
    (work / "worker.properties").write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    log = open(work / "worker.log", "wb")  # noqa: SIM115
    pin = ["taskset", "-c", "0"] if one_core else []
    level = os.environ.get("BENCH_LOG_LEVEL", "WARNING")  # INFO shows the start-up's steps (assignments …)
    proc = subprocess.Popen([*pin, sys.executable, "-m", "dbconnect.cli", "--log-level", level, "standalone",
                             str(work / "worker.properties")], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            preexec_fn=_parent_death_signal(signal.SIGKILL))  # no worker outlives an interrupted bench
    topic, table = prefix + "bench_rows", prefix + "bench_rows"
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_rest(proc, url, log.name)
        threads_before = thread_cpu(proc.pid)
        others = {"database": server.pid, "broker": broker.pid}
        others_before = {k: server_cpu(p) for k, p in others.items()}
        started = time.monotonic()
        # Names (so the sink's consumer group) of this run only: each run on the shared broker joins a
        # new group, as a tutorial's first run does. A reused group made librdkafka join twice
        # (metadata "changed" after the first JoinGroup): 3 s more on the test broker.
        sink_name, source_name = f"{prefix}sink", f"{prefix}source"
        connectors = [(sink_name, sink_config(server, topic)), (source_name, source_config(server, prefix))]
        for name, config in reversed(connectors) if source_first else connectors:
            response = requests.post(f"{url}/connectors", json={"name": name, "config": config}, timeout=60)
            if response.status_code != 201:
                raise SystemExit(f"creating {name} failed: {response.status_code} {response.text}")
            if source_first and name == source_name:  # the experiment: the sink subscribes to an existing topic
                wait_for_topic(broker.bootstrap_servers, topic, started + 600)
        first = done = None
        deadline = started + max(600, rows / 500)
        poll = TargetPoll(server, TARGET_DB, table, rows)
        try:
            while True:
                now = time.monotonic()
                if first is None:
                    if poll.any_row():
                        first = now
                elif poll.tail_complete():
                    got = checksum(server, TARGET_DB, table)  # count and checksum decide
                    if same_checksum(got, expected):
                        done = time.monotonic()  # after the check: the clock includes verifying
                        break
                if proc.poll() is not None or now > deadline:
                    raise SystemExit(f"[{kind}] the target does not hold the {rows:,} rows; see {log.name}")
                time.sleep(0.02 if first is None else 0.1)
        finally:
            poll.close()
        threads_after = thread_cpu(proc.pid)
        cpu = {k: (server_cpu(p) - others_before[k]) / rows * 1e6 for k, p in others.items()}
        names = python_thread_names(proc.pid)
    finally:
        proc.terminate()
        proc.wait(60)
        log.close()
        keep = os.environ.get("BENCH_KEEP")  # a directory: the worker log is copied there
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            (Path(keep) / f"worker-{kind}-{work.name}.log").write_bytes(Path(log.name).read_bytes())
    threads = per_thread(threads_before, threads_after, names, rows)
    worker_cpu = sum(s - threads_before.get(t, (c, 0.0))[1] for t, (c, s) in threads_after.items())
    server.execute(f"DROP TABLE {table}", dbname=TARGET_DB)
    return {"rate": rows / (done - started), "startup": first - started, "steady": rows / max(done - first, 1e-9),
            "worker_cpu": worker_cpu / rows * 1e6, "cores": worker_cpu / (done - started), "threads": threads, **cpu}


# -- dlt ---------------------------------------------------------------------------------------------------

def dlt_python() -> Path:
    """The private venv's Python with dlt (created and installed on first use, never the shared env)."""
    python = DLT_VENV / "bin" / "python"
    probe = [str(python), "-c", "import dlt, pyarrow, pymysql, sqlalchemy, psycopg2"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"creating {DLT_VENV} and installing {' '.join(DLT_PACKAGES)} …", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(DLT_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *DLT_PACKAGES], check=True)
    subprocess.run(probe, check=True)
    return python


def run_dlt(kind: str, server, rows: int, expected: tuple, dataset: str, work: Path, one_core: bool) -> dict:
    if kind == "postgresql":  # psycopg2: installed with dlt[postgres] (SQLAlchemy 2.1 defaults to psycopg 3)
        source = server.sqlalchemy_url(SOURCE_DB).replace("+psycopg", "+psycopg2")
        destination, destination_url = "postgres", server.sqlalchemy_url(TARGET_DB).replace("+psycopg", "")
        table = f"{dataset}.bench_rows"  # dlt's dataset is a schema of the target database
    else:
        source = server.sqlalchemy_url(SOURCE_DB)
        destination, destination_url = "sqlalchemy", server.sqlalchemy_url(TARGET_DB)
        table = f"{dataset}.bench_rows"  # MySQL: dlt's dataset is a database
    spec = {"source": source, "destination": destination, "destination_url": destination_url, "dataset": dataset,
            "pipelines_dir": str(work / "dlt-pipelines")}
    pin = ["taskset", "-c", "0"] if one_core else []
    env = {**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false", "DLT_DATA_DIR": str(work / "dlt-data")}
    env.pop("PYTHONPATH", None)
    if kind == "mariadb":
        # dlt reflects MariaDB's DOUBLE as a decimal whose precision it infers per 50k-row chunk, and with
        # its default (no arrow type promotion) the second chunk fails with IncompatibleArrowSchema. Its
        # error message names this setting; "default" is its lossless choice (the checksum verifies).
        env["DATA_WRITER__ARROW_CONCAT_PROMOTE_OPTIONS"] = "default"
    python = dlt_python()  # before the clock: its probe imports dlt
    db_before, children_before = server_cpu(server.pid), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    out = subprocess.run([*pin, str(python), str(BENCH / "dlt_replication.py"), json.dumps(spec)],
                         capture_output=True, text=True, env=env, timeout=7200)
    if out.returncode != 0:
        raise SystemExit(f"[{kind}] dlt failed:\n{out.stderr[-3000:]}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    got = checksum(server, None if kind == "mariadb" else TARGET_DB, table)
    if not same_checksum(got, expected):
        raise SystemExit(f"[{kind}] dlt's target differs: {got} != {expected}")
    dlt_cpu = children.ru_utime + children.ru_stime - children_before.ru_utime - children_before.ru_stime
    server.execute(f"DROP TABLE {table}", dbname=None if kind == "mariadb" else TARGET_DB)
    return {"rate": rows / (result["loaded"] - started), "startup": result["imported"] - started,
            "cpu": dlt_cpu / rows * 1e6, "database": (server_cpu(server.pid) - db_before) / rows * 1e6,
            "version": result["dlt_version"]}


# -- the run -------------------------------------------------------------------------------------------------

def bench(kind: str, server, broker, registry_url: str, args: argparse.Namespace, work: Path) -> list[dict]:
    rows = args.rows
    t0 = time.monotonic()
    make_table(kind, server, SOURCE_DB, rows)
    server.create_database(TARGET_DB)
    expected = checksum(server, SOURCE_DB, "bench_rows")
    print(f"[{kind}] generated {rows:,} rows in {time.monotonic() - t0:.1f} s", flush=True)
    results = []
    for one_core in [False, True] if args.one_core else [False]:
        label = "one core" if one_core else "all cores"
        tag = f"{kind[:2]}{int(time.time())}{'c' if one_core else ''}"
        load = os.getloadavg()[0]
        r = run_dbconnect(kind, server, broker, registry_url, rows, expected, f"repl{tag}_", work / tag, one_core,
                          args.tansu_join, args.source_first, worker_extra(args))
        print(f"[{kind}] {label:9} dbconnect {r['rate']:>8,.0f} rows/s from the REST call (start-up {r['startup']:.1f} s)"
              f" | steady {r['steady']:>8,.0f} rows/s | verified {rows:,} rows, checksums equal | load before "
              f"{load:.2f}", flush=True)
        threads = ", ".join(f"{k} {v:.1f}" for k, v in list(r["threads"].items())[:6])
        print(f"[{kind}] {label:9} CPU per row: worker {r['worker_cpu']:.1f} µs ({r['cores']:.2f} cores; {threads}), "
              f"database {r['database']:.1f} µs, broker {r['broker']:.1f} µs", flush=True)
        d = None
        if not args.skip_dlt:
            load = os.getloadavg()[0]
            d = run_dlt(kind, server, rows, expected, f"dlt{tag}", work / tag, one_core)
            ratio = r["rate"] / d["rate"]
            verdict = "goal met" if ratio >= 2.5 else "must met, goal not" if ratio >= 1.5 else "must NOT met"
            if kind == "mariadb":
                print(f"[{kind}] {label:9} dlt: data_writer.arrow_concat_promote_options=default (without it dlt "
                      "fails on MariaDB's DOUBLE column: IncompatibleArrowSchema)", flush=True)
            print(f"[{kind}] {label:9} dlt {d['version']} {d['rate']:>8,.0f} rows/s from its start (imports "
                  f"{d['startup']:.1f} s) | verified | CPU per row: dlt {d['cpu']:.1f} µs, database "
                  f"{d['database']:.1f} µs | load before {load:.2f}", flush=True)
            print(f"[{kind}] {label:9} dbconnect / dlt = {ratio:.2f} ({verdict}: must ≥ 1.5, goal ≥ 2.5)", flush=True)
        results.append({"kind": kind, "one_core": one_core, "dbconnect": r, "dlt": d})
    return results


def worker_extra(args: argparse.Namespace) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in args.worker)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--only", choices=["postgresql", "mariadb"])
    parser.add_argument("--skip-dlt", action="store_true", help="only the dbconnect pipeline")
    parser.add_argument("--one-core", action="store_true",
                        help="also run both with the worker (and dlt) pinned to CPU 0 (taskset -c 0)")
    parser.add_argument("--tansu-join", action="store_true",
                        help="keep the consumer's default session timeout (the test broker then holds the join 23 s)")
    parser.add_argument("--worker", action="append", default=[], metavar="KEY=VALUE",
                        help="an extra worker setting, e.g. task.isolation=process (repeatable)")
    parser.add_argument("--source-first", action="store_true",
                        help="experiment, not a tutorial's order: POST the source, wait for its topic, then the sink")
    args = parser.parse_args()
    if not args.skip_dlt:
        dlt_python()
    kinds = [args.only] if args.only else ["postgresql", "mariadb"]
    with EmbeddedBroker() as broker, EmbeddedRegistry() as registry, \
            tempfile.TemporaryDirectory(prefix="dbconnect-bench-repl-") as tmp:
        props = worker_props(broker.bootstrap_servers, registry.url, 0, Path(tmp), args.tansu_join, worker_extra(args))
        print(f"worker keys: {describe_keys(props)}", flush=True)
        if not args.tansu_join:
            print("  (consumer.session.timeout.ms=6000: Tansu holds a group's first join for half the session "
                  "timeout — 23 s at the default 45 s, Apache Kafka 3 s; --tansu-join leaves it out)", flush=True)
        print(f"source keys: {describe_keys(source_config(_Described(), 'PREFIX_'))}", flush=True)
        print(f"sink keys: {describe_keys(sink_config(_Described(), 'PREFIX_bench_rows'))}", flush=True)
        if args.source_first:
            print("EXPERIMENT --source-first: the source is POSTed first and the sink only once its topic exists "
                  "(the clock still starts at the first POST)", flush=True)
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}", flush=True)
        for kind in kinds:
            cls = EmbeddedPostgres if kind == "postgresql" else EmbeddedMariaDB
            with cls() as server:
                bench(kind, server, broker, registry.url, args, Path(tmp))
        print(f"machine: load average {os.getloadavg()[0]:.2f} at the end", flush=True)


if __name__ == "__main__":
    main()
