"""`metrics.listener` as an operator sets it: in the worker file, as CONNECT_METRICS_LISTENER (the
compose path), behind REST Basic authentication, and on a port that is already taken."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import requests

from dbconnect.embedded.ports import free_port


def worker_file(tmp_path, broker, rest_port: int, *extra: str):
    path = tmp_path / "worker.properties"
    path.write_text("\n".join([
        f"bootstrap.servers={broker.bootstrap_servers}",
        "key.converter=org.apache.kafka.connect.json.JsonConverter",
        "value.converter=org.apache.kafka.connect.json.JsonConverter",
        f"offset.storage.file.filename={tmp_path / 'connect.offsets'}",
        f"listeners=http://127.0.0.1:{rest_port}", *extra, ""]))
    return path


def start(args: list[str], env: dict[str, str], log_path) -> subprocess.Popen:
    log = log_path.open("w")
    return subprocess.Popen([sys.executable, "-m", "dbconnect.cli", *args], stdout=log, stderr=subprocess.STDOUT,
                            env={**env, "PYTHONUNBUFFERED": "1"})


def wait_answer(url: str, process: subprocess.Popen, log_path, auth=None, timeout: float = 60.0) -> requests.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, log_path.read_text()[-3000:]
        try:
            return requests.get(url, auth=auth, timeout=5)
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer: {log_path.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def test_metrics_listener_from_the_worker_file_and_from_connect_metrics_listener(broker, tmp_path):
    rest, from_file, from_env = free_port(), free_port(), free_port()
    worker = worker_file(tmp_path, broker, rest, f"metrics.listener=http://127.0.0.1:{from_file}")
    process = start(["standalone", str(worker)], dict(os.environ), tmp_path / "file.log")
    try:
        answer = wait_answer(f"http://127.0.0.1:{from_file}/metrics", process, tmp_path / "file.log")
        assert answer.status_code == 200 and "kafka_connect_connect_worker_metrics_connector_count 0.0" in answer.text
        assert requests.get(f"http://127.0.0.1:{from_file}/connectors", timeout=5).status_code == 404
    finally:
        stop(process)
    # The compose path: the variable alone, and it wins over the file (as every CONNECT_* does).
    env = {**os.environ, "CONNECT_METRICS_LISTENER": f"http://127.0.0.1:{from_env}"}
    process = start(["standalone", str(worker)], env, tmp_path / "env.log")
    try:
        answer = wait_answer(f"http://127.0.0.1:{from_env}/metrics/summary", process, tmp_path / "env.log")
        assert answer.status_code == 200 and answer.json()["worker_id"] == f"127.0.0.1:{rest}"
        assert requests.get(f"http://127.0.0.1:{rest}/metrics", timeout=5).status_code == 200
        with socket.socket() as probe:  # the file's port is not listened on any more
            assert probe.connect_ex(("127.0.0.1", from_file)) != 0
    finally:
        stop(process)


def test_metrics_listener_behind_basic_authentication(broker, tmp_path):
    credentials = tmp_path / "rest-credentials.properties"
    subprocess.run([sys.executable, "-m", "dbconnect.cli", "passwd", str(credentials), "admin", "--rounds", "6"],
                   input="s3cret\n", text=True, check=True, capture_output=True)
    rest, metrics = free_port(), free_port()
    worker = worker_file(tmp_path, broker, rest, f"rest.basic.auth.credentials.file={credentials}")
    env = {**os.environ, "CONNECT_METRICS_LISTENER": f"http://127.0.0.1:{metrics}"}
    process = start(["standalone", str(worker)], env, tmp_path / "worker.log")
    try:
        anonymous = wait_answer(f"http://127.0.0.1:{metrics}/metrics", process, tmp_path / "worker.log")
        assert anonymous.status_code == 401
        assert anonymous.headers.get("www-authenticate", "").lower().startswith("basic")
        assert requests.get(f"http://127.0.0.1:{metrics}/metrics", auth=("admin", "wrong"), timeout=5).status_code == 401
        answer = requests.get(f"http://127.0.0.1:{metrics}/metrics", auth=("admin", "s3cret"), timeout=5)
        assert answer.status_code == 200 and "kafka_connect_connect_worker_metrics_task_count" in answer.text
    finally:
        stop(process)


def test_a_taken_metrics_port_is_a_clear_startup_error_with_nothing_left_running(broker, tmp_path):
    rest = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        worker = worker_file(tmp_path, broker, rest, f"metrics.listener=http://127.0.0.1:{port}")
        result = subprocess.run([sys.executable, "-m", "dbconnect.cli", "standalone", str(worker)],
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr[-3000:]
    assert f"metrics.listener http://127.0.0.1:{port} could not be started" in result.stderr, result.stderr[-3000:]
    assert "already in use" in result.stderr
    with socket.socket() as probe:  # the REST listener did not stay bound either
        probe.bind(("127.0.0.1", rest))
