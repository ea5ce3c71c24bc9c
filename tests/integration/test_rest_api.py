"""Every REST endpoint against a real standalone worker and broker."""

from __future__ import annotations

import time



def file_source(tmp_path, topic, **extra):
    path = tmp_path / "source.txt"
    if not path.exists():
        path.write_text("one\ntwo\n")
    return {"connector.class": "FileStreamSource", "file": str(path), "topic": topic, **extra}


def test_root_health_and_openapi(worker):
    root = worker.get("/").json()
    assert root["version"] and "commit" in root and root["kafka_cluster_id"]
    health = worker.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."}
    spec = worker.get("/openapi.json").json()
    assert "/connectors/{connector}/offsets" in spec["paths"] or any("offsets" in p for p in spec["paths"])


def test_health_is_starting_until_the_command_lines_connectors_exist(broker, tmp_path, topic_name):
    """As Kafka's standalone CLI: the REST port answers first; /health says healthy only once the
    connector files are created, so a client waiting for it finds them."""
    from dbconnect.runtime.connect import StandaloneConnect

    from .conftest import WorkerHandle, worker_properties

    connect = StandaloneConnect(worker_properties(broker, tmp_path))
    seen: list[tuple[int, int]] = []
    add_connector = connect.add_connector

    def add_and_probe(name, config, initial_state=None):
        probe = WorkerHandle(connect)  # the REST port is bound by now
        seen.append((probe.get("/health").status_code, probe.get(f"/connectors/{name}").status_code))
        add_connector(name, config, initial_state)

    connect.add_connector = add_and_probe
    try:
        connect.start([("src", file_source(tmp_path, topic_name), None)])
        handle = WorkerHandle(connect)
        assert seen == [(503, 404)]
        assert handle.get("/health").status_code == 200
        assert handle.get("/connectors/src").status_code == 200
    finally:
        connect.stop()


def test_create_read_update_delete(worker, tmp_path, topic_name):
    assert worker.get("/connectors").json() == []
    body = {"name": "src", "config": file_source(tmp_path, topic_name)}
    created = worker.post("/connectors", json=body)
    assert created.status_code == 201, created.text
    info = created.json()
    assert info["name"] == "src" and info["type"] == "source"
    assert info["config"]["name"] == "src"
    assert worker.post("/connectors", json=body).status_code == 409
    assert worker.post("/connectors", json=body).json() == {"error_code": 409, "message": "Connector src already exists"}

    assert worker.get("/connectors").json() == ["src"]
    assert worker.get("/connectors/src").json()["tasks"] == [{"connector": "src", "task": 0}]
    assert worker.get("/connectors/src/config").json()["topic"] == topic_name
    worker.wait_for_state("src")

    expanded = worker.get("/connectors?expand=status&expand=info").json()
    assert expanded["src"]["status"]["connector"]["state"] == "RUNNING"
    assert expanded["src"]["info"]["name"] == "src"

    # PUT on an existing connector updates it (200); PATCH merges and null removes a key.
    updated = worker.put("/connectors/src/config", json={**file_source(tmp_path, topic_name), "batch.size": "10"})
    assert updated.status_code == 200 and updated.json()["config"]["batch.size"] == "10"
    patched = worker.patch("/connectors/src/config", json={"batch.size": None, "tasks.max": 1})
    assert patched.status_code == 200, patched.text
    assert "batch.size" not in patched.json()["config"] and patched.json()["config"]["tasks.max"] == "1"

    tasks = worker.get("/connectors/src/tasks").json()
    assert tasks[0]["id"] == {"connector": "src", "task": 0}
    assert tasks[0]["config"]["topic"] == topic_name
    worker.wait_for_state("src")
    task_status = worker.get("/connectors/src/tasks/0/status").json()
    assert task_status["id"] == 0 and task_status["state"] == "RUNNING" and task_status["worker_id"]
    assert worker.get("/connectors/src/tasks/7/status").status_code == 404

    assert worker.delete("/connectors/src").status_code == 204
    missing = worker.get("/connectors/src")
    assert missing.status_code == 404
    assert missing.json() == {"error_code": 404, "message": "Connector src not found"}
    assert worker.get("/connectors/src/status").json()["message"] == "No status found for connector src"
    assert worker.delete("/connectors/src").status_code == 404


def test_bad_input(worker, tmp_path, topic_name):
    unknown = worker.post("/connectors", json={"name": "x", "config": {"connector.class": "com.example.Nope"}})
    assert unknown.status_code == 400 and "com.example.Nope" in unknown.json()["message"]

    invalid = worker.post("/connectors", json={"name": "x", "config": {"connector.class": "FileStreamSource", "tasks.max": "zero"}})
    assert invalid.status_code == 400
    message = invalid.json()["message"]
    assert message.startswith("Connector configuration is invalid and contains the following 2 error(s):\n")
    assert 'Missing required configuration "topic" which has no default value.' in message
    assert "Invalid value zero for configuration tasks.max: Not a number of type INT" in message
    assert message.endswith("You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`")

    malformed = worker.http.post(worker.url + "/connectors", data=b"{not json", headers={"Content-Type": "application/json"}, timeout=10)
    assert malformed.status_code == 400 and malformed.json()["error_code"] == 400

    mismatch = worker.put("/connectors/a/config", json={**file_source(tmp_path, topic_name), "name": "b"})
    assert mismatch.status_code == 400
    assert mismatch.json()["message"] == "Connector name configuration (b) doesn't match connector name in the URL (a)"
    assert worker.get("/connectors/none/config").status_code == 404
    assert worker.get("/nope").json() == {"error_code": 404, "message": "HTTP 404 Not Found"}


def test_pause_resume_stop_restart(worker, tmp_path, topic_name):
    assert worker.put("/connectors/src/config", json=file_source(tmp_path, topic_name)).status_code == 201
    worker.wait_for_state("src")
    assert worker.put("/connectors/src/pause").status_code == 202
    worker.wait_for_state("src", "PAUSED")
    assert worker.put("/connectors/src/resume").status_code == 202
    worker.wait_for_state("src", "RUNNING")

    assert worker.post("/connectors/src/restart").status_code == 204
    worker.wait_for_state("src")
    restarted = worker.post("/connectors/src/restart?includeTasks=true&onlyFailed=false")
    assert restarted.status_code == 202
    assert restarted.json()["connector"]["state"] == "RESTARTING"
    assert restarted.json()["tasks"][0]["state"] == "RESTARTING"
    worker.wait_for_state("src")
    only_failed = worker.post("/connectors/src/restart?includeTasks=true&onlyFailed=true")
    assert only_failed.status_code == 202
    assert only_failed.json()["connector"]["state"] == "RUNNING"
    assert worker.post("/connectors/src/tasks/0/restart").status_code == 204
    worker.wait_for_state("src")
    assert worker.post("/connectors/src/tasks/3/restart").status_code == 404

    assert worker.put("/connectors/src/stop").status_code == 204
    status = worker.wait_for_state("src", "STOPPED", tasks=0)
    assert status["tasks"] == []
    assert worker.get("/connectors/src").json()["tasks"] == []
    assert worker.put("/connectors/src/resume").status_code == 202
    worker.wait_for_state("src")


def test_source_offsets_require_stopped_and_can_be_patched(worker, tmp_path, topic_name):
    assert worker.put("/connectors/src/config", json=file_source(tmp_path, topic_name)).status_code == 201
    source = str(tmp_path / "source.txt")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not worker.get("/connectors/src/offsets").json()["offsets"]:
        time.sleep(0.1)
    assert worker.get("/connectors/src/offsets").json() == {
        "offsets": [{"partition": {"filename": source}, "offset": {"position": 8}}]}

    refused = worker.patch("/connectors/src/offsets", json={"offsets": [{"partition": {"filename": source}, "offset": {"position": 4}}]})
    assert refused.status_code == 400 and "STOPPED" in refused.json()["message"]
    assert worker.delete("/connectors/src/offsets").status_code == 400

    assert worker.put("/connectors/src/stop").status_code == 204
    assert worker.patch("/connectors/src/offsets", json={}).status_code == 400
    altered = worker.patch("/connectors/src/offsets", json={"offsets": [{"partition": {"filename": source}, "offset": {"position": 4}}]})
    assert altered.status_code == 200, altered.text
    assert altered.json()["message"].startswith("The Connect framework-managed offsets for this connector have been altered successfully.")
    assert worker.get("/connectors/src/offsets").json()["offsets"][0]["offset"] == {"position": 4}
    reset = worker.delete("/connectors/src/offsets")
    assert reset.status_code == 200 and "reset successfully" in reset.json()["message"]
    assert worker.get("/connectors/src/offsets").json() == {"offsets": []}


def test_sink_offsets_in_kafka_format(worker, broker, tmp_path, topic_name):
    broker.create_topic(topic_name, partitions=1)
    broker.produce(topic_name, [b'"a"', b'"b"', b'"c"'])
    sink = tmp_path / "sink.txt"
    config = {"connector.class": "FileStreamSink", "file": str(sink), "topics": topic_name,
              "value.converter.schemas.enable": "false"}
    assert worker.put("/connectors/snk/config", json=config).status_code == 201
    deadline = time.monotonic() + 40
    expected = {"offsets": [{"partition": {"kafka_topic": topic_name, "kafka_partition": 0}, "offset": {"kafka_offset": 3}}]}
    while time.monotonic() < deadline and worker.get("/connectors/snk/offsets").json() != expected:
        time.sleep(0.2)
    assert worker.get("/connectors/snk/offsets").json() == expected
    assert sink.read_text() == "a\nb\nc\n"
    assert worker.put("/connectors/snk/stop").status_code == 204
    altered = worker.patch("/connectors/snk/offsets", json={"offsets": [
        {"partition": {"kafka_topic": topic_name, "kafka_partition": 0}, "offset": {"kafka_offset": 1}}]})
    assert altered.status_code == 200, altered.text
    assert worker.get("/connectors/snk/offsets").json()["offsets"][0]["offset"] == {"kafka_offset": 1}
    bad = worker.patch("/connectors/snk/offsets", json={"offsets": [{"partition": {"topic": "x"}, "offset": None}]})
    assert bad.status_code == 400
    # Resuming replays from offset 1.
    assert worker.put("/connectors/snk/resume").status_code == 202
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and sink.read_text().count("\n") < 5:
        time.sleep(0.2)
    assert sink.read_text() == "a\nb\nc\nb\nc\n"


def test_topics_plugins_validate_and_loggers(worker, tmp_path, topic_name):
    assert worker.put("/connectors/src/config", json=file_source(tmp_path, topic_name)).status_code == 201
    assert worker.get("/connectors/src/topics").json() == {"error_code": 403, "message": "Topic tracking is disabled."}
    assert worker.put("/connectors/src/topics/reset").status_code == 403

    plugins = worker.get("/connector-plugins").json()
    classes = {p["class"]: p["type"] for p in plugins}
    assert classes["org.apache.kafka.connect.file.FileStreamSourceConnector"] == "source"
    assert classes["org.apache.kafka.connect.file.FileStreamSinkConnector"] == "sink"
    assert all(p["type"] in ("source", "sink") for p in plugins)
    everything = {(p["class"], p["type"]) for p in worker.get("/connector-plugins?connectorsOnly=false").json()}
    # A converter that is a HeaderConverter too is listed once per role, as Kafka lists it.
    for converter in ("org.apache.kafka.connect.json.JsonConverter", "org.apache.kafka.connect.storage.StringConverter"):
        assert {(converter, "converter"), (converter, "header_converter")} <= everything
    assert ("org.apache.kafka.connect.storage.SimpleHeaderConverter", "header_converter") in everything
    assert ("io.confluent.connect.json.JsonSchemaConverter", "header_converter") not in everything

    keys = {k["name"]: k for k in worker.get("/connector-plugins/FileStreamSource/config").json()}
    assert keys["topic"]["type"] == "STRING" and keys["batch.size"]["default_value"] == "2000"
    assert worker.get("/connector-plugins/NoSuchThing/config").status_code == 404

    validated = worker.put("/connector-plugins/FileStreamSink/config/validate",
                           json={"connector.class": "FileStreamSink", "name": "v", "file": "/tmp/x"})
    assert validated.status_code == 200
    result = validated.json()
    # Kafka puts the message on both keys.
    assert result["error_count"] == 2
    for key in ("topics", "topics.regex"):
        entry = next(c for c in result["configs"] if c["value"]["name"] == key)
        assert entry["value"]["errors"] == ["Must configure one of topics or topics.regex"]
    assert "Common" in result["groups"]
    mismatch = worker.put("/connector-plugins/FileStreamSink/config/validate",
                          json={"connector.class": "FileStreamSource", "name": "v"})
    assert mismatch.status_code == 400

    loggers = worker.get("/admin/loggers").json()
    assert "root" in loggers
    changed = worker.put("/admin/loggers/dbconnect.connectors", json={"level": "DEBUG"})
    assert changed.status_code == 200 and "dbconnect.connectors" in changed.json()
    assert worker.get("/admin/loggers/dbconnect.connectors").json()["level"] == "DEBUG"
    assert worker.put("/admin/loggers/dbconnect.connectors", json={"level": "LOUD"}).status_code == 404
    worker.put("/admin/loggers/dbconnect.connectors", json={"level": "INFO"})


def test_passwords_never_appear(worker, tmp_path, topic_name):
    config = {**file_source(tmp_path, topic_name), "connection.password": "s3cret!", "producer.override.sasl.jaas.config": 'x password="s3cret!"',
              "connection.url": "jdbc:postgresql://db:5432/app?user=u&password=s3cret!"}
    created = worker.put("/connectors/src/config", json=config)
    assert created.status_code == 201
    for path in ("/connectors/src", "/connectors/src/config", "/connectors/src/tasks", "/connectors?expand=info"):
        assert "s3cret!" not in worker.get(path).text, path
    # A config read back and PUT again keeps the real secret.
    round_trip = worker.get("/connectors/src/config").json()
    assert round_trip["connection.password"] == "[hidden]"
    assert worker.put("/connectors/src/config", json=round_trip).status_code == 200
    stored = worker.connect.herder.config_store.connector_config("src")
    assert stored["connection.password"] == "s3cret!"
    assert stored["connection.url"] == "jdbc:postgresql://db:5432/app?user=u&password=s3cret!"
    assert round_trip["connection.url"] == "jdbc:postgresql://db:5432/app?user=u&password=[hidden]"


def test_failed_task_keeps_worker_serving_and_restart_recovers(worker, tmp_path, topic_name):
    unreadable = tmp_path / "a-directory"
    unreadable.mkdir()
    config = {"connector.class": "FileStreamSource", "file": str(unreadable), "topic": topic_name}
    assert worker.put("/connectors/bad/config", json=config).status_code == 201
    failed = worker.wait_for_task_state("bad", 0, "FAILED")
    assert "Error while trying to open file" in failed["trace"] and str(unreadable) in failed["trace"]
    status = worker.get("/connectors/bad/status").json()
    assert status["connector"]["state"] == "RUNNING" and status["tasks"][0]["state"] == "FAILED"
    # The worker keeps serving other connectors.
    assert worker.put("/connectors/good/config", json=file_source(tmp_path, topic_name)).status_code == 201
    worker.wait_for_state("good")

    unreadable.rmdir()
    unreadable.write_text("recovered\n")
    restarted = worker.post("/connectors/bad/restart?includeTasks=true&onlyFailed=true")
    assert restarted.status_code == 202
    assert restarted.json()["tasks"][0]["state"] == "RESTARTING"
    worker.wait_for_state("bad")


def test_connector_that_fails_to_start_shows_failed(worker, topic_name):
    config = {"connector.class": "tests.integration.custom_plugins.FailingSourceConnector", "topic": topic_name}
    assert worker.put("/connectors/f/config", json=config).status_code == 201
    status = worker.get("/connectors/f/status").json()
    assert status["connector"]["state"] == "FAILED"
    assert "boom: this connector never starts" in status["connector"]["trace"]
    assert status["tasks"] == []


def test_initial_state_paused_and_stopped(worker, tmp_path, topic_name):
    paused = worker.post("/connectors", json={"name": "p", "config": file_source(tmp_path, topic_name), "initial_state": "PAUSED"})
    assert paused.status_code == 201
    worker.wait_for_state("p", "PAUSED")
    stopped = worker.post("/connectors", json={"name": "s", "config": file_source(tmp_path, topic_name), "initial_state": "STOPPED"})
    assert stopped.status_code == 201
    assert worker.get("/connectors/s/status").json()["connector"]["state"] == "STOPPED"
