"""smt-a's transforms in a real worker, configured over REST as Kafka's docs write them: the
FileStreamSource example of Kafka's documentation (HoistField then InsertField), a sink chain that
writes Kafka coordinates and flattened fields into PostgreSQL, and bad settings of each transform
refused by validate and create under the alias's key."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from dbconnect.api.data import SchemaBuilder, Struct
from dbconnect.converters.json import JsonConverter

from .jdbc_helpers import Db, wait_until

pytestmark = pytest.mark.integration

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
ROOT = Path(__file__).resolve().parents[2]


def docs_example(heading: str) -> dict:
    """The connector config under ``## heading`` in docs/reference/transforms.md, as it is written there."""
    text = (ROOT / "docs" / "reference" / "transforms.md").read_text()
    section = text[text.index(f"\n## {heading}\n"):]
    start = section.index("```json\n") + len("```json\n")
    return json.loads(section[start:section.index("```", start)])


def test_kafkas_documented_file_source_example(start_worker, broker, tmp_path, topic_name):
    # Kafka's docs: "transforms=MakeMap, InsertSource" on connect-file-source; each line becomes
    # {"line": …, "data_source": "test-file-source"}. POSTed as the reference page writes it.
    body = docs_example("HoistField")
    source = tmp_path / "test.txt"
    source.write_text("foo\nbar\n")
    body["config"].update({"file": str(source), "topic": topic_name})
    broker.create_topic(topic_name, partitions=1)
    worker = start_worker()
    response = worker.post("/connectors", json=body)
    assert response.status_code == 201, response.text
    worker.wait_for_state("local-file-source")
    messages = broker.consume(topic_name, 2, timeout=30)
    values = [orjson.loads(m.value()) for m in messages]
    assert [v["payload"] for v in values] == [{"line": "foo", "data_source": "test-file-source"},
                                             {"line": "bar", "data_source": "test-file-source"}]
    assert values[0]["schema"] == {"type": "struct", "optional": False, "fields": [
        {"field": "line", "type": "string", "optional": False},
        {"field": "data_source", "type": "string", "optional": True}]}


def test_a_sink_chain_writes_kafka_coordinates_and_flattened_fields(start_worker, broker, postgres, topic_name):
    db = Db("postgresql", postgres)
    schema = (SchemaBuilder.struct().name("Order").field("id", SchemaBuilder.int64())
              .field("customer", SchemaBuilder.struct().optional().field("name", SchemaBuilder.string())
                     .field("email", SchemaBuilder.string().optional()))
              .field("quantity", SchemaBuilder.string()).build())
    writer = JsonConverter()
    writer.configure({"schemas.enable": "true"}, is_key=False)
    broker.create_topic(topic_name, partitions=1)
    values = []
    for i, customer in ((1, ("Ada", "ada@example.com")), (2, None)):
        value = Struct(schema).put("id", i).put("quantity", str(10 * i))
        if customer:
            value.put("customer", Struct(schema.field("customer").schema).put("name", customer[0])
                      .put("email", customer[1]))
        values.append(writer.from_connect_data(topic_name, schema, value))
    broker.produce(topic_name, values)
    config = {
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": topic_name,
        "connection.url": postgres.jdbc_url(db.name), "connection.user": postgres.user,
        "connection.password": postgres.password, "auto.create": "true", "table.name.format": "orders",
        "transforms": "flatten,cast,mask,coordinates",
        "transforms.flatten.type": "org.apache.kafka.connect.transforms.Flatten$Value",
        "transforms.flatten.delimiter": "_",
        "transforms.cast.type": "org.apache.kafka.connect.transforms.Cast$Value",
        "transforms.cast.spec": "quantity:int32",
        "transforms.mask.type": "org.apache.kafka.connect.transforms.MaskField$Value",
        "transforms.mask.fields": "customer_email",
        "transforms.coordinates.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.coordinates.topic.field": "kafka_topic!",
        "transforms.coordinates.offset.field": "kafka_offset!",
    }
    worker = start_worker()
    response = worker.put("/connectors/orders-sink/config", json=config)
    assert response.status_code == 201, response.text
    worker.wait_for_state("orders-sink")
    wait_until(lambda: db.execute("SELECT to_regclass('orders')")[0][0] is not None
               and db.execute("SELECT count(*) FROM orders")[0][0] == 2, timeout=60, what="two rows in orders")
    assert db.execute("SELECT id, customer_name, customer_email, quantity, kafka_topic, kafka_offset "
                      "FROM orders ORDER BY id") == [(1, "Ada", "", 10, topic_name, 0),
                                                     (2, None, None, 20, topic_name, 1)]


BAD = {
    "Cast spec with an unknown type": (
        {"transforms": "castTypes", "transforms.castTypes.type": "org.apache.kafka.connect.transforms.Cast$Value",
         "transforms.castTypes.spec": "a:bogus"}, "transforms.castTypes.spec",
        "Invalid value [a:bogus] for configuration transforms.castTypes.spec: Invalid type found in casting spec"),
    "Cast without spec": (
        {"transforms": "c", "transforms.c.type": "Cast$Key"}, "transforms.c.spec",
        'Missing required configuration "transforms.c.spec" which has no default value.'),
    "MaskField empty replacement": (
        {"transforms": "m", "transforms.m.type": "MaskField$Value", "transforms.m.fields": "a",
         "transforms.m.replacement": ""}, "transforms.m.replacement",
        "Invalid value  for configuration transforms.m.replacement: String must be non-empty"),
    "ReplaceField bad rename": (
        {"transforms": "r", "transforms.r.type": "ReplaceField$Value", "transforms.r.renames": "a:b:c"},
        "transforms.r.renames", "Invalid value [a:b:c] for configuration transforms.r.renames: Invalid rename mapping"),
    "SetSchemaMetadata version not a number": (
        {"transforms": "s", "transforms.s.type": "SetSchemaMetadata$Value", "transforms.s.schema.version": "two"},
        "transforms.s.schema.version",
        "Invalid value two for configuration transforms.s.schema.version: Not a number of type INT"),
    "InsertField static field without value": (
        {"transforms": "i", "transforms.i.type": "InsertField$Value", "transforms.i.static.field": "origin"},
        "transforms.i.static.value",
        "Invalid value null for configuration transforms.i.static.value: No value specified for static field: origin"),
    "InsertField without any field": (
        {"transforms": "i", "transforms.i.type": "InsertField$Value"}, "transforms.i.type",
        "No field insertion configured"),
    "SetSchemaMetadata without name or version": (
        {"transforms": "s", "transforms.s.type": "SetSchemaMetadata$Key"}, "transforms.s.type",
        "Neither schema name nor version configured"),
    "HoistField without field": (
        {"transforms": "h", "transforms.h.type": "HoistField$Key"}, "transforms.h.field",
        'Missing required configuration "transforms.h.field" which has no default value.'),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_settings_from_validate_and_create(case, worker, tmp_path, topic_name):
    settings, key, message = BAD[case]
    config = {"connector.class": FILE_SOURCE, "file": str(tmp_path / "in.txt"), "topic": topic_name, **settings}
    response = worker.put(f"/connector-plugins/{FILE_SOURCE}/config/validate", json={"name": "bad", **config})
    assert response.status_code == 200, response.text
    body = response.json()
    errors = {c["value"]["name"]: c["value"]["errors"] for c in body["configs"] if c["value"]["errors"]}
    assert body["error_count"] == 1 and list(errors) == [key] and errors[key][0].startswith(message), errors
    response = worker.put("/connectors/bad/config", json=config)
    assert response.status_code == 400 and message in response.json()["message"], response.text
    assert worker.get("/connectors/bad").status_code == 404


SMT_A = [f"{name}${side}" for name in ("Cast", "Flatten", "HoistField", "InsertField", "MaskField", "ReplaceField",
                                        "SetSchemaMetadata") for side in ("Key", "Value")]


def test_the_worker_lists_and_describes_them(worker):
    listed = {p["class"]: p for p in worker.get("/connector-plugins?connectorsOnly=false").json()}
    for name in SMT_A:
        plugin = listed[f"org.apache.kafka.connect.transforms.{name}"]
        assert plugin["type"] == "transformation" and plugin["version"], plugin
    keys = {k["name"]: k for k in worker.get("/connector-plugins/org.apache.kafka.connect.transforms.Cast$Value/config")
            .json()}
    assert list(keys) == ["spec", "replace.null.with.default"]
    assert keys["spec"]["required"] is True and keys["spec"]["type"] == "LIST"
    assert keys["replace.null.with.default"]["default_value"] == "true"
    keys = {k["name"]: k for k in worker.get("/connector-plugins/InsertField$Value/config").json()}
    assert "offset.field" in keys and keys["topic.field"]["default_value"] is None
