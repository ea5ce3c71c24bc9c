"""JdbcSourceConnector table → topic throughput, tuned and with defaults, next to the same-run limits.

Usage: python bench/jdbc_source.py [--rows 1000000] [--db postgresql,mariadb] [--defaults | --tuned]
                                   [--rss-rows 100000,2000000] [--converter jsonschema|json]

For each database, in one run on embedded servers with their default settings (PostgreSQL,
MariaDB, Tansu) and the embedded schema registry:
1. a 10-column table (bigint, int, varchar, varchar, numeric(12,2), double, boolean, timestamp,
   date, text) of --rows rows is generated in the database;
2. the read limit: PostgreSQL ``COPY (SELECT * FROM bench_rows) TO STDOUT`` (MariaDB: a raw
   PyMySQL SSCursor read with fetchmany(10000)) — rows/s;
3. the pipeline, three times (``--tuned`` runs the first, ``--defaults`` the other two), each on
   a fresh standalone worker and connector:
   - tuned: the worker flushes offsets every 500 ms, the connector reads incrementing mode with
     batch.max.rows=10000 and poll.interval.ms=1000 into a pre-created 1-partition topic;
   - defaults: the config a tutorial would POST — connector.class, connection.*, mode,
     incrementing.column.name, topic.prefix, table.whitelist, nothing else — on a worker with
     only bootstrap.servers, the converters, offset.storage.file.filename and listeners
     (so batch.max.rows=100, poll.interval.ms=5000, offset.flush.interval.ms=60000, default
     producer settings), into a topic the broker auto-creates (Tansu gives it 4 partitions);
   - defaults-1p: the same, into a topic created with 1 partition — what Apache Kafka's default
     num.partitions=1 would auto-create (and what the tuned run uses);
   keys and values go through the --converter (JsonSchemaConverter and the embedded registry by
   default). The clock starts at the REST call that creates the connector and stops when a
   consumer in a child process (assign(), counting records) has received the last row, so
   start-up is included; the steady-state rate (first to last record received) is printed too;
4. the produce limit: the pipeline's output (exact key and value bytes) is consumed and
   re-produced with a raw confluent-kafka producer (idempotent, acks=all, as the worker's);
5. peak RSS of a worker process reading --rss-rows rows with the tuned config (a child process
   each; the clock there is the committed offset).
Prints rows/s, the ratio to min(read limit, produce limit), and defaults / tuned.

``--ab N`` (the metrics overhead, issue 16): instead of the above, N pairs of runs of the tuned
config (``--defaults``: the defaults-1p config) on the same servers and table, alternating the
worker with its real metric recorders (A) and with no-op ones (B, bench/noop_metrics.py: not a
user setting), the order swapped every pair; prints each run's rate from the REST call, steady
rate and the worker's CPU per row (the worker process, its fork server and task processes), then
the median and spread of each, B / A, and the read limit of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import threading
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

from dbconnect.embedded import EmbeddedBroker, EmbeddedMariaDB, EmbeddedPostgres, EmbeddedRegistry  # noqa: E402
from dbconnect.runtime.connect import StandaloneConnect  # noqa: E402

PG_DDL = """CREATE TABLE IF NOT EXISTS bench_rows (id bigint PRIMARY KEY, account_id int NOT NULL,
    name varchar(40) NOT NULL, email varchar(60) NOT NULL, amount numeric(12,2) NOT NULL, score double precision,
    active boolean NOT NULL, created_at timestamp NOT NULL, birth date, note text)"""
PG_FILL = """INSERT INTO bench_rows SELECT g, (g %% 10007)::int, left(md5(g::text), (10 + g %% 20)::int),
    'user' || g || '@example.com', (g %% 100000) / 100.0, g * 0.5, g %% 2 = 0,
    timestamp '2024-01-01' + g * interval '1 second', date '1970-01-01' + (g %% 20000)::int,
    repeat(md5((g * 7)::text), 2 + (g %% 2)::int) FROM generate_series(%s::bigint, %s::bigint) g"""
MARIA_DDL = """CREATE TABLE IF NOT EXISTS bench_rows (id BIGINT PRIMARY KEY, account_id INT NOT NULL,
    name VARCHAR(40) NOT NULL, email VARCHAR(60) NOT NULL, amount DECIMAL(12,2) NOT NULL, score DOUBLE,
    active TINYINT(1) NOT NULL, created_at DATETIME(6) NOT NULL, birth DATE, note TEXT)"""
MARIA_FILL = """INSERT INTO bench_rows SELECT seq, seq %% 10007, LEFT(MD5(seq), 10 + seq %% 20),
    CONCAT('user', seq, '@example.com'), (seq %% 100000) / 100.0, seq * 0.5, seq %% 2 = 0,
    TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND, DATE '1970-01-01' + INTERVAL (seq %% 20000) DAY,
    REPEAT(MD5(seq * 7), 2 + seq %% 2) FROM seq_%s_to_%s"""


def make_table(kind: str, server, dbname: str, rows: int) -> None:
    server.create_database(dbname)
    server.execute(PG_DDL if kind == "postgresql" else MARIA_DDL, dbname=dbname)
    have = server.execute("SELECT count(*) FROM bench_rows", dbname=dbname)[0][0]
    step = 500_000
    for start in range(have + 1, rows + 1, step):
        end = min(start + step - 1, rows)
        if kind == "postgresql":
            server.execute(PG_FILL, (start, end), dbname=dbname)
        else:
            server.execute(MARIA_FILL % (start, end), dbname=dbname)
    if kind == "postgresql":
        server.execute("VACUUM ANALYZE bench_rows", dbname=dbname)


def read_limit(kind: str, server, dbname: str, rows: int) -> float:
    start = time.perf_counter()
    if kind == "postgresql":
        with server.connect(dbname) as conn, conn.cursor() as cur:
            total = 0
            with cur.copy("COPY (SELECT * FROM bench_rows) TO STDOUT") as copy:
                for data in copy:
                    total += len(data)
    else:
        import pymysql.cursors
        conn = server.connect(dbname)
        cur = conn.cursor(pymysql.cursors.SSCursor)
        cur.execute("SELECT * FROM bench_rows")
        while cur.fetchmany(10000):
            pass
        conn.close()
    return rows / (time.perf_counter() - start)


# Set by main(): the value/key converter settings for the worker (--converter).
CONVERTER_PROPS: dict[str, str] = {}


def converter_props(kind: str, registry_url: str | None) -> dict[str, str]:
    if kind == "json":
        return {"key.converter": "org.apache.kafka.connect.json.JsonConverter",
                "value.converter": "org.apache.kafka.connect.json.JsonConverter"}
    return {"key.converter": "io.confluent.connect.json.JsonSchemaConverter",
            "value.converter": "io.confluent.connect.json.JsonSchemaConverter",
            "key.converter.schema.registry.url": registry_url or "",
            "value.converter.schema.registry.url": registry_url or ""}


def worker_props(bootstrap: str, work: Path, defaults: bool = False) -> dict[str, str]:
    props = {
        "bootstrap.servers": bootstrap,
        **CONVERTER_PROPS,
        "offset.storage.file.filename": str(work / "connect.offsets"),
        "listeners": "http://127.0.0.1:0",
    }
    if not defaults:
        props["offset.flush.interval.ms"] = "500"
    return props


def connector_config(server, dbname: str, topic_prefix: str, defaults: bool = False) -> dict[str, str]:
    config = {"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
              "connection.url": server.jdbc_url(dbname), "connection.user": server.user,
              "connection.password": server.password, "mode": "incrementing", "incrementing.column.name": "id",
              "topic.prefix": topic_prefix, "table.whitelist": "bench_rows"}
    if not defaults:
        config.update({"batch.max.rows": "10000", "poll.interval.ms": "1000", "tasks.max": "1"})
    return config


def run_until_committed(bootstrap: str, server, dbname: str, topic_prefix: str, rows: int, work: Path) -> float:
    """Tuned pipeline timed until the committed offset reaches the last id (the RSS children)."""
    import requests

    connect = StandaloneConnect(worker_props(bootstrap, work))
    connect.start()
    try:
        start = time.perf_counter()
        response = requests.put(f"{connect.url}/connectors/bench/config",
                                json=connector_config(server, dbname, topic_prefix), timeout=60)
        assert response.status_code == 201, response.text
        while True:
            offsets = requests.get(f"{connect.url}/connectors/bench/offsets", timeout=30).json()["offsets"]
            if offsets and offsets[0]["offset"].get("incrementing") == rows:
                break
            if time.perf_counter() - start > 3600:
                raise RuntimeError(f"pipeline stalled: {offsets}")
            time.sleep(0.1)
        return rows / (time.perf_counter() - start)
    finally:
        connect.stop()


def count_child(args: argparse.Namespace) -> None:
    """Child process: count the records of a topic (which may not exist yet) from the beginning;
    print when the first and the last expected one arrived (time.monotonic, system-wide)."""
    spec = json.loads(args.count_child)
    topic, rows = spec["topic"], spec["rows"]
    consumer = Consumer({"bootstrap.servers": spec["bootstrap"], "group.id": "bench-count",
                         "enable.auto.commit": False, "queued.min.messages": 1_000_000, "fetch.wait.max.ms": 10,
                         "auto.offset.reset": "earliest"})
    print("ready", flush=True)
    deadline = time.monotonic() + 3600
    while True:  # a tutorial's topic is auto-created by the worker's first produce
        metadata = consumer.list_topics(timeout=10).topics.get(topic)
        if metadata is not None and metadata.error is None and metadata.partitions:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"topic {topic} never appeared")
        time.sleep(0.02)
    # Offset 0, not OFFSET_BEGINNING: resolving BEGINNING costs a fresh client ~500 ms (librdkafka's
    # offset-query timer), which would count as the pipeline's start-up.
    consumer.assign([TopicPartition(topic, p, 0) for p in metadata.partitions])
    count, first = 0, None
    while count < rows and time.monotonic() < deadline:
        for msg in consumer.consume(10000, timeout=0.2):
            if not msg.error():
                count += 1
                if first is None:
                    first = time.monotonic()
    last = time.monotonic()
    consumer.close()
    print(json.dumps({"first": first, "last": last, "count": count, "partitions": len(metadata.partitions)}),
          flush=True)


def thread_cpu() -> dict[str, tuple[str, float]]:
    """CPU seconds (user + system) of each thread of this process: {tid: (name, seconds)} (Linux /proc)."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    python_names = {t.native_id: t.name for t in threading.enumerate()}  # the OS only knows "python"
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text()
            name = python_names.get(int(task.name)) or (task / "comm").read_text().strip()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        out[task.name] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return out


def cpu_per_row(before: dict[str, tuple[str, float]], after: dict[str, tuple[str, float]], rows: int) -> dict[str, float]:
    """µs of CPU per row in the window, per thread kind (librdkafka threads together) and in total."""
    kinds: dict[str, float] = {}
    for tid, (name, seconds) in after.items():
        kind = "librdkafka" if name.startswith("rdk:") else "task" if name.startswith("task-thread") else \
            name.rstrip("_0123456789-")
        kinds[kind] = kinds.get(kind, 0.0) + seconds - before.get(tid, (name, 0.0))[1]
    out = {k: v / rows * 1e6 for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]) if v > 0}
    out["total"] = sum(out.values())
    return out


def tree_cpu(pid: int | None) -> dict[int, float]:
    """CPU seconds of a server process and its children (PostgreSQL backends), per pid."""
    import psutil

    if pid is None:
        return {}
    out = {}
    try:
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            try:
                times = process.cpu_times()
                out[process.pid] = times.user + times.system
            except psutil.Error:
                pass
    except psutil.Error:
        pass
    return out


def server_cpu_per_row(before: dict[int, float], after: dict[int, float], rows: int) -> float:
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items()) / rows * 1e6


def run_pipeline(bootstrap: str, server, dbname: str, topic_prefix: str, rows: int, work: Path,
                 defaults: bool, broker=None, figures: bool = False) -> dict[str, float]:
    """One pipeline run timed from the REST call until a consumer has received the last row."""
    import requests

    work.mkdir(parents=True, exist_ok=True)
    counter = subprocess.Popen(
        [sys.executable, __file__, "--count-child",
         json.dumps({"bootstrap": bootstrap, "topic": topic_prefix + "bench_rows", "rows": rows})],
        stdout=subprocess.PIPE, text=True)
    try:
        assert counter.stdout.readline().strip() == "ready"
        connect = StandaloneConnect(worker_props(bootstrap, work, defaults))
        connect.start()
        try:
            cpu_before = thread_cpu()
            servers_before = [tree_cpu(getattr(server, "pid", None)), tree_cpu(getattr(broker, "pid", None))]
            start = time.monotonic()
            response = requests.post(f"{connect.url}/connectors", timeout=60, json={
                "name": "bench", "config": connector_config(server, dbname, topic_prefix, defaults)})
            assert response.status_code == 201, response.text
            out, _ = counter.communicate(timeout=3600)
            cpu = cpu_per_row(cpu_before, thread_cpu(), rows)
            cpu["database"] = server_cpu_per_row(servers_before[0], tree_cpu(getattr(server, "pid", None)), rows)
            cpu["broker"] = server_cpu_per_row(servers_before[1], tree_cpu(getattr(broker, "pid", None)), rows)
            # --ab's extra run: the task's own counts (its poll() batches), from GET /metrics.
            task_figures = source_task_figures(connect.url, rows) if figures else None
        finally:
            connect.stop()
    finally:
        if counter.poll() is None:
            counter.kill()
    result = json.loads(out.strip().splitlines()[-1])
    assert result["count"] >= rows, f"received {result['count']} of {rows} rows"
    return {"rate": rows / (result["last"] - start), "steady": rows / (result["last"] - result["first"]),
            "startup": result["first"] - start, "partitions": result["partitions"], "cpu": cpu,
            "figures": task_figures}


def source_task_figures(url: str, rows: int) -> dict[str, float]:
    """The bench task's figures once its snapshot counts every row (task processes report once a second)."""
    import requests
    from prometheus_client.parser import text_string_to_metric_families

    deadline = time.monotonic() + 30
    while True:
        text = requests.get(f"{url}/metrics", timeout=10).text
        samples = {s.name: s.value for family in text_string_to_metric_families(text) for s in family.samples
                   if s.labels.get("connector") == "bench" and s.labels.get("task") == "0"}
        if samples.get("kafka_connect_source_task_metrics_source_record_poll_total", 0) >= rows \
                or time.monotonic() > deadline:
            return samples
        time.sleep(0.2)


def fetch_output(bootstrap: str, topic: str, rows: int) -> list[tuple[bytes, bytes]]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-read", "enable.auto.commit": False,
                         "queued.min.messages": 1_000_000})
    count = len(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
    consumer.assign([TopicPartition(topic, p, 0) for p in range(count)])
    out: list[tuple[bytes, bytes]] = []
    deadline = time.monotonic() + 600
    while len(out) < rows and time.monotonic() < deadline:
        for msg in consumer.consume(10000, timeout=1.0):
            if not msg.error():
                out.append((msg.key(), msg.value()))
    consumer.close()
    assert len(out) == rows, f"read back {len(out)} of {rows}"
    return out


def produce_limit(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> float:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 10, "acks": "all", "enable.idempotence": True})
    producer.list_topics(topic, timeout=10)
    start = time.perf_counter()
    for i, (key, value) in enumerate(messages):
        while True:
            try:
                producer.produce(topic, value, key)
                break
            except BufferError:
                producer.poll(0.01)
        if i % 5000 == 0:
            producer.poll(0)
    assert producer.flush(300) == 0
    return len(messages) / (time.perf_counter() - start)


def rss_child(args: argparse.Namespace) -> None:
    """Child process: run the pipeline over an existing table, print peak RSS (MiB)."""
    server = json.loads(args.rss_child)
    kind = server.pop("kind")
    CONVERTER_PROPS.update(server.pop("converter_props"))
    cls = EmbeddedPostgres if kind == "postgresql" else EmbeddedMariaDB

    class Attached:  # the parent's server, by address
        user, password, host, port = server["user"], server["password"], server["host"], server["port"]
        jdbc_url = cls.jdbc_url

    # Sampled, not ru_maxrss: Linux keeps ru_maxrss across fork+exec, so a child would report
    # the parent's peak (the benchmark parent holds a million messages).
    import psutil

    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        process = psutil.Process()
        while not stop.is_set():
            peak[0] = max(peak[0], process.memory_info().rss / 2**20)
            stop.wait(0.05)

    threading.Thread(target=sample, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        rate = run_until_committed(server["bootstrap"], Attached(), server["dbname"], server["prefix"], server["rows"],
                                   Path(tmp))
    stop.set()
    print(json.dumps({"peak_rss_mib": round(peak[0], 1), "rows_per_s": round(rate)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default="postgresql,mariadb")
    parser.add_argument("--rss-rows", default="100000,2000000")
    parser.add_argument("--only-rss", action="store_true", help="skip the throughput part")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--defaults", action="store_true",
                       help="only the runs with a tutorial's connector config and the worker's defaults")
    which.add_argument("--tuned", action="store_true", help="only the run with batch.max.rows=10000 (no defaults run)")
    parser.add_argument("--converter", choices=("jsonschema", "json"), default="jsonschema",
                        help="JsonSchemaConverter against an embedded registry (default), or JsonConverter with schemas")
    parser.add_argument("--ab", type=int, default=0, metavar="N",
                        help="N alternated pairs: real metric recorders (A) vs no-op ones (B); see above")
    parser.add_argument("--ab-control", action="store_true",
                        help="with --ab: B runs keep the real recorders too (an A/A run: the method's own noise)")
    parser.add_argument("--rss-child", help=argparse.SUPPRESS)
    parser.add_argument("--count-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args)
        return
    if args.count_child:
        count_child(args)
        return
    if args.ab:
        import noop_metrics  # bench/: on sys.path as the script's directory

        noop_metrics.install(Path(tempfile.gettempdir()) / f"dbconnect-noop-metrics-{os.getpid()}")
    with EmbeddedBroker() as broker, EmbeddedRegistry() as registry, tempfile.TemporaryDirectory() as tmp:
        CONVERTER_PROPS.update(converter_props(args.converter, registry.url))
        print(f"converter: {args.converter}", flush=True)
        for kind in args.db.split(","):
            cls = EmbeddedPostgres if kind == "postgresql" else EmbeddedMariaDB
            with cls() as server:  # the servers' default settings
                bench(kind, server, broker, args, Path(tmp))


# The defaults runs: the same tutorial configs into a topic the broker auto-creates (Tansu: 4
# partitions) and into one created with 1 partition — what Apache Kafka's num.partitions=1
# default auto-creates.
DEFAULT_RUNS = ["defaults", "defaults-1p"]


def bench(kind: str, server, broker, args: argparse.Namespace, work: Path) -> None:
    rows = args.rows
    if args.ab:
        return ab(kind, server, broker, args, work)
    if args.only_rss:
        return rss(kind, server, broker, args)
    t0 = time.perf_counter()
    make_table(kind, server, "bench", rows)
    print(f"[{kind}] generated {rows:,} rows in {time.perf_counter() - t0:.1f}s", flush=True)
    read = read_limit(kind, server, "bench", rows)
    runs = DEFAULT_RUNS if args.defaults else ["tuned"] if args.tuned else ["tuned", *DEFAULT_RUNS]
    results, first_topic = {}, None
    for run in runs:
        prefix = f"bench-{kind}-{run}-{int(time.time())}-"
        if run != "defaults":  # "defaults": the broker auto-creates the topic at the first record
            broker.create_topic(prefix + "bench_rows", partitions=1)
        results[run] = run_pipeline(broker.bootstrap_servers, server, "bench", prefix, rows, work / f"{kind}-{run}",
                                    defaults=run != "tuned", broker=broker)
        first_topic = first_topic or prefix + "bench_rows"
    output = fetch_output(broker.bootstrap_servers, first_topic, rows)
    value_bytes = sum(len(v) for _, v in output) / rows
    raw_topic = f"bench-{kind}-{int(time.time())}-raw"
    broker.create_topic(raw_topic, partitions=1)
    produce = produce_limit(broker.bootstrap_servers, raw_topic, output)
    del output
    limit = min(read, produce)
    print(f"[{kind}] read limit {read:,.0f} rows/s | produce limit {produce:,.0f} msgs/s ({value_bytes:.0f} B/value)",
          flush=True)
    for run, r in results.items():
        print(f"[{kind}] {run:11} {r['rate']:>9,.0f} rows/s from the REST call (start-up {r['startup']:.1f} s, "
              f"{r['partitions']} partition(s)) | steady {r['steady']:>9,.0f} rows/s | "
              f"ratio {r['rate'] / limit:.2f}x of min(read, produce) (steady {r['steady'] / limit:.2f}x)", flush=True)
        worker = {k: v for k, v in r["cpu"].items() if k not in ("total", "database", "broker")}
        top = ", ".join(f"{k} {v:.1f}" for k, v in list(worker.items())[:3])
        print(f"[{kind}] {run:11} CPU per row: worker {r['cpu']['total']:.1f} µs ({top}), database "
              f"{r['cpu']['database']:.1f} µs, broker {r['cpu']['broker']:.1f} µs", flush=True)
    for run in DEFAULT_RUNS:
        if run in results and "tuned" in results:
            print(f"[{kind}] {run} / tuned: {results[run]['rate'] / results['tuned']['rate']:.2f} "
                  f"(steady {results[run]['steady'] / results['tuned']['steady']:.2f})", flush=True)
    rss(kind, server, broker, args)


def worker_tree_cpu() -> float:
    """CPU seconds of this process (the worker runs in it) and of its fork server's tree (the task
    processes): not the embedded servers nor the counting child."""
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children():
        try:
            if "forkserver" not in " ".join(child.cmdline()):
                continue
            for process in [child, *child.children(recursive=True)]:
                times = process.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            pass
    return total


def ab(kind: str, server, broker, args: argparse.Namespace, work: Path) -> None:
    """Alternated A (metrics) / B (no-op recorders) runs; see the module's docstring."""
    import statistics

    import noop_metrics

    rows, switch = args.rows, Path(os.environ[noop_metrics.SWITCH_ENV])
    make_table(kind, server, "bench", rows)
    read = read_limit(kind, server, "bench", rows)
    config = "defaults-1p" if args.defaults else "tuned"
    print(f"[{kind}] A/B {config}{' CONTROL (B = A)' if args.ab_control else ''}: {args.ab} pairs of {rows:,} rows; read limit {read:,.0f} rows/s", flush=True)
    results: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
    # A warm-up run, not counted: the first run also starts the fork server (imports, preload).
    prefix = f"bench-{kind}-abwarm-{int(time.time())}-"
    broker.create_topic(prefix + "bench_rows", partitions=1)
    run_pipeline(broker.bootstrap_servers, server, "bench", prefix, rows, work / "ab-warm", defaults=args.defaults,
                 broker=broker)
    for pair in range(args.ab):
        for variant in ("AB" if pair % 2 == 0 else "BA"):
            if variant == "B" and not args.ab_control:
                switch.touch()
            else:
                switch.unlink(missing_ok=True)
            prefix = f"bench-{kind}-ab{pair}{variant}-{int(time.time())}-"
            broker.create_topic(prefix + "bench_rows", partitions=1)
            before, noop_tasks = worker_tree_cpu(), noop_metrics.used(switch)
            r = run_pipeline(broker.bootstrap_servers, server, "bench", prefix, rows, work / f"ab-{pair}{variant}",
                             defaults=args.defaults, broker=broker)
            r["worker_us"] = (worker_tree_cpu() - before) / rows * 1e6
            assert noop_metrics.used(switch) - noop_tasks == (variant == "B" and not args.ab_control), "the no-op recorders were (not) used"
            results[variant].append(r)
            print(f"[{kind}] pair {pair} {variant}: {r['rate']:>9,.0f} rows/s from the REST call | steady "
                  f"{r['steady']:>9,.0f} rows/s | worker CPU {r['worker_us']:.2f} µs/row (whole run, task "
                  f"processes included)", flush=True)
    switch.unlink(missing_ok=True)
    # One more A run, not in the statistics: the task's own count of its poll() batches.
    prefix = f"bench-{kind}-abfigures-{int(time.time())}-"
    broker.create_topic(prefix + "bench_rows", partitions=1)
    counted = run_pipeline(broker.bootstrap_servers, server, "bench", prefix, rows, work / "ab-figures",
                           defaults=args.defaults, broker=broker, figures=True)["figures"]
    size = counted.get("kafka_connect_connector_task_metrics_batch_size_avg") or 0
    print(f"[{kind}] the task's figures (an extra A run): {counted.get('kafka_connect_source_task_metrics_source_record_poll_total', 0):,.0f} "
          f"rows polled in {rows / size if size else float('nan'):,.0f} poll() batches (batch-size-avg {size:,.1f}, "
          f"max {counted.get('kafka_connect_connector_task_metrics_batch_size_max', 0):,.0f}); "
          f"poll-batch-avg-time-ms {counted.get('kafka_connect_source_task_metrics_poll_batch_avg_time_ms', 0):.3f}",
          flush=True)
    medians = {}
    for variant, label in (("A", "A metrics"), ("B", "B no-op  ")):
        line = []
        for key, unit in (("rate", "rows/s from REST"), ("steady", "rows/s steady"), ("worker_us", "µs/row worker CPU")):
            values = [r[key] for r in results[variant]]
            medians[(variant, key)] = statistics.median(values)
            line.append(f"{unit} median {statistics.median(values):,.2f} (min {min(values):,.2f}, max {max(values):,.2f})")
        print(f"[{kind}] {label}: " + "; ".join(line), flush=True)
    print(f"[{kind}] A / B: rate {medians[('A', 'rate')] / medians[('B', 'rate')]:.3f}, steady "
          f"{medians[('A', 'steady')] / medians[('B', 'steady')]:.3f}, worker CPU per row "
          f"{medians[('A', 'worker_us')] / medians[('B', 'worker_us')]:.3f} "
          f"(+{medians[('A', 'worker_us')] - medians[('B', 'worker_us')]:.3f} µs/row); read limit {read:,.0f} rows/s",
          flush=True)


def rss(kind: str, server, broker, args: argparse.Namespace) -> None:
    for n in [int(x) for x in args.rss_rows.split(",") if x]:
        dbname = f"rss{n}"
        make_table(kind, server, dbname, n)
        topic_prefix = f"rss-{kind}-{n}-{int(time.time())}-"
        broker.create_topic(topic_prefix + "bench_rows", partitions=1)
        child = json.dumps({"kind": kind, "user": server.user, "password": server.password, "host": server.host,
                            "port": server.port, "dbname": dbname, "prefix": topic_prefix, "rows": n,
                            "bootstrap": broker.bootstrap_servers, "converter_props": CONVERTER_PROPS})
        out = subprocess.run([sys.executable, __file__, "--rss-child", child], capture_output=True, text=True,
                             timeout=7200)
        result = json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else {"error": out.stderr[-500:]}
        print(f"[{kind}] worker peak RSS for {n:,} rows: {result}", flush=True)


if __name__ == "__main__":
    main()
