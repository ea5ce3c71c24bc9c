"""A secured worker as an operator sets one up: `dbconnect passwd`, the worker file (or CONNECT_*
variables), curl-like calls with and without credentials; Kafka's extension refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import requests

from dbconnect.embedded.ports import free_port

EXTENSION = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"


def _worker_file(tmp_path, broker, port, extra: str = ""):
    worker = tmp_path / "w.properties"
    worker.write_text(f"bootstrap.servers={broker.bootstrap_servers}\nkey.converter=JsonConverter\n"
                      f"value.converter=JsonConverter\nlisteners=http://127.0.0.1:{port}\n{extra}")
    return worker


def test_kafkas_basic_auth_extension_is_refused_with_what_to_use(broker, tmp_path):
    worker = _worker_file(tmp_path, broker, free_port(), f"rest.extension.classes={EXTENSION}\n")
    result = subprocess.run([sys.executable, "-m", "dbconnect.cli", "standalone", str(worker)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"rest.extension.classes={EXTENSION}: dbconnect cannot load REST extensions" in result.stderr
    assert "rest.basic.auth.credentials.file" in result.stderr and "dbconnect passwd" in result.stderr


def test_passwd_then_a_worker_that_asks_for_credentials(broker, tmp_path):
    credentials = tmp_path / "rest-credentials.properties"
    subprocess.run([sys.executable, "-m", "dbconnect.cli", "passwd", str(credentials), "admin"],
                   input="admin-password\n", text=True, check=True, capture_output=True, timeout=60)
    port = free_port()
    worker = _worker_file(tmp_path, broker, port)
    env = {**os.environ, "CONNECT_REST_BASIC_AUTH_CREDENTIALS_FILE": str(credentials),
           "CONNECT_REST_BASIC_AUTH_REALM": "ops"}
    process = subprocess.Popen([sys.executable, "-m", "dbconnect.cli", "standalone", str(worker)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http_status(lambda: requests.get(url + "/", timeout=2).status_code == 401)
        anonymous = requests.get(url + "/connectors", timeout=10)
        assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith('Basic realm="ops"')
        assert anonymous.json() == {"error_code": 401, "message": "User cannot access the resource."}
        assert requests.get(url + "/connectors", auth=("admin", "wrong"), timeout=10).status_code == 401
        assert requests.get(url + "/connectors", auth=("admin", "admin-password"), timeout=10).json() == []
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0


def wait_http_status(probe, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the worker did not answer within {timeout}s")
