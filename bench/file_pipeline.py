"""FileStreamSource → topic → FileStreamSink throughput, next to the raw Kafka limit.

Usage: python bench/file_pipeline.py [--lines 1000000] [--converter string|json]

In one run, on one embedded Tansu broker:
1. the limit: confluent-kafka produces the exact value bytes the pipeline will carry
   (batched, poll(0)), then consumes them with assign() — msgs/s each;
2. the pipeline: a standalone worker runs FileStreamSource and FileStreamSink; after a
   warm-up line has gone through (so the sink's consumer group has joined), the lines are
   appended to the source file and timed until the last one is in the sink file.
It prints lines/s and the ratio to min(produce, consume), the rate a single process could
move the same bytes through the broker with no Connect work at all.
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

from dbconnect.embedded import EmbeddedBroker  # noqa: E402
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


def count_lines(path: Path) -> int:
    try:
        with path.open("rb") as fh:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


def wait_lines(path: Path, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while count_lines(path) < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"sink has {count_lines(path)}/{n} lines after {timeout}s")
        time.sleep(0.05)


def pipeline(bootstrap: str, topic: str, lines: list[bytes], work: Path, converter: str) -> float:
    source, sink = work / "source.txt", work / "sink.txt"
    source.write_bytes(b"warm-up\n")
    converter_class = {"string": "org.apache.kafka.connect.storage.StringConverter",
                       "json": "org.apache.kafka.connect.json.JsonConverter"}[converter]
    connect = StandaloneConnect({
        "bootstrap.servers": bootstrap,
        "key.converter": converter_class, "value.converter": converter_class,
        "key.converter.schemas.enable": "false", "value.converter.schemas.enable": "false",
        "offset.storage.file.filename": str(work / "connect.offsets"),
        "offset.flush.interval.ms": "10000",
        "listeners": "http://127.0.0.1:0",
        "consumer.session.timeout.ms": "6000",
        "consumer.max.poll.records": "10000",
    })
    connect.start()
    try:
        connect.add_connector("bench-sink", {"connector.class": "FileStreamSink", "file": str(sink), "topics": topic})
        connect.add_connector("bench-source", {"connector.class": "FileStreamSource", "file": str(source),
                                               "topic": topic, "batch.size": "10000"})
        wait_lines(sink, 1, 60)
        start = time.perf_counter()
        with source.open("ab") as fh:
            fh.write(b"\n".join(lines) + b"\n")
        wait_lines(sink, len(lines) + 1, 600)
        elapsed = time.perf_counter() - start
    finally:
        connect.stop()
    return len(lines) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--converter", choices=("string", "json"), default="string")
    args = parser.parse_args()
    lines = make_lines(args.lines)
    avg = sum(map(len, lines)) / len(lines)
    with tempfile.TemporaryDirectory(prefix="bench-file-") as tmp, EmbeddedBroker() as broker:
        bootstrap = broker.bootstrap_servers
        for name in ("bench-raw", "bench-pipeline"):
            broker.create_topic(name, partitions=1)
        produce_rate = raw_produce(bootstrap, "bench-raw", lines)
        consume_rate = raw_consume(bootstrap, "bench-raw", len(lines))
        rate = pipeline(bootstrap, "bench-pipeline", lines, Path(tmp), args.converter)
    limit = min(produce_rate, consume_rate)
    # One process moving every record in and out pays for both halves on one GIL.
    serial_limit = 1 / (1 / produce_rate + 1 / consume_rate)
    print(f"lines: {len(lines):,} (avg {avg:.1f} B), converter: {args.converter}, cpus: {os.cpu_count()}")
    print(f"raw produce (same bytes)         : {produce_rate:>10,.0f} msgs/s")
    print(f"raw consume (same bytes)         : {consume_rate:>10,.0f} msgs/s")
    print(f"raw produce+consume, one process : {serial_limit:>10,.0f} msgs/s")
    print(f"file → topic → file pipeline     : {rate:>10,.0f} lines/s")
    print(f"ratio to min(produce, consume)   : {rate / limit:.2f}")
    print(f"ratio to produce+consume         : {rate / serial_limit:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
