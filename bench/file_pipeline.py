"""FileStreamSource → topic → FileStreamSink throughput, tuned and with defaults, next to the raw Kafka limit.

Usage: python bench/file_pipeline.py [--lines 1000000] [--converter string|json] [--defaults | --tuned]
                                    [--worker KEY=VALUE] [--tansu-join]

In one run, on one embedded Tansu broker:
1. the limit: confluent-kafka produces the exact value bytes the pipeline will carry
   (batched, poll(0)), then consumes them with assign() — msgs/s each;
2. the pipeline, twice (``--tuned`` or ``--defaults`` runs one of them), each on a fresh
   standalone worker with the lines already in the source file:
   - tuned: source batch.size=10000, worker consumer.max.poll.records=10000,
     consumer.session.timeout.ms=6000 (a faster group join on Tansu), offset.flush.interval.ms=10000,
     a pre-created 1-partition topic;
   - defaults: the tutorial configs — FileStreamSource {file, topic}, FileStreamSink {file, topics},
     a worker with only bootstrap.servers, the converters, offset.storage.file.filename and
     listeners (so batch.size=2000, max.poll.records=500), and a topic the broker auto-creates —
     plus, unless --tansu-join, consumer.session.timeout.ms=6000 and heartbeat.interval.ms=1000:
     the test broker holds a new group's first join for half the session timeout (23 s at the
     default 45 s), where Apache Kafka waits group.initial.rebalance.delay.ms (3 s); at 6 s Tansu
     takes 3 s too, so start-up is what a user on Apache Kafka sees;
   the connectors are created over REST in the tutorials' order, the sink first (its topic does not
   exist yet; it waits for it) and then the source, and the clock runs from the first REST call
   until the last line is in the sink file — start-up and the sink's group join included; then the same lines are appended again and timed until they are in the sink file:
   the steady-state rate (both tasks running, the group joined), with the worker's CPU per line.
It prints lines/s and the ratios to min(produce, consume), the rate a single process could move
the same bytes through the broker with no Connect work at all, and defaults / tuned.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dbconnect.embedded import EmbeddedBroker  # noqa: E402
from jdbc_sink import TANSU_JOIN, _tree_cpu  # noqa: E402  (CPU of this process and its task processes)
from jdbc_source import cpu_per_row, thread_cpu  # noqa: E402  (CPU per thread of this process)
from dbconnect.runtime.connect import StandaloneConnect  # noqa: E402


def make_lines(n: int) -> list[bytes]:
    # ~60-byte lines with varying content, like log lines.
    return [b"%09d,user-%05d,event=%s,value=%d" % (i, i % 99991, (b"click", b"view", b"buy")[i % 3], i * 7) for i in range(n)]


def raw_produce(bootstrap: str, topic: str, values: list[bytes]) -> float:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 10, "acks": "all", "enable.idempotence": True})
    producer.list_topics(topic, timeout=10)
    start = time.perf_counter()
    for i, value in enumerate(values):
        while True:
            try:
                producer.produce(topic, value)
                break
            except BufferError:
                producer.poll(0.01)
        if i % 5000 == 0:
            producer.poll(0)
    remaining = producer.flush(120)
    elapsed = time.perf_counter() - start
    assert remaining == 0, f"{remaining} messages not delivered"
    return len(values) / elapsed


def raw_consume(bootstrap: str, topic: str, n: int) -> float:
    # The best raw settings we found (the worker's sink consumers use the same prefetch).
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-raw", "enable.auto.commit": False,
                         "queued.min.messages": 1_000_000})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got = 0
    start = time.perf_counter()
    while got < n:
        for msg in consumer.consume(10000, timeout=1.0):
            if not msg.error():
                got += 1
        if time.perf_counter() - start > 300:
            raise RuntimeError(f"raw consume stalled at {got}/{n}")
    elapsed = time.perf_counter() - start
    consumer.close()
    return n / elapsed


class LineCounter:
    """Counts the lines of a growing file, reading only what was appended since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._fh = None

    def update(self) -> int:
        if self._fh is None:
            try:
                self._fh = self.path.open("rb")
            except FileNotFoundError:
                return 0
        while chunk := self._fh.read(1 << 20):
            self.count += chunk.count(b"\n")
        return self.count

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def worker_props(bootstrap: str, work: Path, converter: str, defaults: bool,
                 extra: dict[str, str] | None = None, tansu_join: bool = False) -> dict[str, str]:
    converter_class = {"string": "org.apache.kafka.connect.storage.StringConverter",
                       "json": "org.apache.kafka.connect.json.JsonConverter"}[converter]
    props = {
        "bootstrap.servers": bootstrap,
        "key.converter": converter_class, "value.converter": converter_class,
        "offset.storage.file.filename": str(work / "connect.offsets"),
        "listeners": "http://127.0.0.1:0",
    }
    if converter == "json":
        props.update({"key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false"})
    if not defaults:
        props.update({"offset.flush.interval.ms": "10000", "consumer.session.timeout.ms": "6000",
                      "consumer.max.poll.records": "10000"})
    elif not tansu_join:
        props.update(TANSU_JOIN)  # Apache Kafka's 3 s first join, not Tansu's 23 s (see the docstring)
    return {**props, **(extra or {})}  # --worker KEY=VALUE (e.g. task.isolation=process)


def pipeline(bootstrap: str, topic: str, lines: list[bytes], work: Path, converter: str,
             defaults: bool, extra: dict[str, str] | None = None, tansu_join: bool = False) -> dict[str, float]:
    """One run: timed from the first REST call until the last line is in the sink file, then steady state."""
    import requests

    work.mkdir(parents=True, exist_ok=True)
    source, sink = work / "source.txt", work / "sink.txt"
    source.write_bytes(b"\n".join(lines) + b"\n")
    sink_config = {"connector.class": "FileStreamSink", "file": str(sink), "topics": topic}
    source_config = {"connector.class": "FileStreamSource", "file": str(source), "topic": topic}
    if not defaults:
        source_config["batch.size"] = "10000"
    connect = StandaloneConnect(worker_props(bootstrap, work, converter, defaults, extra, tansu_join))
    connect.start()
    counter = LineCounter(sink)
    try:
        start = time.monotonic()
        # The tutorials' order: the sink first (a defaults run's topic does not exist yet, and the
        # sink waits for it, as Kafka Connect's does), then the source.
        for name, config in (("bench-sink", sink_config), ("bench-source", source_config)):
            response = requests.post(f"{connect.url}/connectors", json={"name": name, "config": config}, timeout=60)
            assert response.status_code == 201, response.text
        first = None
        deadline = start + 900
        while counter.update() < len(lines):
            if first is None and counter.count:
                first = time.monotonic()
            if time.monotonic() > deadline:
                raise RuntimeError(f"sink has {counter.count}/{len(lines)} lines after 900 s")
            time.sleep(0.02)
        last = time.monotonic()
        # Steady state: the same lines appended again, with both tasks running and the group joined.
        cpu_before, tree_before = thread_cpu(), _tree_cpu(os.getpid())
        steady_start = time.monotonic()
        with source.open("ab") as fh:
            fh.write(b"\n".join(lines) + b"\n")
        while counter.update() < 2 * len(lines):
            if time.monotonic() > steady_start + 900:
                raise RuntimeError(f"sink has {counter.count}/{2 * len(lines)} lines after 900 s")
            time.sleep(0.02)
        steady_end = time.monotonic()
        cpu = cpu_per_row(cpu_before, thread_cpu(), len(lines))
        # With task.isolation=process the tasks run in child processes: count the whole tree.
        cpu["tree"] = (_tree_cpu(os.getpid()) - tree_before) / len(lines) * 1e6
    finally:
        counter.close()
        connect.stop()
    return {"rate": len(lines) / (last - start), "steady": len(lines) / (steady_end - steady_start),
            "startup": (first or last) - start, "cpu": cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--converter", choices=("string", "json"), default="string")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--defaults", action="store_true", help="only the run with the tutorial configs and worker defaults")
    which.add_argument("--tuned", action="store_true", help="only the tuned run")
    parser.add_argument("--worker", action="append", default=[], metavar="KEY=VALUE",
                        help="an extra worker setting for both runs, e.g. task.isolation=process (repeatable)")
    parser.add_argument("--tansu-join", action="store_true",
                        help="defaults run: keep the consumer's default session timeout (the test broker then holds "
                             "the group's first join 23 s)")
    args = parser.parse_args()
    extra = dict(kv.split("=", 1) for kv in args.worker)
    lines = make_lines(args.lines)
    avg = sum(map(len, lines)) / len(lines)
    runs = ["defaults"] if args.defaults else ["tuned"] if args.tuned else ["tuned", "defaults"]
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-file-") as tmp, EmbeddedBroker() as broker:
        bootstrap = broker.bootstrap_servers
        broker.create_topic("bench-raw", partitions=1)
        produce_rate = raw_produce(bootstrap, "bench-raw", lines)
        consume_rate = raw_consume(bootstrap, "bench-raw", len(lines))
        for run in runs:
            topic = f"bench-pipeline-{run}"
            if run == "tuned":
                broker.create_topic(topic, partitions=1)
            results[run] = pipeline(bootstrap, topic, lines, Path(tmp) / run, args.converter, run == "defaults", extra,
                                    args.tansu_join)
    limit = min(produce_rate, consume_rate)
    # One process moving every record in and out pays for both halves on one GIL.
    serial_limit = 1 / (1 / produce_rate + 1 / consume_rate)
    print(f"lines: {len(lines):,} (avg {avg:.1f} B), converter: {args.converter}, cpus: {os.cpu_count()}")
    print(f"raw produce (same bytes)         : {produce_rate:>10,.0f} msgs/s")
    print(f"raw consume (same bytes)         : {consume_rate:>10,.0f} msgs/s")
    print(f"raw produce+consume, one process : {serial_limit:>10,.0f} msgs/s")
    for run, r in results.items():
        print(f"{run:8} file → topic → file       : {r['rate']:>10,.0f} lines/s from the REST call "
              f"(start-up {r['startup']:.1f} s) | steady {r['steady']:,.0f} lines/s | worker CPU "
              f"{r['cpu']['total']:.1f} µs/line in this process, {r['cpu']['tree']:.1f} with its children"
              + (f" ({', '.join(f'{k}={v}' for k, v in extra.items())})" if extra else ""))
        print(f"{run:8} ratio to min(produce, consume): {r['rate'] / limit:.2f} (steady {r['steady'] / limit:.2f}) | "
              f"to produce+consume: {r['rate'] / serial_limit:.2f} (steady {r['steady'] / serial_limit:.2f})")
    if len(results) == 2:
        print(f"defaults / tuned: {results['defaults']['rate'] / results['tuned']['rate']:.2f} "
              f"(steady {results['defaults']['steady'] / results['tuned']['steady']:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
