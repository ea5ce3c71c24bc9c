"""``/openapi.json`` tells the truth: every route documents its answers with a schema, and the bodies a
real worker sends (errors included) validate against the documented schema for their status code."""

from __future__ import annotations

import time

from tests.rest_conformance import OpenApiConformance


def file_source(tmp_path, topic, **extra):
    path = tmp_path / "source.txt"
    if not path.exists():
        path.write_text("one\ntwo\n")
    return {"connector.class": "FileStreamSource", "file": str(path), "topic": topic, **extra}


def test_every_route_documents_each_answer_with_a_schema(worker):
    api = OpenApiConformance(worker)
    assert len(api.operations()) >= 28
    for method, path in api.operations():
        responses = api.spec["paths"][path][method]["responses"]
        where = f"{method.upper()} {path}"
        assert any(code.startswith("2") for code in responses), f"{where}: no success response"
        for code, response in responses.items():
            content = response.get("content")
            if code in ("200", "201") or not code.startswith("2"):
                assert content is not None, f"{where} {code}: no body documented"
            if content is not None:
                # GET /metrics answers Prometheus' text format; everything else JSON.
                media = "text/plain" if (method, path, code) == ("get", "/metrics", "200") else "application/json"
                assert content[media]["schema"], f"{where} {code}: the empty schema"
        # Routing splits on '/': a path parameter can never hold one, and the document says so.
        for parameter in api.spec["paths"][path][method].get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"].get("pattern") == "^[^/]+$", f"{where}: {parameter}"
    schemas = api.components["schemas"]
    error = schemas["ErrorMessage"]
    assert set(error["required"]) == {"error_code", "message"} and error["additionalProperties"] is False
    # Kafka leaves "trace" out unless an instance failed: optional, never null.
    for entity in ("ConnectorState", "TaskState"):
        assert "trace" not in schemas[entity]["required"] and schemas[entity]["properties"]["trace"] == {
            "type": "string", "title": "Trace"}


def test_real_answers_match_the_documented_schemas(worker, tmp_path, topic_name):
    api = OpenApiConformance(worker)
    one = "/connectors/{connector}"
    src = {"connector": "src"}
    nope = {"connector": "nope"}

    api.call("get", "/")
    api.call("get", "/health")
    assert api.call("get", "/metrics/summary").json()["connectors"] == {}
    assert "kafka_connect_connect_worker_metrics_connector_count 0.0" in api.call("get", "/metrics").text
    assert api.call("get", "/connectors").json() == []

    # Create (201), exists (409), bad config (400), unknown connector (404).
    body = {"name": "src", "config": file_source(tmp_path, topic_name)}
    assert api.call("post", "/connectors", json=body).status_code == 201
    assert api.call("post", "/connectors", json=body).status_code == 409
    bad = {"name": "bad", "config": {"connector.class": "FileStreamSource", "tasks.max": "zero"}}
    assert api.call("post", "/connectors", json=bad).status_code == 400
    assert api.call("post", "/connectors", data=b"{not json", headers={"Content-Type": "application/json"}).status_code == 400
    assert api.call("get", one, nope).status_code == 404
    assert api.call("get", one + "/status", nope).status_code == 404
    worker.wait_for_state("src")

    assert api.call("get", "/connectors").json() == ["src"]
    assert set(api.call("get", "/connectors?expand=status&expand=info").json()["src"]) == {"status", "info"}
    assert set(api.call("get", "/connectors?expand=info").json()["src"]) == {"info"}
    api.call("get", one, src)
    api.call("get", one + "/config", src)
    assert api.call("get", one + "/config", nope).status_code == 404
    assert api.call("put", one + "/config", src, json=file_source(tmp_path, topic_name, **{"batch.size": 10})).status_code == 200
    assert api.call("put", one + "/config", {"connector": "other"}, json=file_source(tmp_path, topic_name)).status_code == 201
    assert api.call("put", one + "/config", {"connector": "x"}, json={**file_source(tmp_path, topic_name), "name": "y"}).status_code == 400
    assert api.call("patch", one + "/config", src, json={"batch.size": None}).status_code == 200
    assert api.call("patch", one + "/config", nope, json={"batch.size": "1"}).status_code == 404
    worker.wait_for_state("src")
    status = api.call("get", one + "/status", src).json()
    assert all("trace" not in instance for instance in [status["connector"], *status["tasks"]])

    # Tasks.
    tasks = "/connectors/{connector}/tasks"
    assert api.call("get", tasks, src).json()[0]["id"] == {"connector": "src", "task": 0}
    assert api.call("get", tasks, nope).status_code == 404
    assert api.call("get", tasks + "/{task}/status", {**src, "task": "0"}).status_code == 200
    assert api.call("get", tasks + "/{task}/status", {**src, "task": "7"}).status_code == 404
    assert api.call("post", tasks + "/{task}/restart", {**src, "task": "0"}).status_code == 204
    assert api.call("post", tasks + "/{task}/restart", {**src, "task": "5"}).status_code == 404
    worker.wait_for_state("src")

    # Topics (tracking is off), lifecycle.
    assert api.call("get", one + "/topics", src).status_code == 403
    assert api.call("put", one + "/topics/reset", src).status_code == 403
    assert api.call("post", one + "/restart", src).status_code == 204
    worker.wait_for_state("src")
    assert api.call("post", one + "/restart?includeTasks=true", src).status_code == 202
    assert api.call("post", one + "/restart", nope).status_code == 404
    worker.wait_for_state("src")
    assert api.call("put", one + "/pause", src).status_code == 202
    assert api.call("put", one + "/resume", src).status_code == 202
    assert api.call("put", one + "/pause", nope).status_code == 404

    # Offsets: only a STOPPED connector's can change.
    offsets = "/connectors/{connector}/offsets"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not worker.get("/connectors/src/offsets").json()["offsets"]:
        time.sleep(0.1)
    current = api.call("get", offsets, src).json()["offsets"]
    assert current
    assert api.call("patch", offsets, src, json={"offsets": current}).status_code == 400
    assert api.call("put", one + "/stop", src).status_code == 204
    assert api.call("post", one + "/restart", src).status_code == 400
    assert api.call("patch", offsets, src, json={"offsets": current}).status_code == 200
    assert api.call("delete", offsets, src).status_code == 200
    assert api.call("get", offsets, nope).status_code == 404

    # A connector that fails: its status carries the trace, as documented.
    failing = {"connector.class": "tests.integration.custom_plugins.FailingSourceConnector", "topic": topic_name}
    assert api.call("put", one + "/config", {"connector": "f"}, json=failing).status_code == 201
    assert "trace" in api.call("get", one + "/status", {"connector": "f"}).json()["connector"]

    # Plugins and validation.
    plugins = "/connector-plugins"
    api.call("get", plugins)
    api.call("get", plugins + "?connectorsOnly=false")
    api.call("get", plugins + "/{plugin}/config", {"plugin": "FileStreamSource"})
    api.call("get", plugins + "/{plugin}/config", {"plugin": "JsonConverter"})
    assert api.call("get", plugins + "/{plugin}/config", {"plugin": "NoSuchThing"}).status_code == 404
    validate = plugins + "/{plugin}/config/validate"
    invalid = api.call("put", validate, {"plugin": "FileStreamSink"}, json={"connector.class": "FileStreamSink", "x": "1"})
    assert invalid.status_code == 200 and invalid.json()["error_count"] > 0
    mismatch = {"connector.class": "FileStreamSource"}
    assert api.call("put", validate, {"plugin": "FileStreamSink"}, json=mismatch).status_code == 400

    # Loggers.
    loggers = "/admin/loggers"
    api.call("get", loggers)
    api.call("get", loggers + "/{logger}", {"logger": "root"})
    assert api.call("get", loggers + "/{logger}", {"logger": "no.such.logger"}).status_code == 404
    name = {"logger": "dbconnect.tests.openapi"}
    assert api.call("put", loggers + "/{logger}", name, json={"level": "DEBUG"}).status_code == 200
    assert api.call("put", loggers + "/{logger}?scope=cluster", name, json={"level": "INFO"}).status_code == 204
    assert api.call("put", loggers + "/{logger}", name, json={"level": "LOUD"}).status_code == 404
    assert api.call("put", loggers + "/{logger}", name, json={}).status_code == 400

    assert api.call("delete", one, src).status_code == 204
    assert api.call("delete", one, src).status_code == 404

    # Every documented operation was called, and answered with a success at least once, except the
    # topic-tracking pair: this worker has topic tracking off, so those always answer 403.
    operations = set(api.operations())
    assert {(m, p) for m, p, _ in api.seen} == operations
    succeeded = {(m, p) for m, p, code in api.seen if 200 <= code < 300}
    tracking = {("get", "/connectors/{connector}/topics"), ("put", "/connectors/{connector}/topics/reset")}
    assert succeeded == operations - tracking, operations - tracking - succeeded
    assert {400, 403, 404, 409} <= {code for _, _, code in api.seen}
