"""``dbconnect demo``: the README's first command, run the way a newcomer runs it (``--once`` in CI)."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

from dbconnect.cli import build_parser
from dbconnect.demo.tables import DemoHooks, run_tables_demo
from dbconnect.embedded import free_port

pytestmark = pytest.mark.integration


def demo(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dbconnect.cli", "demo", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdin=subprocess.DEVNULL)


def no_servers_left(before: set[int]) -> list[str]:
    """Processes this test started that are still alive (embedded servers must all be gone)."""
    me = psutil.Process()
    return [p.name() for p in me.children(recursive=True) if p.pid not in before]


def test_demo_once_replicates_the_shop_and_checks_it():
    result = demo("--once", "--rest-port", str(free_port()))
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "seeded 'shop': 10,000 customers, 1,000 products, 89,000 orders" in out
    assert "replica-postgresql-sink.json  → 201" in out and "shop-source.json  → 201" in out
    assert "check           OK: the target equals the source" in out
    assert "[streaming changes]" in out  # not a terminal: one plain line per update
    summary = out.split("summary:", 1)[1]
    assert "rows/s" in summary and "lag p95" in summary and "deletes" in summary


def test_demo_once_names_the_first_differing_row():
    def corrupt(stack) -> None:
        stack.target.execute('UPDATE "products" SET "name" = %s WHERE "id" = 3', ("tampered",))

    args = build_parser().parse_args(["demo", "--once", "--rows", "5000", "--stream-seconds", "2",
                                      "--rest-port", str(free_port())])
    out = io.StringIO()
    code = run_tables_demo(args, out=out, hooks=DemoHooks(before_verify=corrupt))
    text = out.getvalue()
    assert code == 1, text
    assert "DIFFERENT: products id=3: column name is 'Product 3' in the source, 'tampered' in the target" in text


def test_demo_resumes_from_its_data_dir():
    # Not under pytest's tmp_path (0700): as root, PostgreSQL runs as a user that must reach the directory.
    data = Path(tempfile.mkdtemp(prefix="dbconnect-demo-test-")) / "demo-data"
    data.parent.chmod(0o711)
    first = demo("--once", "--rows", "3000", "--stream-seconds", "2", "--rest-port", str(free_port()),
                 "--data-dir", str(data))
    assert first.returncode == 0, first.stdout + first.stderr
    second = demo("--once", "--rows", "3000", "--stream-seconds", "2", "--rest-port", str(free_port()),
                  "--data-dir", str(data))
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already holds data (resumed from --data-dir)" in second.stdout
    assert "migrations" in second.stdout and "0 applied, 1 already there" in second.stdout
    shutil.rmtree(data.parent, ignore_errors=True)


@pytest.mark.skipif(not (os.path.exists("/usr/sbin/mariadbd")), reason="needs mariadbd")
def test_demo_once_into_mariadb():
    result = demo("--once", "--target", "mariadb", "--rows", "20000", "--stream-seconds", "3",
                  "--rest-port", str(free_port()))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "replica-mariadb-sink.json  → 201" in result.stdout
    assert "check           OK" in result.stdout


def test_a_busy_port_is_one_clear_line_and_nothing_is_left_running():
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = demo("--once", "--rest-port", str(port), timeout=60)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == (f"dbconnect demo: Port {port} is already in use (the REST API's port): stop what uses it, "
                         f"or choose another with --rest-port, e.g. --rest-port {port + 1}")
    assert no_servers_left(before) == []


def test_an_unwritable_data_dir_is_one_clear_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = demo("--once", "--data-dir", str(blocker / "data"), "--rest-port", str(free_port()), timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].startswith(f"dbconnect demo: --data-dir {blocker / 'data'} is not writable")


def test_the_file_walkthrough_is_still_there():
    result = demo("--files", "--lines", "3", "--rest-port", str(free_port()), timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo OK" in result.stdout


def test_sigterm_mid_stream_stops_everything():
    """The demo as a user leaves it running: SIGTERM while changes stream ends it cleanly."""
    import signal

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    process = subprocess.Popen([sys.executable, "-m", "dbconnect.cli", "demo", "--rows", "3000",
                                "--rest-port", str(free_port())], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdin=subprocess.DEVNULL)
    try:
        for line in process.stdout:  # the plain view: one line per second once changes stream
            if line.startswith("[streaming changes]"):
                break
        else:
            raise AssertionError(f"the demo ended before streaming: {process.stderr.read()}")
        servers = [p for p in psutil.Process(process.pid).children(recursive=True)]
        assert servers, "the demo runs its services as child processes"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0
    finally:
        if process.poll() is None:
            process.kill()
    gone, alive = psutil.wait_procs(servers, timeout=30)
    assert [p.name() for p in alive] == []
    assert no_servers_left(before) == []


def test_the_running_demo_points_to_its_status_page_and_metrics_and_they_move():
    """What the demo prints while it streams names /ui and /metrics; both show its connectors, and
    the source's counters move with the change stream."""
    import signal
    import time

    import requests
    from prometheus_client.parser import text_string_to_metric_families

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "dbconnect.cli", "demo", "--rows", "3000", "--rest-port",
                                str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdin=subprocess.DEVNULL)
    try:
        printed = []
        for line in process.stdout:
            printed.append(line)
            if line.startswith("[streaming changes]"):
                break
        else:
            raise AssertionError(f"the demo ended before streaming: {process.stderr.read()}")
        text = "".join(printed)
        base = f"http://127.0.0.1:{port}"
        assert f"{base}/ui" in text and f"{base}/metrics" in text, text[-2000:]
        page = requests.get(f"{base}/ui", timeout=10)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]

        def polled() -> float:
            samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(
                requests.get(f"{base}/metrics", timeout=10).text) for s in f.samples}
            return samples[("kafka_connect_source_task_metrics_source_record_poll_total",
                            (("connector", "shop-source"), ("task", "0")))]

        first = polled()
        deadline = time.monotonic() + 60
        while polled() <= first:
            assert time.monotonic() < deadline, "the source's poll total did not move while changes streamed"
            time.sleep(0.5)
        summary = requests.get(f"{base}/metrics/summary", timeout=10).json()["connectors"]
        assert {"shop-source", "replica-sink"} <= set(summary)
        assert summary["replica-sink"]["records_out_total"] > 0 and summary["shop-source"]["lag_seconds"] is not None
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0
    finally:
        if process.poll() is None:
            process.kill()
