"""Bad transforms.*/predicates.* input through the REST API of a real worker: validate answers with the
error on the alias's key (Kafka's ConnectorConfig.enrich), create and update refuse with a 400 naming
the alias and the key; the plugin endpoints list and describe transformations; a third party's
transform found through an entry point runs in a task process."""

from __future__ import annotations

import importlib

import orjson
import pytest

from .jdbc_helpers import Db

pytestmark = pytest.mark.integration

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


def file_source(tmp_path, topic: str, **transforms: str) -> dict[str, str]:
    return {"connector.class": FILE_SOURCE, "file": str(tmp_path / "in.txt"), "topic": topic, **transforms}


BAD = {
    "unknown class": ({"transforms": "a", "transforms.a.type": "com.example.NoSuchTransform"}, "transforms.a.type",
                      "Invalid value com.example.NoSuchTransform for configuration transforms.a.type: "
                      "Class com.example.NoSuchTransform could not be found."),
    "missing required setting": ({"transforms": "extractInt",
                                  "transforms.extractInt.type": "org.apache.kafka.connect.transforms.ExtractField$Key"},
                                 "transforms.extractInt.field",
                                 'Missing required configuration "transforms.extractInt.field" which has no default value.'),
    "bad value": ({"transforms": "createKey", "transforms.createKey.type": "ValueToKey", "transforms.createKey.fields": ""},
                  "transforms.createKey.fields", "Invalid value [] for configuration transforms.createKey.fields: Empty list"),
    "regex that does not compile": ({"transforms": "route", "transforms.route.type": "RegexRouter",
                                     "transforms.route.regex": "(unclosed", "transforms.route.replacement": "x"},
                                    "transforms.route.regex",
                                    "Invalid value (unclosed for configuration transforms.route.regex: Invalid regex: "),
    "predicate regex that does not compile": (
        {"transforms": "k", "transforms.k.type": "ValueToKey", "transforms.k.fields": "id",
         "transforms.k.predicate": "old", "predicates": "old",
         "predicates.old.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
         "predicates.old.pattern": "[z"}, "predicates.old.pattern",
        "Invalid value [z for configuration predicates.old.pattern: Invalid regex: "),
    "bad nested path": ({"transforms": "x", "transforms.x.type": "ExtractField$Value", "transforms.x.field": "`a.b",
                         "transforms.x.field.syntax.version": "V2"}, "transforms.x.field",
                        "Invalid value `a.b for configuration transforms.x.field: Incomplete backtick pair in path: [`a.b]"),
    "predicate not defined": ({"transforms": "k", "transforms.k.type": "ValueToKey", "transforms.k.fields": "id",
                               "transforms.k.predicate": "isBig"}, "transforms.k.predicate",
                              "Invalid value isBig for configuration transforms.k.predicate: the predicate 'isBig' is "
                              "not defined"),
    "alias listed twice": ({"transforms": "k,k", "transforms.k.type": "ValueToKey", "transforms.k.fields": "id"},
                           "transforms", "Invalid value [k, k] for configuration transforms: Duplicate alias provided."),
    "a connector as type": ({"transforms": "c", "transforms.c.type": "io.confluent.connect.jdbc.JdbcSinkConnector"},
                            "transforms.c.type",
                            "Invalid value io.confluent.connect.jdbc.JdbcSinkConnector for configuration "
                            "transforms.c.type: Not a Transformation"),
}


@pytest.fixture(scope="module")
def shared_worker(broker, tmp_path_factory):
    from dbconnect.runtime.connect import StandaloneConnect

    from .conftest import WorkerHandle, worker_properties

    connect = StandaloneConnect(worker_properties(broker, tmp_path_factory.mktemp("w")))
    connect.start()
    handle = WorkerHandle(connect)
    yield handle
    handle.stop()


@pytest.mark.parametrize("case", list(BAD))
def test_bad_transform_config_from_validate_and_create(case, shared_worker, tmp_path, topic_name):
    worker = shared_worker
    settings, key, message = BAD[case]
    config = file_source(tmp_path, topic_name, **settings)
    response = worker.put(f"/connector-plugins/{FILE_SOURCE}/config/validate", json={"name": "bad", **config})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["error_count"] == 1, body
    errors = {c["value"]["name"]: c["value"]["errors"] for c in body["configs"] if c["value"]["errors"]}
    assert list(errors) == [key] and errors[key][0].startswith(message), errors

    for create in (lambda: worker.put("/connectors/bad/config", json=config),
                   lambda: worker.post("/connectors", json={"name": "bad", "config": config})):
        response = create()
        assert response.status_code == 400, response.text
        assert response.json()["error_code"] == 400
        assert message in response.json()["message"]
    assert worker.get("/connectors/bad").status_code == 404


def test_update_with_a_bad_transform_is_refused_and_the_old_config_kept(shared_worker, tmp_path, topic_name):
    worker = shared_worker
    good = file_source(tmp_path, topic_name, transforms="k", **{"transforms.k.type": "ValueToKey",
                                                                "transforms.k.fields": "id"})
    name = f"upd-{topic_name[-8:]}"
    assert worker.put(f"/connectors/{name}/config", json=good).status_code == 201
    bad = {**good, "transforms.k.type": "com.example.Gone"}
    response = worker.put(f"/connectors/{name}/config", json=bad)
    assert response.status_code == 400 and "transforms.k.type" in response.json()["message"]
    assert worker.get(f"/connectors/{name}/config").json()["transforms.k.type"] == "ValueToKey"
    assert worker.delete(f"/connectors/{name}").status_code == 204


def test_validate_shows_each_aliases_keys_in_its_group(shared_worker, tmp_path, topic_name):
    config = file_source(tmp_path, topic_name, transforms="createKey,extractInt", **{
        "transforms.createKey.type": "org.apache.kafka.connect.transforms.ValueToKey",
        "transforms.createKey.fields": "id",
        "transforms.extractInt.type": "org.apache.kafka.connect.transforms.ExtractField$Key",
        "transforms.extractInt.field": "id"})
    body = shared_worker.put("/connector-plugins/FileStreamSourceConnector/config/validate",
                             json={"name": "ok", **config}).json()
    assert body["error_count"] == 0, body
    assert {"Transforms: createKey", "Transforms: extractInt"} <= set(body["groups"])
    by_name = {c["definition"]["name"]: c for c in body["configs"] if c["definition"]}
    assert by_name["transforms.extractInt.field"]["definition"]["group"] == "Transforms: extractInt"
    assert by_name["transforms.extractInt.field"]["value"]["value"] == "id"
    assert by_name["transforms.extractInt.field.syntax.version"]["value"]["value"] == "V1"
    assert by_name["transforms.createKey.negate"]["definition"]["type"] == "BOOLEAN"


def test_plugins_list_and_describe_transformations(shared_worker):
    listed = shared_worker.get("/connector-plugins?connectorsOnly=false").json()
    transforms = {p["class"] for p in listed if p["type"] == "transformation"}
    assert {"org.apache.kafka.connect.transforms.ValueToKey", "org.apache.kafka.connect.transforms.ExtractField$Key",
            "org.apache.kafka.connect.transforms.ExtractField$Value"} <= transforms
    assert all(set(p) == {"class", "type", "version"} for p in listed)
    assert not any(p["type"] == "transformation" for p in shared_worker.get("/connector-plugins").json())
    keys = shared_worker.get("/connector-plugins/org.apache.kafka.connect.transforms.ExtractField$Key/config").json()
    assert [k["name"] for k in keys] == ["field", "replace.null.with.default", "field.syntax.version"]
    assert keys[0]["required"] is True and keys[2]["default_value"] == "V1"


@pytest.fixture
def entry_point_transform(tmp_path, monkeypatch):
    """tests/integration/transform_plugins.py published as a package would: entry points in dbconnect.plugins."""
    dist = tmp_path / "site" / "shout_transform-2.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: shout-transform\nVersion: 2.0\n")
    (dist / "entry_points.txt").write_text(
        "[dbconnect.plugins]\n"
        "com.acme.Shout = tests.integration.transform_plugins:Shout\n"
        "com.acme.TopicEndsWith = tests.integration.transform_plugins:TopicEndsWith\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    return "com.acme.Shout"


def test_a_transform_from_an_entry_point_runs_in_the_task_process(entry_point_transform, postgres, start_worker,
                                                                   broker, topic_name):
    db = Db("postgresql", postgres)
    db.execute("CREATE TABLE names (id serial PRIMARY KEY, name text NOT NULL)")
    db.execute("INSERT INTO names (name) VALUES ('ada'), ('bob')")
    worker = start_worker()  # task.isolation=process: the chain is built in the task's process
    listed = worker.get("/connector-plugins?connectorsOnly=false").json()
    # Listed under the entry point's name, as a third party's connector is.
    assert {"class": "com.acme.Shout", "type": "transformation"}.items() <= \
        next(p for p in listed if p["class"] == "com.acme.Shout").items()
    assert any(p["class"] == "com.acme.TopicEndsWith" and p["type"] == "predicate" for p in listed)
    config = db.config(mode="incrementing", **{"incrementing.column.name": "id", "topic.prefix": f"{topic_name}-",
                                               "transforms": "shout", "transforms.shout.type": entry_point_transform,
                                               "transforms.shout.field": "name"})
    assert worker.put("/connectors/ep/config", json=config).status_code == 201
    messages = broker.consume(f"{topic_name}-names", 2, timeout=60, partition=None)
    assert sorted(orjson.loads(m.value())["payload"]["name"] for m in messages) == ["ADA", "BOB"]


def test_a_failing_transform_fails_the_task_at_the_transformation_stage(postgres, start_worker, topic_name):
    db = Db("postgresql", postgres)
    db.execute("CREATE TABLE things (id serial PRIMARY KEY, name text)")
    db.execute("INSERT INTO things (name) VALUES ('x')")
    worker = start_worker()
    config = db.config(mode="incrementing", **{"incrementing.column.name": "id", "topic.prefix": f"{topic_name}-",
                                               "transforms": "pick", "transforms.pick.type": "ExtractField$Value",
                                               "transforms.pick.field": "missing"})
    assert worker.put("/connectors/failing/config", json=config).status_code == 201
    status = worker.wait_for_task_state("failing", 0, "FAILED", timeout=60)
    assert "TRANSFORMATION" in status["trace"] and "Unknown field: missing" in status["trace"]


def test_a_failing_sink_transform_goes_to_the_dlq_with_its_stage_and_class(postgres, start_worker, broker,
                                                                           topic_name):
    db = Db("postgresql", postgres)
    schema = {"type": "struct", "optional": False, "fields": [{"field": "id", "type": "int64", "optional": False}]}
    broker.create_topic(topic_name)
    broker.produce(topic_name, [orjson.dumps({"schema": schema, "payload": {"id": 1}})])
    dlq = f"dlq-{topic_name[-8:]}"
    worker = start_worker()
    config = {"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": topic_name,
              "connection.url": postgres.jdbc_url(db.name), "connection.user": postgres.user,
              "connection.password": postgres.password, "auto.create": "true",
              "transforms": "pick", "transforms.pick.type": "org.apache.kafka.connect.transforms.ExtractField$Value",
              "transforms.pick.field": "missing", "errors.tolerance": "all",
              "errors.deadletterqueue.topic.name": dlq, "errors.deadletterqueue.topic.replication.factor": "1",
              "errors.deadletterqueue.context.headers.enable": "true"}
    assert worker.put(f"/connectors/dlq-{topic_name[-8:]}/config", json=config).status_code == 201
    [message] = broker.consume(dlq, 1, timeout=60, partition=None)
    headers = {k: v.decode() for k, v in message.headers()}
    assert headers["__connect.errors.stage"] == "TRANSFORMATION"
    assert headers["__connect.errors.class.name"] == "dbconnect.transforms.extract_field.ExtractFieldValue"
    assert headers["__connect.errors.exception.message"] == "Unknown field: missing"
