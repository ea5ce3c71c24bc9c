"""The worker fixture: real standalone workers against the session's embedded broker."""

from __future__ import annotations

import time
from typing import Any, Callable

import pytest
import requests
from urllib3.util.retry import Retry

from dbconnect.runtime.connect import StandaloneConnect
from ..secret_leaks import SecretLeakWatch

# Secrets never shown (issue 15): every REST body WorkerHandle receives and every log record of the
# run is searched for the suite's test passwords at the end of the session (tests/secret_leaks.py).
LEAK_WATCH = SecretLeakWatch()


@pytest.fixture(scope="session", autouse=True)
def secret_leak_watch() -> SecretLeakWatch:
    LEAK_WATCH.start()
    yield LEAK_WATCH
    LEAK_WATCH.stop()
    report = LEAK_WATCH.report()
    if report:
        pytest.fail(report, pytrace=False)


def pytest_terminal_summary(terminalreporter) -> None:
    if LEAK_WATCH.texts:
        terminalreporter.write_line(
            f"secret leak watch: {len(LEAK_WATCH.passwords)} test passwords searched in {len(LEAK_WATCH.texts)} "
            f"REST bodies and log records: {len(LEAK_WATCH.leaks())} leak(s)")


def pytest_sessionfinish(session: pytest.Session) -> None:
    # Under pytest-xdist each worker process has its own watch; hand its figures to the controller,
    # which prints them for all workers (tests/conftest.py).
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["secret_leak_watch"] = [len(LEAK_WATCH.passwords), len(LEAK_WATCH.texts), len(LEAK_WATCH.leaks())]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    # The embedded databases' passwords (and any helper holding one) are test passwords.
    LEAK_WATCH.passwords_of_fixtures(getattr(item, "funcargs", {}).values())


class WorkerHandle:
    """A running standalone worker plus small REST helpers for tests."""

    def __init__(self, connect: StandaloneConnect, credentials: tuple[str, str] | None = None) -> None:
        self.connect = connect
        self.url = connect.url
        # The worker's own client: Basic credentials when given, its truststore for https; every
        # answer goes past the secret leak watch.
        self.http = connect.security.client_session(credentials)
        self.http.hooks["response"].append(LEAK_WATCH.response_hook)
        # The server closes an idle keep-alive connection after uvicorn's timeout_keep_alive; a GET
        # sent on it at that moment is reset (seen once in CI, ConnectionResetError 104 after a
        # database restart). HTTP clients retry an idempotent request then; only GET/HEAD here.
        for adapter in self.http.adapters.values():
            adapter.max_retries = Retry(total=1, connect=0, read=1, status=0, redirect=0,
                                        allowed_methods=frozenset({"GET", "HEAD"}), raise_on_status=False)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.http.get(self.url + path, timeout=30, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.http.post(self.url + path, timeout=30, **kw)

    def put(self, path: str, **kw: Any) -> requests.Response:
        return self.http.put(self.url + path, timeout=30, **kw)

    def patch(self, path: str, **kw: Any) -> requests.Response:
        return self.http.patch(self.url + path, timeout=30, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.http.delete(self.url + path, timeout=30, **kw)

    def wait_for_state(self, name: str, state: str = "RUNNING", tasks: int | None = 1, timeout: float = 30.0) -> dict:
        """Poll /status until the connector (and ``tasks`` tasks) reach ``state``."""
        deadline = time.monotonic() + timeout
        status: dict = {}
        while time.monotonic() < deadline:
            response = self.get(f"/connectors/{name}/status")
            if response.status_code == 200:
                status = response.json()
                task_states = [t["state"] for t in status["tasks"]]
                if status["connector"]["state"] == state and (
                    tasks is None or (len(task_states) == tasks and all(s == state for s in task_states))
                ):
                    return status
            time.sleep(0.1)
        raise AssertionError(f"{name} did not reach {state} within {timeout}s: {status}")

    def wait_for_task_state(self, name: str, task: int, state: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        status: dict = {}
        while time.monotonic() < deadline:
            response = self.get(f"/connectors/{name}/tasks/{task}/status")
            if response.status_code == 200:
                status = response.json()
                if status["state"] == state:
                    return status
            time.sleep(0.1)
        raise AssertionError(f"task {name}-{task} did not reach {state} within {timeout}s: {status}")

    def stop(self) -> None:
        self.http.close()
        self.connect.stop()


def worker_properties(broker: Any, tmp_path: Any, **overrides: str) -> dict[str, str]:
    props = {
        "bootstrap.servers": broker.bootstrap_servers,
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "offset.storage.file.filename": str(tmp_path / "connect.offsets"),
        "offset.flush.interval.ms": "500",
        "listeners": "http://127.0.0.1:0",
        "rest.advertised.host.name": "127.0.0.1",
        # Tansu joins a consumer group in about half the session timeout.
        "consumer.session.timeout.ms": "6000",
        "consumer.heartbeat.interval.ms": "1000",
        "task.shutdown.graceful.timeout.ms": "10000",
    }
    props.update(overrides)
    return props


@pytest.fixture
def start_worker(broker, tmp_path) -> Callable[..., WorkerHandle]:
    """Start a standalone worker (``start_worker(credentials=None, **worker_overrides)``; ``credentials``
    for its REST API when Basic authentication is on); stopped at teardown."""
    started: list[WorkerHandle] = []

    def start(credentials: tuple[str, str] | None = None, **overrides: str) -> WorkerHandle:
        connect = StandaloneConnect(worker_properties(broker, tmp_path, **overrides))
        connect.start()
        handle = WorkerHandle(connect, credentials)
        started.append(handle)
        return handle

    yield start
    for handle in reversed(started):
        handle.stop()


@pytest.fixture
def worker(start_worker) -> WorkerHandle:
    return start_worker()
