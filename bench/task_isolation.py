"""Does any case want ``task.isolation=thread``? Throughput and memory, thread versus process.

Each run starts a real ``dbconnect standalone`` worker as a subprocess (optionally pinned to
the CPUs of ``--cpus`` with sched_setaffinity, inherited by its fork server and task processes;
the embedded Tansu broker runs in this process's tree, unpinned), so that the worker's whole
process tree — worker, fork server, task processes — can be measured from /proc:

1. **throughput**: ``--pairs`` FileStreamSource → topic → FileStreamSink pipelines (StringConverter,
   source batch.size=10000, consumer.max.poll.records=10000). Each pipeline first carries
   ``--lines`` lines (start-up, group join); then ``--lines`` more lines are appended to every
   source file and timed until they are in every sink file: the steady rate, in lines/s over
   all pipelines, and the CPU of the worker's process tree per line.
2. **memory**: ``--idle-pairs`` idle pipelines (no data): PSS of the worker's process tree summed
   (PSS splits shared pages between the processes sharing them, so the sum is what the tree
   costs), 8 s after the last task reached RUNNING.

    flock /tmp/dbconnect-bench.lock python bench/task_isolation.py [--cpus 0] [--lines 200000]
        [--pairs 1] [--idle-pairs 10] [--isolation thread process]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dbconnect.embedded import EmbeddedBroker, free_port  # noqa: E402
from jdbc_sink import _tree_cpu, _tree_pids  # noqa: E402  (/proc walks: pid and its descendants)
from task_process_memory import line_count, smaps  # noqa: E402

MIB = 1024 * 1024


def tree_memory(pid: int) -> tuple[int, int, int]:
    """(sum of PSS, sum of USS, number of processes) of ``pid`` and its descendants."""
    pss = uss = n = 0
    for p in _tree_pids(pid):
        try:
            fields = smaps(p)
        except OSError:
            continue
        pss += fields["Pss"]
        uss += fields["Private_Clean"] + fields["Private_Dirty"]
        n += 1
    return pss, uss, n


class Worker:
    def __init__(self, work: Path, bootstrap: str, isolation: str, cpus: set[int] | None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        props = {
            "bootstrap.servers": bootstrap,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "offset.storage.file.filename": str(work / "connect.offsets"),
            "offset.flush.interval.ms": "10000", "consumer.session.timeout.ms": "6000",
            "consumer.max.poll.records": "10000", "listeners": self.url, "task.isolation": isolation,
        }
        (work / "worker.properties").write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        self.log = (work / "worker.log").open("wb")
        preexec = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
        self.proc = subprocess.Popen([sys.executable, "-m", "dbconnect.cli", "standalone", str(work / "worker.properties")],
                                     cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=preexec,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(self.url + "/", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start: {(work / 'worker.log').read_text()[-2000:]}")
            time.sleep(0.1)

    def create(self, name: str, config: dict[str, str]) -> None:
        response = requests.put(f"{self.url}/connectors/{name}/config", json=config, timeout=60)
        assert response.status_code == 201, response.text

    def wait_running(self, names: list[str], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        for name in names:
            while True:
                status = requests.get(f"{self.url}/connectors/{name}/status", timeout=10).json()
                if [t["state"] for t in status.get("tasks", [])] == ["RUNNING"]:
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name} is not running: {json.dumps(status)[:1000]}")
                time.sleep(0.1)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def pipelines(worker: Worker, broker: EmbeddedBroker, work: Path, tag: str, pairs: int) -> list[tuple[Path, Path]]:
    files = []
    for i in range(pairs):
        topic = f"iso-{tag}-{i}"
        broker.create_topic(topic, partitions=1)
        source, sink = work / f"in-{i}.txt", work / f"out-{i}.txt"
        source.write_bytes(b"")
        worker.create(f"src-{i}", {"connector.class": "FileStreamSource", "file": str(source), "topic": topic,
                                   "batch.size": "10000"})
        worker.create(f"sink-{i}", {"connector.class": "FileStreamSink", "file": str(sink), "topics": topic})
        files.append((source, sink))
    worker.wait_running([f"{kind}-{i}" for i in range(pairs) for kind in ("src", "sink")])
    return files


def fill(files: list[tuple[Path, Path]], lines: bytes, expect: int, timeout: float = 600) -> float:
    start = time.monotonic()
    for source, _ in files:
        with source.open("ab") as fh:
            fh.write(lines)
    while any(line_count(sink) < expect for _, sink in files):
        if time.monotonic() - start > timeout:
            raise SystemExit(f"not all lines arrived within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - start


def throughput(broker, work: Path, isolation: str, cpus, pairs: int, n: int) -> dict[str, float]:
    work.mkdir()
    worker = Worker(work, broker.bootstrap_servers, isolation, cpus)
    try:
        files = pipelines(worker, broker, work, f"tp-{isolation}", pairs)
        lines = b"".join(b"%09d,user-%05d,event=%s,value=%d\n" % (i, i % 99991, (b"click", b"view", b"buy")[i % 3], i * 7)
                         for i in range(n))
        fill(files, lines, n)  # warm-up: start-up and the sinks' group joins
        cpu_before = _tree_cpu(worker.proc.pid)
        took = fill(files, lines, 2 * n)
        cpu = _tree_cpu(worker.proc.pid) - cpu_before
    finally:
        worker.stop()
    return {"rate": pairs * n / took, "cpu_us": cpu / (pairs * n) * 1e6, "took": took}


def memory(broker, work: Path, isolation: str, cpus, pairs: int) -> tuple[int, int, int]:
    work.mkdir()
    worker = Worker(work, broker.bootstrap_servers, isolation, cpus)
    try:
        pipelines(worker, broker, work, f"mem-{isolation}", pairs)
        time.sleep(8)  # an idle steady state: groups joined, first polls done (a measurement pause, not a sync)
        return tree_memory(worker.proc.pid)
    finally:
        worker.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cpus", default="", help="pin the worker (and its task processes) to these CPUs, e.g. 0")
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--pairs", type=int, default=1)
    parser.add_argument("--idle-pairs", type=int, default=10)
    parser.add_argument("--isolation", nargs="+", default=["thread", "process"])
    parser.add_argument("--skip", choices=("throughput", "memory"), action="append", default=[])
    args = parser.parse_args()
    cpus = {int(c) for c in args.cpus.split(",") if c.strip()} or None
    with tempfile.TemporaryDirectory(prefix="bench-iso-") as tmp, EmbeddedBroker() as broker:
        print(f"worker CPUs: {sorted(cpus) if cpus else 'all (' + str(os.cpu_count()) + ')'}")
        for isolation in args.isolation:
            if "throughput" not in args.skip:
                r = throughput(broker, Path(tmp) / f"tp-{isolation}", isolation, cpus, args.pairs, args.lines)
                print(f"{isolation:8} {args.pairs} pipeline(s), {args.lines:,} lines each: steady {r['rate']:>9,.0f} lines/s "
                      f"({r['took']:.1f} s), worker tree CPU {r['cpu_us']:.1f} µs/line")
            if "memory" not in args.skip:
                pss, uss, n = memory(broker, Path(tmp) / f"mem-{isolation}", isolation, cpus, args.idle_pairs)
                print(f"{isolation:8} {args.idle_pairs} idle pipelines ({2 * args.idle_pairs} tasks): worker tree "
                      f"PSS {pss / MIB:7.1f} MiB, USS {uss / MIB:7.1f} MiB, {n} processes")


if __name__ == "__main__":
    main()
