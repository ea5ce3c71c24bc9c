"""Unique memory (USS) of task processes (task.isolation=process, issue 12 item 1).

A standalone worker with ``task.isolation=process`` runs ``--pairs`` FileStreamSource →
FileStreamSink pipelines (2 task processes each). USS (``Private_Clean + Private_Dirty`` of
/proc/PID/smaps_rollup: the memory that would be freed if the process exited) and PSS are read
for every task process, every connector instance's process (idle only), the fork server and the
worker:

- idle: the tasks running, no data (the source polls an unchanged file, the sink an empty topic);
- busy: sampled while ``--lines`` lines per pipeline stream through, and right after.

    flock /tmp/dbconnect-bench.lock python bench/task_process_memory.py [--pairs 3] [--lines 200000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dbconnect.embedded import EmbeddedBroker  # noqa: E402
from dbconnect.runtime.connect import StandaloneConnect  # noqa: E402
from dbconnect.runtime.stores.status import ConnectorTaskId  # noqa: E402

MIB = 1024 * 1024


def smaps(pid: int) -> dict[str, int]:
    """Bytes per field of /proc/PID/smaps_rollup (Rss, Pss, Private_Clean, …)."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        out[name] = int(value.split()[0]) * 1024
    return out


def uss(pid: int) -> int:
    fields = smaps(pid)
    return fields["Private_Clean"] + fields["Private_Dirty"]


def task_pids(connect: StandaloneConnect, names: list[str]) -> dict[str, int]:
    pids = {}
    for name in names:
        with connect.worker._lock:
            task = connect.worker._tasks.get(ConnectorTaskId(name, 0))
        if task is not None and getattr(task, "pid", None):
            pids[name] = task.pid
    return pids


def connector_pids(connect: StandaloneConnect, names: list[str]) -> dict[str, int]:
    """The connector instances' processes (connector_process.ProcessWorkerConnector)."""
    pids = {}
    for name in names:
        with connect.worker._lock:
            instance = connect.worker._connectors.get(name)
        if getattr(instance, "pid", None):
            pids[name] = instance.pid
    return pids


def line_count(path: Path) -> int:
    try:
        with path.open("rb") as fh:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


def summary(label: str, values: list[int]) -> str:
    values = sorted(values)
    return (f"{label:<28} n={len(values):>2}  min {values[0] / MIB:6.1f}  median {values[len(values) // 2] / MIB:6.1f}"
            f"  max {values[-1] / MIB:6.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--lines", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-procs-") as tmp, EmbeddedBroker() as broker:
        tmp_path = Path(tmp)
        props = {
            "bootstrap.servers": broker.bootstrap_servers,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "offset.storage.file.filename": str(tmp_path / "offsets"),
            "offset.flush.interval.ms": "1000",
            "listeners": "http://127.0.0.1:0",
            "consumer.session.timeout.ms": "6000",
            "task.isolation": "process",
        }
        connect = StandaloneConnect(props)
        connect.start()
        names = []
        try:
            for i in range(args.pairs):
                topic = f"procs-{i}"
                broker.create_topic(topic, partitions=1)
                (tmp_path / f"in-{i}.txt").write_text("")
                connect.add_connector(f"src-{i}", {"connector.class": "FileStreamSource", "file": str(tmp_path / f"in-{i}.txt"),
                                                   "topic": topic, "batch.size": "10000"})
                connect.add_connector(f"sink-{i}", {"connector.class": "FileStreamSink", "file": str(tmp_path / f"out-{i}.txt"),
                                                    "topics": topic, "consumer.max.poll.records": "10000"})
                names += [f"src-{i}", f"sink-{i}"]
            deadline = time.monotonic() + 60
            while len(task_pids(connect, names)) < len(names) and time.monotonic() < deadline:
                time.sleep(0.2)
            pids = task_pids(connect, names)
            time.sleep(8)  # let the sinks join their groups and the tasks settle: an idle steady state
            idle = {name: uss(pid) for name, pid in pids.items()}
            idle_pss = {name: smaps(pid)["Pss"] for name, pid in pids.items()}
            instances = connector_pids(connect, names)
            idle_instances = {name: uss(pid) for name, pid in instances.items()}
            idle_instances_pss = {name: smaps(pid)["Pss"] for name, pid in instances.items()}
            forkserver_pid = next(iter(os.popen(f"ps -o ppid= -p {next(iter(pids.values()))}"))).strip()
            worker_uss = uss(os.getpid())

            peak: dict[str, int] = {}
            stop = threading.Event()

            def sample() -> None:
                while not stop.is_set():
                    for name, pid in pids.items():
                        try:
                            peak[name] = max(peak.get(name, 0), uss(pid))
                        except FileNotFoundError:
                            pass
                    stop.wait(0.2)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            started = time.monotonic()
            line = b"x" * 90 + b"\n"
            for i in range(args.pairs):
                with (tmp_path / f"in-{i}.txt").open("ab") as fh:
                    fh.write(line * args.lines)
            while any(line_count(tmp_path / f"out-{i}.txt") < args.lines for i in range(args.pairs)):
                if time.monotonic() - started > 600:
                    raise SystemExit("the pipelines did not finish within 600 s")
                time.sleep(0.5)
            took = time.monotonic() - started
            stop.set()
            sampler.join()
            after = {name: uss(pid) for name, pid in pids.items()}

            def pick(values: dict[str, int], kind: str) -> list[int]:
                return [v for name, v in values.items() if name.startswith(kind)]

            print(f"{args.pairs} file pipelines, task.isolation=process; {args.lines} lines of 91 bytes each, {took:.1f} s")
            for kind in ("src", "sink"):
                print(summary(f"idle USS ({kind})", pick(idle, kind)))
                print(summary(f"idle PSS ({kind})", pick(idle_pss, kind)))
                print(summary(f"busy peak USS ({kind})", pick(peak, kind)))
                print(summary(f"after busy USS ({kind})", pick(after, kind)))
            for kind in ("src", "sink"):
                if pick(idle_instances, kind):
                    print(summary(f"idle USS (connector, {kind})", pick(idle_instances, kind)))
                    print(summary(f"idle PSS (connector, {kind})", pick(idle_instances_pss, kind)))
            if forkserver_pid.isdigit():
                print(f"fork server USS {uss(int(forkserver_pid)) / MIB:.1f} MiB (pid {forkserver_pid})")
            print(f"worker process USS {worker_uss / MIB:.1f} MiB")
        finally:
            connect.stop()


if __name__ == "__main__":
    main()
