"""Distributed workers as real processes (``python -m dbconnect.cli distributed``) for the integration tests.

Each worker is configured the way a compose file configures Confluent's image: ``CONNECT_*``
variables alone (or a properties file, ``as_file=True``), its REST listener on a free loopback
port, and the small session timeout the tests need (``session.timeout.ms=6000``).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests

from dbconnect.embedded.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
SESSION_TIMEOUT_MS = 6000


def env_name(key: str) -> str:
    """``group.id`` → ``CONNECT_GROUP_ID`` (Confluent's mapping, the other way round)."""
    return "CONNECT_" + key.replace("-", "___").replace("_", "__").replace(".", "_").upper()


def cluster_settings(bootstrap: str, group: str | None = None, **overrides: str) -> dict[str, str]:
    group = group or f"cluster-{uuid.uuid4().hex[:8]}"
    settings = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "config.storage.topic": f"{group}-configs",
        "offset.storage.topic": f"{group}-offsets",
        "status.storage.topic": f"{group}-status",
        "config.storage.replication.factor": "1",
        "offset.storage.replication.factor": "1",
        "status.storage.replication.factor": "1",
        "offset.storage.partitions": "4",
        "status.storage.partitions": "2",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "offset.flush.interval.ms": "500",
        "session.timeout.ms": str(SESSION_TIMEOUT_MS),
        "heartbeat.interval.ms": "1000",
        "rebalance.timeout.ms": "30000",
        "scheduled.rebalance.max.delay.ms": "0",
        "consumer.session.timeout.ms": "6000",
        "consumer.heartbeat.interval.ms": "1000",
        "task.shutdown.graceful.timeout.ms": "5000",
        "rest.advertised.host.name": "127.0.0.1",
    }
    settings.update(overrides)
    return settings


class DistributedWorker:
    """One ``dbconnect distributed`` process; REST helpers on its URL."""

    def __init__(self, settings: Mapping[str, str], log_dir: Path, port: int | None = None,
                 as_file: bool = False, https_client: Mapping[str, Any] | None = None) -> None:
        """``https_client``: an https listener at ``localhost`` (the test certificates' name), and the
        ``requests`` arguments (``verify``, ``cert``) the test's calls to it take."""
        self.port = port or free_port()
        self.url = f"https://localhost:{self.port}" if https_client is not None else f"http://127.0.0.1:{self.port}"
        self._client = dict(https_client or {})
        self.settings = {**settings, "listeners": self.url}
        self.log_path = log_dir / f"worker-{self.port}-{uuid.uuid4().hex[:4]}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECT_")}
        args = [sys.executable, "-m", "dbconnect.cli", "distributed"]
        if as_file:  # connect-distributed.sh's way: a worker properties file, no CONNECT_* variables
            properties = log_dir / f"worker-{self.port}.properties"
            properties.write_text("".join(f"{k}={v}\n" for k, v in self.settings.items()))
            args.append(str(properties))
        else:
            env.update({env_name(k): v for k, v in self.settings.items()})
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    # -- process ---------------------------------------------------------------------------------
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        # Its task processes die with it (they watch their parent); give the OS a moment to reap them.

    def terminate(self) -> None:
        """SIGTERM without waiting (``stop`` then waits for the exit)."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 60.0) -> int | None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
        return self.proc.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    # -- REST ------------------------------------------------------------------------------------
    def get(self, path: str, **kw: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=60, **{**self._client, **kw})

    def post(self, path: str, **kw: Any) -> requests.Response:
        return requests.post(self.url + path, timeout=60, **{**self._client, **kw})

    def put(self, path: str, **kw: Any) -> requests.Response:
        return requests.put(self.url + path, timeout=60, **{**self._client, **kw})

    def patch(self, path: str, **kw: Any) -> requests.Response:
        return requests.patch(self.url + path, timeout=60, **{**self._client, **kw})

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return requests.delete(self.url + path, timeout=60, **{**self._client, **kw})

    def wait_ready(self, timeout: float = 60.0) -> None:
        def ready() -> bool:
            if not self.alive():
                raise AssertionError(f"worker {self.url} exited ({self.proc.returncode}):\n{self.log()[-4000:]}")
            try:
                return self.get("/health").status_code == 200
            except requests.RequestException:
                return False

        wait_until(ready, timeout, f"worker {self.url} ready")

    def write(self, method: str, path: str, timeout: float = 90.0, **kw: Any) -> requests.Response:
        """A write, retried while the cluster answers 409 (a rebalance) as a user's script would."""
        deadline = time.monotonic() + timeout
        while True:
            response = requests.request(method, self.url + path, timeout=60, **{**self._client, **kw})
            if response.status_code != 409 or "rebalance" not in response.text or time.monotonic() > deadline:
                return response
            time.sleep(0.5)

    def status(self, name: str) -> dict | None:
        response = self.get(f"/connectors/{name}/status")
        return response.json() if response.status_code == 200 else None


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def running(status: dict | None, tasks: int) -> bool:
    return bool(status) and status["connector"]["state"] == "RUNNING" and len(status["tasks"]) == tasks \
        and all(t["state"] == "RUNNING" for t in status["tasks"])


def last_generation(worker: DistributedWorker) -> int | None:
    """The generation of the last assignment the worker's herder acted on (its log), or None."""
    found = re.findall(r"Joined group at generation (\d+) ", worker.log())
    return int(found[-1]) if found else None


def wait_settled(workers: list[DistributedWorker], timeout: float = 60.0) -> int:
    """Wait until every worker acted on the same, latest generation: no rebalance is half done.

    The test broker leaves a group stuck for good (every SyncGroup failing) when its leader leaves in
    the middle of a rebalance (tools/repro_tansu_leader_leaves_mid_rebalance.py); a test that stops a
    worker waits for this first."""
    def settled() -> int | None:
        generations = {last_generation(w) for w in workers}
        if len(generations) != 1 or None in generations:
            return None
        (generation,) = generations
        # A round that revoked work is followed at once by another: not settled yet.
        last_rounds = [re.findall(r"Joined group at generation \d+ .*", w.log())[-1] for w in workers]
        if any("revoked connectors [], tasks []" not in line for line in last_rounds):
            return None
        # No later join under way: no kafka client line about (re)joining after the herder's.
        rejoining = [w for w in workers if re.search(r"\(Re-\)joining group|<Generation ", w.log().split(
            f"Joined group at generation {generation} ")[-1])]
        return None if rejoining else generation

    # A tuple, so that generation 0 (a new group's first) counts as settled.
    (generation,) = wait_until(lambda: (g,) if (g := settled()) is not None else None, timeout,
                               "the group settled on one generation")
    return generation
