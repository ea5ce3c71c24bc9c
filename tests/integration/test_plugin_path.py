"""Seed 003 with a plugin directory: drop a connector module into plugin.path, (re)start the worker,
find it in GET /connector-plugins, POST it, and see its records in Kafka.

The connector is the docs' own example (docs/plugins.md, "Writing a connector"), written into a temp dir under a
module name no other test uses (Python's module namespace is process-wide).
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

from dbconnect.embedded.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
JAVA_NAME = "com.windowforsun.kafkaconnect.sourceconnector.exam.MyFileSourceConnector"


def readme_connector(with_java_alias: bool = True) -> str:
    """The seed 003 connector module exactly as docs/plugins.md shows it."""
    section = (ROOT / "docs" / "plugins.md").read_text().split("\n## Writing a connector", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    assert "from dbconnect.api import" in code
    if not with_java_alias:
        code = re.sub(r"\n\s*# Optional: also found.*\n\s*aliases = \(.*\)\n", "\n", code)
        assert "aliases" not in code
    return code


def write_module(directory: Path, stem: str, code: str) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    module = f"{stem}_{uuid.uuid4().hex[:8]}"
    (directory / f"{module}.py").write_text(code)
    return module


def wait_for_topic(broker, topic: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if broker.topics().get(topic):
            return
        time.sleep(0.2)
    raise AssertionError(f"topic {topic} was not created within {timeout}s")


def values(messages) -> list:
    return sorted(json.loads(m.value())["payload"] for m in messages)


def test_connector_dropped_into_plugin_path_is_listed_after_restart_created_and_runs(
        start_worker, broker, tmp_path, topic_name):
    plugins = tmp_path / "connectors"
    plugins.mkdir()
    # The worker already runs with plugin.path set before the connector is dropped in.
    first = start_worker(**{"plugin.path": str(plugins)})
    assert not [p for p in first.get("/connector-plugins").json() if "MyFileSource" in p["class"]]
    first.stop()

    module = write_module(plugins, "my_file_source", readme_connector(with_java_alias=False))
    worker = start_worker(**{"plugin.path": str(plugins)})  # "restart the worker"
    listed = worker.get("/connector-plugins").json()
    assert {"class": f"{module}.MyFileSourceConnector", "type": "source", "version": "1.0"} in listed

    source = tmp_path / "my-source-file.txt"
    source.write_text("foo\nbar\n")
    response = worker.post("/connectors", json={"name": "my-source-connector", "config": {
        "connector.class": "MyFileSourceConnector", "file": str(source), "topic": topic_name}})
    assert response.status_code == 201, response.text
    assert response.json()["type"] == "source"
    worker.wait_for_state("my-source-connector")
    tasks = worker.get("/connectors/my-source-connector/tasks").json()
    assert tasks[0]["config"]["task.class"] == f"{module}.MyFileSourceTask"
    wait_for_topic(broker, topic_name)
    assert values(broker.consume(topic_name, 2, timeout=30, partition=None)) == ["bar", "foo"]


def wait_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"worker exited with {process.returncode}: {log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def test_connect_plugin_path_through_the_cli_as_in_seed_003(broker, tmp_path, topic_name):
    """CONNECT_PLUGIN_PATH lists two directories plus one that does not exist, as the seed's compose
    file does; the curl calls are the seed's."""
    plugins = tmp_path / "confluent-hub-components"
    write_module(plugins, "my_file_source", readme_connector(with_java_alias=True))
    port = free_port()
    worker_file = tmp_path / "worker.properties"
    worker_file.write_text("key.converter=org.apache.kafka.connect.json.JsonConverter\n"
                           "value.converter=org.apache.kafka.connect.json.JsonConverter\n"
                           f"offset.storage.file.filename={tmp_path / 'connect.offsets'}\n")
    missing = tmp_path / "usr-share-java"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "CONNECT_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
           "CONNECT_LISTENERS": f"http://127.0.0.1:{port}", "CONNECT_CONSUMER_SESSION_TIMEOUT_MS": "6000",
           "CONNECT_PLUGIN_PATH": f"{missing},{plugins},{tmp_path / 'empty'}"}
    (tmp_path / "empty").mkdir()
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "dbconnect.cli", "standalone", str(worker_file)],
                                   stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/", process, log)
        listed = requests.get(base + "/connector-plugins", timeout=10).json()
        assert {"class": JAVA_NAME, "type": "source", "version": "1.0"} in listed
        source = tmp_path / "my-source-file.txt"
        response = requests.post(base + "/connectors", timeout=30, json={
            "name": "my-source-connector",
            "config": {"connector.class": JAVA_NAME, "file": str(source), "topic": topic_name}})
        assert response.status_code == 201, response.text
        deadline = time.monotonic() + 30
        status: dict = {}
        while time.monotonic() < deadline and [t["state"] for t in status.get("tasks", [])] != ["RUNNING"]:
            status = requests.get(base + "/connectors/my-source-connector/status", timeout=10).json()
            time.sleep(0.1)
        assert status["connector"]["state"] == "RUNNING" and status["tasks"][0]["state"] == "RUNNING", status
        source.write_text("foo\nbar\n\n")  # echo -e "foo\nbar\n" >> /tmp/my-source-file.txt
        wait_for_topic(broker, topic_name)
        assert values(broker.consume(topic_name, 3, timeout=30, partition=None)) == ["", "bar", "foo"]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    output = log.read_text()
    assert f"plugin.path element {missing} does not exist; no plugins are loaded from it" in output, output[-3000:]
    assert process.returncode == 0, output[-3000:]


BROKEN = """
from dbconnect.api import SourceConnector
import {missing}


class BrokenSourceConnector(SourceConnector):
    pass
"""


def test_module_failing_on_import_is_reported_with_its_own_error(start_worker, tmp_path, caplog):
    plugins = tmp_path / "connectors"
    good = write_module(plugins, "my_file_source", readme_connector(with_java_alias=False))
    missing = f"vendor_sdk_{uuid.uuid4().hex[:8]}"
    broken = write_module(plugins, "broken_source", BROKEN.format(missing=missing))
    broken_file = plugins / f"{broken}.py"
    with caplog.at_level(logging.ERROR, logger="dbconnect.runtime.plugin_path"):
        worker = start_worker(**{"plugin.path": str(plugins)})
    assert any(str(broken_file) in r.getMessage() and f"No module named '{missing}'" in r.getMessage()
               for r in caplog.records), [r.getMessage() for r in caplog.records]
    # The other plugin of the directory still loads.
    assert f"{good}.MyFileSourceConnector" in [p["class"] for p in worker.get("/connector-plugins").json()]

    expected = (f"importing module {broken} from {broken_file} raised ModuleNotFoundError: "
                f"No module named '{missing}'")
    config = {"connector.class": "BrokenSourceConnector", "topic": "t"}
    created = worker.post("/connectors", json={"name": "broken", "config": config})
    assert created.status_code == 400
    assert created.json() == {"error_code": 400, "message": f"Could not load BrokenSourceConnector: {expected}"}
    put = worker.put("/connectors/broken/config", json={**config, "connector.class": f"{broken}.BrokenSourceConnector"})
    assert put.status_code == 400 and put.json()["message"].endswith(expected), put.text
    validated = worker.put("/connector-plugins/BrokenSourceConnector/config/validate", json=config)
    assert validated.status_code == 400 and validated.json()["message"].endswith(expected), validated.text
    assert worker.get("/connectors").json() == []


def test_python_path_module_failing_on_import_is_reported_with_its_own_error(start_worker, tmp_path, monkeypatch):
    site = tmp_path / "site"
    missing = f"vendor_sdk_{uuid.uuid4().hex[:8]}"
    module = write_module(site, "pathed_source", BROKEN.format(missing=missing))
    monkeypatch.syspath_prepend(str(site))
    worker = start_worker()
    response = worker.put("/connectors/pathed/config", json={
        "connector.class": f"{module}:BrokenSourceConnector", "topic": "t"})
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"Could not load {module}:BrokenSourceConnector: importing module {module} from {site / f'{module}.py'} "
        f"raised ModuleNotFoundError: No module named '{missing}'")


def test_missing_plugin_path_directory_is_a_warning_and_the_worker_runs(start_worker, tmp_path, caplog):
    plugins = tmp_path / "connectors"
    module = write_module(plugins, "my_file_source", readme_connector(with_java_alias=False))
    missing = tmp_path / "no-such-dir"
    with caplog.at_level(logging.WARNING, logger="dbconnect.runtime.plugin_path"):
        worker = start_worker(**{"plugin.path": f"{missing},{plugins}"})
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and str(missing) in r.getMessage()] == [
        f"plugin.path element {missing} does not exist; no plugins are loaded from it"]
    assert worker.get("/").status_code == 200
    assert f"{module}.MyFileSourceConnector" in [p["class"] for p in worker.get("/connector-plugins").json()]
    created = worker.put("/connectors/files/config", json={
        "connector.class": "FileStreamSource", "file": str(tmp_path / "x.txt"), "topic": "t"})
    assert created.status_code == 201, created.text


def test_two_plugins_defining_the_same_class_name(start_worker, tmp_path, topic_name):
    code = readme_connector(with_java_alias=False).replace("MyFileSourceConnector", "MySourceConnector")
    first = write_module(tmp_path / "acme", "acme_source", code)
    second = write_module(tmp_path / "other", "other_source", code.replace('return "1.0"', 'return "2.0"'))
    worker = start_worker(**{"plugin.path": f"{tmp_path / 'acme'},{tmp_path / 'other'}"})
    listed = worker.get("/connector-plugins").json()
    assert {"class": f"{first}.MySourceConnector", "type": "source", "version": "1.0"} in listed
    assert {"class": f"{second}.MySourceConnector", "type": "source", "version": "2.0"} in listed

    config = {"file": str(tmp_path / "in.txt"), "topic": topic_name}
    message = (f"Plugin name MySourceConnector is ambiguous: it matches {first}.MySourceConnector and "
               f"{second}.MySourceConnector; use the full name")
    refused = worker.post("/connectors", json={"name": "mine", "config": {**config, "connector.class": "MySourceConnector"}})
    assert refused.status_code == 400 and refused.json() == {"error_code": 400, "message": message}
    validated = worker.put("/connector-plugins/MySourceConnector/config/validate",
                           json={**config, "connector.class": "MySourceConnector"})
    assert validated.status_code == 400 and validated.json()["message"] == message
    described = worker.get("/connector-plugins/MySourceConnector/config")
    assert described.status_code == 404 and described.json()["message"] == message
    assert worker.get(f"/connector-plugins/{second}.MySourceConnector/config").status_code == 200
    created = worker.post("/connectors", json={"name": "mine", "config": {
        **config, "connector.class": f"{second}.MySourceConnector"}})
    assert created.status_code == 201, created.text
    worker.wait_for_state("mine")
    task = worker.get("/connectors/mine/tasks").json()[0]
    assert task["config"]["task.class"] == f"{second}.MyFileSourceTask"
