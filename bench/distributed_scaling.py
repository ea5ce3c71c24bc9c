"""Distributed mode: one 4-table JDBC source workload on 1, 2 and 3 worker processes, and the kill -9
failover time (issue 14, "Performance").

Usage: python bench/distributed_scaling.py [--rows 100000] [--workers 1,2,3] [--defaults | --tuned]
                                           [--failovers 5] [--failover-workers 3] [--skip-failover]
                                           [--skip-scaling] [--no-standalone] [--worker KEY=VALUE]
                                           [--keep-logs DIR] [--debug-logger NAME]

In one run, on embedded servers with their default settings (PostgreSQL, Tansu, the registry):
1. four tables ``bench_t0`` … ``bench_t3`` of --rows rows each (10 columns: bigint, int, two varchar,
   numeric, double, boolean, timestamp, date, text) are generated in PostgreSQL;
2. the same-run limits: the read limit (the four tables read with ``COPY … TO STDOUT`` by four
   processes at once: rows/s the database can hand out on this machine) and the cores this process
   may use;
3. for each worker count N (--workers): N ``dbconnect distributed`` processes (no worker file: the
   CONNECT_* variables of compose/docker-compose.yml, the broker's and registry's addresses and a
   group and internal topics of the run's own), one JDBC source (``tasks.max=4``: one task per table,
   incrementing mode) created through the first worker; the clock starts at that REST call and stops
   when a consumer in a child process has received every row of the four topics. Printed: the
   steady rate (first to last record received: what the workers sustain), the rate from the REST
   call (start-up included: the group's rebalance and the task processes' start), the steady
   speed-up against N=1, how the tasks were spread (distinct worker_ids), and the CPU of each
   worker (its process and its task processes), of PostgreSQL and of the broker, in cores (CPU
   seconds / seconds, over the steady state). The bound next to the speed-up is the machine's:
   cores / cores busy at N=1 (nothing can scale past the cores);
   ``--no-standalone`` skips the same workload on one ``dbconnect standalone`` process, printed as
   the reference for what distribution costs;
4. failover (--failovers times, median printed; scheduled.rebalance.max.delay.ms=0, since Kafka's
   default holds a departed worker's work for 5 minutes): --failover-workers workers run the source; the worker
   running the most tasks is killed with SIGKILL; the time from the kill until every task is RUNNING
   on a live worker (read from a surviving worker's status endpoint) is printed next to the issue's
   bound, ``session.timeout.ms`` + 10 s; a new worker takes the dead one's place (same URL) and the
   next round starts once the tasks are spread again and the group has settled (every worker's
   connect-worker-rebalance-metrics, read at GET /metrics: not rebalancing, one epoch), so that a
   kill never lands in the middle of the restarted worker's join rounds.

Settings: ``--defaults`` runs only what a tutorial sets (the compose file's worker variables; the
connector's connection.*, mode, incrementing.column.name, table.whitelist, topic.prefix and
tasks.max); ``--tuned`` only the run with batch.max.rows=10000, poll.interval.ms=1000 and
offset.flush.interval.ms=1000; neither: both. --worker KEY=VALUE adds a worker setting (for
experiments; not in reported figures). Run it under ``flock /tmp/dbconnect-bench.lock``.

Diagnosis: ``--keep-logs DIR`` writes every worker's log (``worker-<tag>-<port>.log``, one file per
URL: a restarted worker appends to its predecessor's) under DIR and keeps it, with the failover
rounds' kill times (wall clock, UTC) printed, so a slow round can be lined up against the logs;
``--debug-logger NAME`` (repeatable, e.g. ``dbconnect.runtime.distributed``, ``kafka.coordinator``)
sets that logger to DEBUG on every worker through ``PUT /admin/loggers/NAME``, as with Kafka Connect.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil  # noqa: E402
import requests  # noqa: E402
import yaml  # noqa: E402

from dbconnect.embedded import EmbeddedBroker, EmbeddedPostgres, EmbeddedRegistry  # noqa: E402
from dbconnect.embedded.ports import free_port  # noqa: E402
from dbconnect.runtime.properties import properties_from_env  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TABLES = [f"bench_t{i}" for i in range(4)]
DB = "bench_scaling"
DDL = """CREATE TABLE IF NOT EXISTS {t} (id bigint PRIMARY KEY, account_id int NOT NULL,
    name varchar(40) NOT NULL, email varchar(60) NOT NULL, amount numeric(12,2) NOT NULL, score double precision,
    active boolean NOT NULL, created_at timestamp NOT NULL, birth date, note text)"""
FILL = """INSERT INTO {t} SELECT g, (g %% 10007)::int, left(md5(g::text), (10 + g %% 20)::int),
    'user' || g || '@example.com', (g %% 100000) / 100.0, g * 0.5, g %% 2 = 0,
    timestamp '2024-01-01' + g * interval '1 second', date '1970-01-01' + (g %% 20000)::int,
    repeat(md5((g * 7)::text), 2 + (g %% 2)::int) FROM generate_series(%s::bigint, %s::bigint) g"""
SESSION_TIMEOUT_DEFAULT_MS = 10_000  # Kafka Connect's session.timeout.ms default


# -- the workload -------------------------------------------------------------------------------------


def make_tables(server: EmbeddedPostgres, rows: int) -> None:
    server.create_database(DB)
    for table in TABLES:
        server.execute(DDL.format(t=table), dbname=DB)
        have = server.execute(f"SELECT count(*) FROM {table}", dbname=DB)[0][0]
        for start in range(have + 1, rows + 1, 500_000):
            server.execute(FILL.format(t=table), (start, min(start + 499_999, rows)), dbname=DB)
        server.execute(f"VACUUM ANALYZE {table}", dbname=DB)


def _copy_out(args: tuple[str, str]) -> int:
    import psycopg

    dsn, table = args
    total = 0
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY (SELECT * FROM {table}) TO STDOUT") as copy:
            for data in copy:
                total += len(data)
    return total


def _warm_up(_: int) -> None:
    import psycopg  # noqa: F401


def read_limit(server: EmbeddedPostgres, rows: int) -> float:
    """The four tables read at once by four processes: rows/s."""
    with multiprocessing.get_context("spawn").Pool(len(TABLES)) as pool:
        pool.map(_warm_up, range(len(TABLES)))  # the processes started and psycopg imported: not timed
        start = time.perf_counter()
        pool.map(_copy_out, [(server.dsn(DB), t) for t in TABLES])
        return rows * len(TABLES) / (time.perf_counter() - start)


def usable_cores() -> int:
    return len(os.sched_getaffinity(0))


def connector_config(server: EmbeddedPostgres, prefix: str, tuned: bool) -> dict[str, str]:
    config = {"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
              "connection.url": server.jdbc_url(DB), "connection.user": server.user,
              "connection.password": server.password, "mode": "incrementing", "incrementing.column.name": "id",
              "table.whitelist": ",".join(TABLES), "topic.prefix": prefix, "tasks.max": "4"}
    if tuned:
        config.update({"batch.max.rows": "10000", "poll.interval.ms": "1000"})
    return config


# -- worker processes ---------------------------------------------------------------------------------


def compose_worker_env() -> dict[str, str]:
    """connect-1's CONNECT_* variables in compose/docker-compose.yml (seed 000's)."""
    stack = yaml.safe_load((ROOT / "compose" / "docker-compose.yml").read_text())
    env = stack["services"]["connect-1"]["environment"]
    return {k: str(v) for k, v in env.items()}


def dbconnect_command() -> list[str]:
    script = Path(sys.executable).with_name("dbconnect")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dbconnect.cli"]


class Cluster:
    """N `dbconnect distributed` processes sharing a group and internal topics of their own."""

    def __init__(self, broker: EmbeddedBroker, registry: EmbeddedRegistry, work: Path, tuned: bool,
                 extra: dict[str, str], logs: Path | None = None, debug_loggers: tuple[str, ...] = ()) -> None:
        self.work, self.tag = work, uuid.uuid4().hex[:8]
        self.logs = logs or work
        self.debug_loggers = debug_loggers
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECT_")}
        compose = compose_worker_env()
        env.update(compose)
        env["CONNECT_BOOTSTRAP_SERVERS"] = broker.bootstrap_servers
        env["CONNECT_VALUE_CONVERTER_SCHEMA_REGISTRY_URL"] = registry.url
        # The records as the compose stack's connectors write them: JSON Schema keys and values.
        env["CONNECT_KEY_CONVERTER"] = env["CONNECT_VALUE_CONVERTER"] = "io.confluent.connect.json.JsonSchemaConverter"
        env["CONNECT_KEY_CONVERTER_SCHEMA_REGISTRY_URL"] = registry.url
        for name in ("CONNECT_GROUP_ID", "CONNECT_CONFIG_STORAGE_TOPIC", "CONNECT_OFFSET_STORAGE_TOPIC",
                     "CONNECT_STATUS_STORAGE_TOPIC"):
            env[name] = f"{compose[name]}-{self.tag}"
        env["CONNECT_REST_ADVERTISED_HOST_NAME"] = "127.0.0.1"
        if tuned:
            env["CONNECT_OFFSET_FLUSH_INTERVAL_MS"] = "1000"
        for key, value in extra.items():
            env["CONNECT_" + key.upper().replace("_", "__").replace("-", "___").replace(".", "_")] = value
        self.env = env
        self.session_timeout_ms = int(properties_from_env(env).get("session.timeout.ms", SESSION_TIMEOUT_DEFAULT_MS))
        self.workers: dict[int, subprocess.Popen] = {}  # port → process

    def start_worker(self, port: int | None = None) -> int:
        port = port or free_port()
        env = {**self.env, "CONNECT_LISTENERS": f"http://127.0.0.1:{port}"}
        log = (self.logs / f"worker-{self.tag}-{port}.log").open("ab")
        self.workers[port] = subprocess.Popen([*dbconnect_command(), "distributed"], env=env, cwd=self.work,
                                              stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return port

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        for port, process in self.workers.items():
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"worker {port} exited ({process.returncode}); log in {self.logs}")
                try:
                    if requests.get(f"http://127.0.0.1:{port}/connectors", timeout=5).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"worker {port} did not answer within {timeout}s; log in {self.logs}")
                time.sleep(0.2)
            for logger in self.debug_loggers:
                requests.put(f"http://127.0.0.1:{port}/admin/loggers/{logger}", json={"level": "DEBUG"}, timeout=10)

    def url(self, port: int | None = None) -> str:
        return f"http://127.0.0.1:{port or next(iter(self.workers))}"

    def kill(self, port: int) -> None:
        process = self.workers.pop(port)
        process.send_signal(signal.SIGKILL)
        process.wait()
        # Its task processes notice their parent's death themselves; count them out here too.
        for child in [c for c in psutil.process_iter(["ppid"]) if c.info["ppid"] == process.pid]:
            child.kill()

    def stop(self) -> None:
        for process in self.workers.values():
            process.terminate()
        for process in self.workers.values():
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.workers.clear()


def put_connector(url: str, name: str, config: dict[str, str], timeout: float = 120.0) -> None:
    """PUT as the compose stack's register script does: again on 409 (rebalance) and 5xx."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = requests.put(f"{url}/connectors/{name}/config", json=config, timeout=30)
            if response.status_code in (200, 201):
                return
            if response.status_code != 409 and response.status_code < 500:
                raise RuntimeError(f"PUT {name}: {response.status_code} {response.text}")
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"PUT {name}: no success within {timeout}s")
        time.sleep(0.5)


def task_owners(url: str, name: str) -> list[tuple[str, str]] | None:
    """[(state, worker_id)] of the connector's tasks, or None when the status cannot be read."""
    try:
        response = requests.get(f"{url}/connectors/{name}/status", timeout=10)
    except requests.RequestException:
        return None
    if response.status_code != 200:
        return None
    return [(t["state"], t["worker_id"]) for t in response.json()["tasks"]]


# -- measuring ------------------------------------------------------------------------------------------


def count_child(bootstrap: str, topics: list[str], rows: int, out: Any) -> None:
    """Child process: count every record of ``topics`` (auto-created by the first produce) from
    offset 0; send when the first and the last expected one arrived (time.monotonic)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-count", "enable.auto.commit": False,
                         "queued.min.messages": 1_000_000, "fetch.wait.max.ms": 10})
    out.send("ready")
    deadline = time.monotonic() + 3600
    assigned: set[str] = set()
    partitions: list[Any] = []
    count, first = 0, None
    while count < rows and time.monotonic() < deadline:
        if len(assigned) < len(topics):
            metadata = consumer.list_topics(timeout=10).topics
            for topic in topics:
                meta = metadata.get(topic)
                if topic not in assigned and meta is not None and meta.error is None and meta.partitions:
                    partitions += [TopicPartition(topic, p, 0) for p in meta.partitions]
                    assigned.add(topic)
            if partitions:
                consumer.assign(partitions)
            else:
                time.sleep(0.02)
                continue
        for msg in consumer.consume(10000, timeout=0.2):
            if not msg.error():
                count += 1
                if first is None:
                    first = time.monotonic()
                    out.send({"first": first})  # the parent takes its steady-state CPU snapshot now
    out.send({"first": first, "last": time.monotonic(), "count": count})
    consumer.close()


def tree_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) of a process and its live descendants."""
    if pid is None:
        return 0.0
    total = 0.0
    try:
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            try:
                times = process.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
            except psutil.Error:
                pass
    except psutil.Error:
        pass
    return total


def timed_run(url: str, pids: dict[str, int | None], broker: EmbeddedBroker, config: dict[str, str],
              rows: int) -> dict[str, Any]:
    """Create the source through ``url``; wait until every row has been received. Returns the wall
    time, the steady rate and the CPU seconds of each process tree in ``pids``."""
    topics = [config["topic.prefix"] + t for t in TABLES]
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(target=count_child,
                                                       args=(broker.bootstrap_servers, topics, rows, theirs))
    child.start()
    assert ours.recv() == "ready"
    start = time.monotonic()
    name = "bench-source-" + uuid.uuid4().hex[:6]
    put_connector(url, name, config)

    def receive() -> dict[str, Any]:
        while not ours.poll(1.0):
            if not child.is_alive():
                raise RuntimeError("the counting consumer died")
        return ours.recv()

    receive()  # the first record: start-up is over, the steady state begins
    before = {n: tree_cpu(pid) for n, pid in pids.items()}
    result = receive()
    after = {n: tree_cpu(pid) for n, pid in pids.items()}
    child.join()
    if result["count"] < rows:
        raise RuntimeError(f"only {result['count']} of {rows} records arrived")
    wall, steady = result["last"] - start, max(result["last"] - result["first"], 1e-9)
    owners = task_owners(url, name) or []
    return {"name": name, "wall": wall, "rate": rows / wall, "steady": rows / steady,
            "startup": result["first"] - start,
            "cpu": {n: (after[n] - before[n]) / steady for n in pids},
            "spread": len({w for _s, w in owners}), "tasks": len(owners)}


# -- the runs -------------------------------------------------------------------------------------------


def scaling(args: argparse.Namespace, pg: EmbeddedPostgres, broker: EmbeddedBroker, registry: EmbeddedRegistry,
            work: Path, tuned: bool, limit: float, cores: int) -> None:
    total = args.rows * len(TABLES)
    label = "tuned" if tuned else "defaults"
    print(f"\n== scaling, {label}: {len(TABLES)} tables × {args.rows:,} rows = {total:,} rows; "
          f"read limit {limit:,.0f} rows/s; {cores} usable cores")
    results: dict[Any, dict[str, Any]] = {}
    if args.standalone:
        results["standalone"] = standalone_run(args, pg, broker, registry, work, tuned)
        report("standalone", results["standalone"], limit, None, None)
    base_busy = None
    for n in args.workers:
        cluster = Cluster(broker, registry, work, tuned, args.worker)
        try:
            ports = [cluster.start_worker() for _ in range(n)]
            cluster.wait_ready()
            pids = {f"worker {i + 1}": cluster.workers[p].pid for i, p in enumerate(ports)}
            pids.update({"postgresql": getattr(pg, "pid", None), "broker": getattr(broker, "pid", None)})
            prefix = f"scale-{cluster.tag}-"
            result = timed_run(cluster.url(), pids, broker, connector_config(pg, prefix, tuned), total)
        finally:
            cluster.stop()
        results[n] = result
        if 1 in results and base_busy is None:
            base_busy = sum(results[1]["cpu"].values())
        speedup = result["steady"] / results[1]["steady"] if 1 in results else None
        bound = min(n, cores / base_busy) if base_busy else None
        report(f"{n} worker(s)", result, limit, speedup, bound)


def report(label: str, r: dict[str, Any], limit: float, speedup: float | None, bound: float | None) -> None:
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in r["cpu"].items())
    line = (f"{label:>12}: steady {r['steady']:>9,.0f} rows/s ({r['steady'] / limit:.0%} of the read limit); "
            f"from the REST call {r['rate']:,.0f} rows/s ({r['wall']:.1f} s, first record after "
            f"{r['startup']:.1f} s); tasks {r['tasks']} on {r['spread']} worker(s)")
    if speedup is not None:
        line += f"; steady ×{speedup:.2f} vs 1 worker" + (f" (core bound ×{bound:.2f})" if bound else "")
    print(line)
    print(f"{'':>14}CPU in cores (steady state): {cpu}, total {sum(r['cpu'].values()):.2f}")


def standalone_run(args: argparse.Namespace, pg: EmbeddedPostgres, broker: EmbeddedBroker,
                   registry: EmbeddedRegistry, work: Path, tuned: bool) -> dict[str, Any]:
    """The same workload on one `dbconnect standalone` process: what distribution costs."""
    tag = uuid.uuid4().hex[:8]
    port = free_port()
    props = {"bootstrap.servers": broker.bootstrap_servers, "listeners": f"http://127.0.0.1:{port}",
             "key.converter": "io.confluent.connect.json.JsonSchemaConverter",
             "value.converter": "io.confluent.connect.json.JsonSchemaConverter",
             "key.converter.schema.registry.url": registry.url, "value.converter.schema.registry.url": registry.url,
             "offset.storage.file.filename": str(work / f"standalone-{tag}.offsets"), **args.worker}
    if tuned:
        props["offset.flush.interval.ms"] = "1000"
    path = work / f"standalone-{tag}.properties"
    path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECT_")}
    with (work / f"standalone-{tag}.log").open("ab") as log:
        process = subprocess.Popen([*dbconnect_command(), "standalone", str(path)], env=env, cwd=work,
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/connectors", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the standalone worker did not start; log in {work}")
            time.sleep(0.2)
        pids = {"worker": process.pid, "postgresql": getattr(pg, "pid", None), "broker": getattr(broker, "pid", None)}
        return timed_run(url, pids, broker, connector_config(pg, f"standalone-{tag}-", tuned),
                         args.rows * len(TABLES))
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_spread(cluster: Cluster, name: str, live: set[str], want_spread: int, timeout: float) -> float | None:
    """Seconds until every task is RUNNING on a live worker and spread over ``want_spread`` workers
    (read from the first live worker), or None at the timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        for port in list(cluster.workers):
            owners = task_owners(cluster.url(port), name)
            if owners and len(owners) == len(TABLES) and all(
                    s == "RUNNING" and w in live for s, w in owners) and len({w for _s, w in owners}) >= want_spread:
                return time.monotonic() - start
            break
        time.sleep(0.1)
    return None


REBALANCE_METRIC = "kafka_connect_connect_worker_rebalance_metrics_"


def rebalance_state(url: str) -> tuple[float, float] | None:
    """(rebalancing, epoch) of a worker's connect-worker-rebalance-metrics, or None when unreadable."""
    try:
        response = requests.get(f"{url}/metrics", timeout=10)
    except requests.RequestException:
        return None
    if response.status_code != 200:
        return None
    values = {}
    for line in response.text.splitlines():
        if line.startswith(REBALANCE_METRIC):
            name, _, value = line.partition(" ")
            values[name[len(REBALANCE_METRIC):]] = float(value)
    if "rebalancing" not in values or "epoch" not in values:
        return None
    return values["rebalancing"], values["epoch"]


def wait_settled(cluster: Cluster, timeout: float) -> bool:
    """Until every worker has acted on the same generation and none is rebalancing (its JoinGroup
    sent, a revoking round's follow-up pending): a kill then hits a settled group, not one whose
    previous round (the restarted worker's join) is still under way."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [rebalance_state(cluster.url(port)) for port in list(cluster.workers)]
        if all(s is not None and s[0] == 0 for s in states) and len({s[1] for s in states}) == 1:
            return True
        time.sleep(0.2)
    return False


def failover(args: argparse.Namespace, pg: EmbeddedPostgres, broker: EmbeddedBroker, registry: EmbeddedRegistry,
             work: Path, tuned: bool) -> None:
    n = args.failover_workers
    # Kafka's default scheduled.rebalance.max.delay.ms (300000) holds a departed worker's work for
    # five minutes in case it comes back; a deployment that wants failover sets it lower. The
    # issue's bound (session.timeout.ms + 10 s) is about the detection and the rebalance, so the
    # delay is 0 here unless --worker sets it.
    extra = {"scheduled.rebalance.max.delay.ms": "0", **args.worker}
    logs = None
    if args.keep_logs:
        logs = Path(args.keep_logs) / ("tuned" if tuned else "defaults")
        logs.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(broker, registry, work, tuned, extra, logs, tuple(args.debug_logger))
    bound = cluster.session_timeout_ms / 1000 + 10
    print(f"\n== failover, {'tuned' if tuned else 'defaults'}: {n} workers, kill -9 of the worker running the "
          f"most tasks, {args.failovers} times; scheduled.rebalance.max.delay.ms="
          f"{extra['scheduled.rebalance.max.delay.ms']}; bound session.timeout.ms + 10 s = {bound:.0f} s")
    times: list[float] = []
    try:
        for _ in range(n):
            cluster.start_worker()
        cluster.wait_ready()
        name = "bench-failover"
        put_connector(cluster.url(), name, connector_config(pg, f"failover-{cluster.tag}-", tuned))
        live = {f"127.0.0.1:{p}" for p in cluster.workers}
        if wait_spread(cluster, name, live, min(n, len(TABLES)), 180) is None:
            print("  the tasks were not spread over the workers within 180 s; measuring anyway")
        if not wait_settled(cluster, 120):
            print("  the group did not settle within 120 s; measuring anyway")
        for round_ in range(1, args.failovers + 1):
            owners = task_owners(cluster.url(), name) or []
            counts = {w: sum(1 for _s, o in owners if o == w) for w in live}
            victim = max(counts, key=lambda w: counts[w])
            port = int(victim.rsplit(":", 1)[1])
            killed_at = datetime.now(timezone.utc).strftime("%H:%M:%S.%f")[:-3]
            cluster.kill(port)
            killed = time.monotonic()
            live.discard(victim)
            moved = wait_spread(cluster, name, live, 1, bound + 120)
            if moved is None:
                print(f"  round {round_}: tasks of {victim} ({counts[victim]}) not RUNNING elsewhere within "
                      f"{bound + 120:.0f} s")
            else:
                elapsed = time.monotonic() - killed
                times.append(elapsed)
                print(f"  round {round_}: killed {victim} ({counts[victim]} task(s)) at {killed_at} UTC; all tasks "
                      f"RUNNING on live workers after {elapsed:.1f} s")
            cluster.start_worker(port)  # the same URL back, as a restarted container
            cluster.wait_ready()
            live.add(victim)
            if wait_spread(cluster, name, live, min(n, len(TABLES)), 180) is None:
                print("  (the tasks were not spread again within 180 s)")
            if not wait_settled(cluster, 120):
                print("  (the group did not settle again within 120 s)")
    finally:
        cluster.stop()
    if times:
        print(f"  failover median {statistics.median(times):.1f} s (min {min(times):.1f}, max {max(times):.1f}) "
              f"over {len(times)} round(s); bound {bound:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows per table (4 tables; default 100000)")
    parser.add_argument("--workers", default="1,2,3", help="worker counts to run (default 1,2,3)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--defaults", action="store_true", help="only the run with a tutorial's settings")
    which.add_argument("--tuned", action="store_true", help="only the run with batch.max.rows=10000")
    parser.add_argument("--failovers", type=int, default=5, help="kill -9 rounds (default 5; the median is printed)")
    parser.add_argument("--failover-workers", type=int, default=3, help="workers in the failover runs (default 3)")
    parser.add_argument("--skip-failover", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--no-standalone", dest="standalone", action="store_false",
                        help="skip the reference run on one standalone worker")
    parser.add_argument("--worker", action="append", default=[], metavar="KEY=VALUE",
                        help="an extra worker setting (experiments only)")
    parser.add_argument("--keep-logs", metavar="DIR", help="keep the failover runs' worker logs under DIR")
    parser.add_argument("--debug-logger", action="append", default=[], metavar="NAME",
                        help="set this logger to DEBUG on every failover worker (PUT /admin/loggers/NAME)")
    args = parser.parse_args()
    args.workers = [int(n) for n in args.workers.split(",") if n]
    args.worker = dict(item.split("=", 1) for item in args.worker)
    modes = [False] if args.defaults else [True] if args.tuned else [False, True]
    cores = usable_cores()
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as tmp, EmbeddedBroker() as broker, \
            EmbeddedPostgres() as pg, EmbeddedRegistry() as registry:
        work = Path(tmp)
        make_tables(pg, args.rows)
        limit = read_limit(pg, args.rows)
        for tuned in modes:
            if not args.skip_scaling:
                scaling(args, pg, broker, registry, work, tuned, limit, cores)
            if not args.skip_failover:
                failover(args, pg, broker, registry, work, tuned)


if __name__ == "__main__":
    main()
