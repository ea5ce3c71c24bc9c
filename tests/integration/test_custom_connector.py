"""Seed 003: a custom SourceConnector is listed by /connector-plugins and shown RUNNING."""

from __future__ import annotations


import orjson
import pytest

JAVA_NAME = "com.windowforsun.kafkaconnect.sourceconnector.exam.MyFileSourceConnector"


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    """Install the plugin the way a package would: an entry point in group dbconnect.plugins."""
    site = tmp_path / "site"
    dist = site / "my_file_source-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-file-source\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[dbconnect.plugins]\n{JAVA_NAME} = tests.integration.custom_plugins:MyFileSourceConnector\n"
    )
    monkeypatch.syspath_prepend(str(site))
    import importlib

    importlib.invalidate_caches()
    yield JAVA_NAME


def test_custom_connector_listed_created_and_running(installed_plugin, start_worker, broker, tmp_path, topic_name):
    broker.create_topic(topic_name, partitions=1)
    worker = start_worker()
    plugins = worker.get("/connector-plugins").json()
    assert {"class": JAVA_NAME, "type": "source", "version": "1.0"} in plugins

    source = tmp_path / "my-source-file.txt"
    response = worker.post("/connectors", json={
        "name": "my-source-connector",
        "config": {"connector.class": JAVA_NAME, "file": str(source), "topic": topic_name},
    })
    assert response.status_code == 201, response.text
    assert response.headers["Location"].endswith("/connectors/my-source-connector")
    status = worker.wait_for_state("my-source-connector")
    assert status["type"] == "source"
    assert status["connector"]["worker_id"] == worker.connect.worker.worker_id
    assert status["tasks"][0]["worker_id"] == worker.connect.worker.worker_id

    # echo -e "foo\nbar\n" >> /tmp/my-source-file.txt
    source.write_text("foo\nbar\n\n")
    messages = broker.consume(topic_name, 3, timeout=20)
    assert [orjson.loads(m.value()) for m in messages] == [
        {"schema": {"type": "string", "optional": False}, "payload": "foo"},
        {"schema": {"type": "string", "optional": False}, "payload": "bar"},
        {"schema": {"type": "string", "optional": False}, "payload": ""},
    ]


def test_connector_by_python_path(start_worker, tmp_path, topic_name):
    worker = start_worker()
    response = worker.put("/connectors/by-path/config", json={
        "connector.class": "tests.integration.custom_plugins:MyFileSourceConnector",
        "file": str(tmp_path / "x.txt"), "topic": topic_name, "tasks.max": "2",
    })
    assert response.status_code == 201, response.text
    status = worker.wait_for_state("by-path", tasks=2)
    assert [t["id"] for t in status["tasks"]] == [0, 1]
    tasks = worker.get("/connectors/by-path/tasks").json()
    assert tasks[1]["id"] == {"connector": "by-path", "task": 1}
    assert tasks[1]["config"]["task.class"] == "tests.integration.custom_plugins.MyFileSourceTask"
