"""JdbcSourceConnector table → topic throughput, next to the same-run limits.

Usage: python bench/jdbc_source.py [--rows 1000000] [--db postgresql,mariadb] [--rss-rows 100000,2000000]

For each database, in one run on embedded servers (PostgreSQL, MariaDB, Tansu):
1. a 10-column table (bigint, int, varchar, varchar, numeric(12,2), double, boolean, timestamp,
   date, text) of --rows rows is generated in the database;
2. the read limit: PostgreSQL ``COPY (SELECT * FROM bench_rows) TO STDOUT`` (MariaDB: a raw
   PyMySQL SSCursor read with fetchmany(10000)) — rows/s;
3. the pipeline: a standalone worker (JsonConverter, schemas.enable=true) runs the JDBC source
   in incrementing mode (batch.max.rows=10000); timed from connector creation until the
   committed offset (GET /connectors/{n}/offsets) reaches the last id — only delivered
   records count;
4. the produce limit: the pipeline's own output (exact key and value bytes) is consumed and
   re-produced with a raw confluent-kafka producer (idempotent, acks=all, as the worker's);
5. peak RSS of a worker process reading --rss-rows rows (a child process each).
Prints rows/s and the ratio to min(read limit, produce limit).
"""

from __future__ import annotations

import argparse
import json
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


def worker_props(bootstrap: str, work: Path) -> dict[str, str]:
    return {
        "bootstrap.servers": bootstrap,
        **CONVERTER_PROPS,
        "offset.storage.file.filename": str(work / "connect.offsets"),
        "offset.flush.interval.ms": "500",
        "listeners": "http://127.0.0.1:0",
    }


def connector_config(server, dbname: str, topic_prefix: str) -> dict[str, str]:
    return {"connector.class": "JdbcSourceConnector", "connection.url": server.jdbc_url(dbname),
            "connection.user": server.user, "connection.password": server.password, "mode": "incrementing",
            "incrementing.column.name": "id", "topic.prefix": topic_prefix, "batch.max.rows": "10000",
            "poll.interval.ms": "1000", "tasks.max": "1"}


def run_pipeline(bootstrap: str, server, dbname: str, topic_prefix: str, rows: int, work: Path) -> float:
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
        rate = run_pipeline(server["bootstrap"], Attached(), server["dbname"], server["prefix"], server["rows"], Path(tmp))
    stop.set()
    print(json.dumps({"peak_rss_mib": round(peak[0], 1), "rows_per_s": round(rate)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default="postgresql,mariadb")
    parser.add_argument("--rss-rows", default="100000,2000000")
    parser.add_argument("--only-rss", action="store_true", help="skip the throughput part")
    parser.add_argument("--converter", choices=("jsonschema", "json"), default="jsonschema",
                        help="JsonSchemaConverter against an embedded registry (default), or JsonConverter with schemas")
    parser.add_argument("--rss-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args)
        return
    with EmbeddedBroker() as broker, EmbeddedRegistry() as registry, tempfile.TemporaryDirectory() as tmp:
        CONVERTER_PROPS.update(converter_props(args.converter, registry.url))
        print(f"converter: {args.converter}", flush=True)
        for kind in args.db.split(","):
            cls = EmbeddedPostgres if kind == "postgresql" else EmbeddedMariaDB
            extra = {"settings": {"shared_buffers": "512MB"}} if kind == "postgresql" else {}
            with cls(**extra) as server:
                bench(kind, server, broker, args, Path(tmp))


def bench(kind: str, server, broker, args: argparse.Namespace, work: Path) -> None:
    rows = args.rows
    if args.only_rss:
        return rss(kind, server, broker, args)
    t0 = time.perf_counter()
    make_table(kind, server, "bench", rows)
    print(f"[{kind}] generated {rows:,} rows in {time.perf_counter() - t0:.1f}s", flush=True)
    read = read_limit(kind, server, "bench", rows)
    prefix = f"bench-{kind}-{int(time.time())}-"
    broker.create_topic(prefix + "bench_rows", partitions=1)
    rate = run_pipeline(broker.bootstrap_servers, server, "bench", prefix, rows, work / kind)
    output = fetch_output(broker.bootstrap_servers, prefix + "bench_rows", rows)
    value_bytes = sum(len(v) for _, v in output) / rows
    broker.create_topic(prefix + "raw", partitions=1)
    produce = produce_limit(broker.bootstrap_servers, prefix + "raw", output)
    del output
    limit = min(read, produce)
    print(f"[{kind}] pipeline {rate:,.0f} rows/s | read limit {read:,.0f} rows/s | produce limit {produce:,.0f} "
          f"msgs/s ({value_bytes:.0f} B/value) | ratio {rate / limit:.2f}x of min(read, produce)", flush=True)
    rss(kind, server, broker, args)


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
