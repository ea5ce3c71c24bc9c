"""JsonSchemaConverter and the registry client against the embedded registry and the real broker.

Interoperability is checked both ways with confluent-kafka's own serde: records we write decode
with ``JSONDeserializer``; records ``JSONSerializer`` writes convert into Connect Structs.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentClient
from confluent_kafka.schema_registry import topic_subject_name_strategy
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from dbconnect.api.data import (
    BOOLEAN_SCHEMA, BYTES_SCHEMA, FLOAT32_SCHEMA, FLOAT64_SCHEMA, INT8_SCHEMA, INT16_SCHEMA, INT32_SCHEMA,
    INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, Date, Decimal, SchemaBuilder, Struct, Time, Timestamp, Type,
)
from dbconnect.api.errors import ConnectError, DataError
from dbconnect.converters.jsonschema import JsonSchemaConverter
from dbconnect.registry.client import SchemaRegistryClient
from dbconnect.registry.errors import SchemaRegistryError, SchemaRegistryUnavailableError
from dbconnect.runtime.properties import parse_properties

pytestmark = pytest.mark.integration

CONVERTER = "io.confluent.connect.json.JsonSchemaConverter"


# -- helpers -----------------------------------------------------------------------------------------

def converter(registry_url: str, is_key: bool = False, **settings: Any) -> JsonSchemaConverter:
    conv = JsonSchemaConverter()
    conv.configure({"schema.registry.url": registry_url, **settings}, is_key=is_key)
    return conv


@pytest.fixture
def registry(schema_registry) -> Iterator[SchemaRegistryClient]:
    client = SchemaRegistryClient(schema_registry.url)
    yield client
    client.close()


def confluent_deserializer(url: str, **conf: Any) -> JSONDeserializer:
    return JSONDeserializer(None, schema_registry_client=ConfluentClient({"url": url}), conf=conf)


def wait_for_lines(path: Path, count: int, timeout: float = 45.0) -> list[str]:
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return lines
        time.sleep(0.1)
    raise AssertionError(f"expected {count} lines in {path}, got {len(lines)}: {lines}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeRegistry:
    """A scripted HTTP server: records requests, answers with the queued (status, body) pairs."""

    def __init__(self, answers: list[tuple[int, Any]]):
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                fake.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                      "body": self.rfile.read(length) if length else b""})
                status, body = fake.answers.pop(0) if fake.answers else (500, {"error_code": 50001, "message": "x"})
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_registry() -> Iterator[Any]:
    made: list[FakeRegistry] = []

    def make(*answers: tuple[int, Any]) -> FakeRegistry:
        made.append(FakeRegistry(list(answers)))
        return made[-1]

    yield make
    for fake in made:
        fake.close()


EVERYTHING = (
    SchemaBuilder.struct().name("com.example.Everything")
    .field("i8", INT8_SCHEMA).field("i16", INT16_SCHEMA).field("i32", INT32_SCHEMA).field("i64", INT64_SCHEMA)
    .field("f32", FLOAT32_SCHEMA).field("f64", FLOAT64_SCHEMA).field("flag", BOOLEAN_SCHEMA)
    .field("text", STRING_SCHEMA).field("raw", BYTES_SCHEMA).field("amount", Decimal.schema(2))
    .field("day", Date.SCHEMA).field("at", Time.SCHEMA).field("when", Timestamp.SCHEMA)
    .field("maybe", OPTIONAL_STRING_SCHEMA).field("list", SchemaBuilder.array(INT32_SCHEMA).build())
    .field("smap", SchemaBuilder.map(STRING_SCHEMA, INT64_SCHEMA).build())
    .field("imap", SchemaBuilder.map(INT32_SCHEMA, STRING_SCHEMA).build())
    .field("inner", SchemaBuilder.struct().name("Inner").field("x", STRING_SCHEMA).optional().build())
    .build()
)


def everything_value() -> Struct:
    inner = Struct(EVERYTHING.field("inner").schema).put("x", "deep")
    return (Struct(EVERYTHING).put("i8", 8).put("i16", -16).put("i32", 32).put("i64", 2**62).put("f32", 0.5)
            .put("f64", 3.25).put("flag", False).put("text", "ünïcode").put("raw", b"\x01\x02")
            .put("amount", decimal.Decimal("4.82")).put("day", dt.date(2023, 12, 31)).put("at", dt.time(1, 2, 3))
            .put("when", dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=dt.timezone.utc)).put("list", [1, 2])
            .put("smap", {"k": 1}).put("imap", {5: "five"}).put("inner", inner))


EVERYTHING_JSON = {
    "i8": 8, "i16": -16, "i32": 32, "i64": 2**62, "f32": 0.5, "f64": 3.25, "flag": False, "text": "ünïcode",
    "raw": "AQI=", "amount": 4.82, "day": 19722, "at": 3723000, "when": 1704164645006, "maybe": None,
    "list": [1, 2], "smap": {"k": 1}, "imap": [{"key": 5, "value": "five"}], "inner": {"x": "deep"},
}


# -- (a) records we write, read by confluent-kafka ------------------------------------------------------

def test_file_source_over_rest_writes_records_confluent_reads(start_worker, broker, schema_registry, registry,
                                                               tmp_path, topic_name):
    broker.create_topic(topic_name)
    source = tmp_path / "in.txt"
    source.write_text("first line\nsecond ünïcode line\nthird\n")
    worker = start_worker()
    config = {"connector.class": "FileStreamSource", "tasks.max": "1", "file": str(source), "topic": topic_name,
              "value.converter": CONVERTER, "value.converter.schema.registry.url": schema_registry.url}
    response = worker.put("/connectors/js-source/config", json=config)
    assert response.status_code == 201, response.text
    messages = broker.consume(topic_name, 3)
    deserialize = confluent_deserializer(schema_registry.url)
    ctx = SerializationContext(topic_name, MessageField.VALUE)
    assert [deserialize(m.value(), ctx) for m in messages] == ["first line", "second ünïcode line", "third"]
    latest = registry.get_latest_version(f"{topic_name}-value")
    assert orjson.loads(latest.schema) == {"type": "string"} and latest.schema_type == "JSON"
    assert all(m.value()[:5] == b"\x00" + latest.id.to_bytes(4, "big") for m in messages)
    assert messages[0].value()[5:] == b'"first line"'
    worker.wait_for_state("js-source")


def test_struct_with_every_type_decodes_with_confluent(schema_registry, topic_name):
    default = converter(schema_registry.url)  # decimal.format=NUMERIC: exact JSON numbers
    data = default.from_connect_data(topic_name, EVERYTHING, everything_value())
    ctx = SerializationContext(topic_name, MessageField.VALUE)
    assert confluent_deserializer(schema_registry.url)(data, ctx) == EVERYTHING_JSON
    # Our own reader gets the same Struct back (the top level now carries the registry version).
    back = default.to_connect_data(topic_name, data)
    assert back.value.values == everything_value().values
    assert back.schema.version == 1 and back.schema.field("amount").schema == Decimal.schema(2)
    default.close()

    # decimal.format=BASE64 writes Confluent's bytes (base64 strings) and registers them as
    # strings, as Confluent's converter now does: a validating reader accepts them too.
    base64 = converter(schema_registry.url, **{"decimal.format": "BASE64"})
    data = base64.from_connect_data(topic_name + "-b64", EVERYTHING, everything_value())
    ctx = SerializationContext(topic_name + "-b64", MessageField.VALUE)
    assert confluent_deserializer(schema_registry.url)(data, ctx) == {**EVERYTHING_JSON, "amount": "AeI="}
    assert base64.to_connect_data(topic_name + "-b64", data).value.values == everything_value().values
    base64.close()


# -- (b) records confluent-kafka writes, read by us ---------------------------------------------------------

FOREIGN_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#", "title": "com.example.Customer", "type": "object",
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "score": {"type": "number"},
        "vip": {"type": "boolean"}, "email": {"oneOf": [{"type": "null"}, {"type": "string"}]},
        "nickname": {"type": ["string", "null"]},
        "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "integer"}}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "prefs": {"$ref": "#/definitions/Prefs"},
    },
    "required": ["id", "name"],
    "definitions": {"Prefs": {"type": "object", "properties": {"theme": {"type": "string"}}}},
}


def test_records_confluent_writes_become_structs(broker, schema_registry, topic_name):
    serializer = JSONSerializer(json.dumps(FOREIGN_SCHEMA), ConfluentClient({"url": schema_registry.url}),
                                conf={"subject.name.strategy": topic_subject_name_strategy})
    ctx = SerializationContext(topic_name, MessageField.VALUE)
    records = [
        {"id": 1, "name": "Ann", "score": 9.5, "vip": True, "email": None, "nickname": "annie",
         "address": {"city": "Oslo", "zip": 150}, "tags": ["a", "b"], "prefs": {"theme": "dark"}},
        {"id": 2, "name": "Bob", "score": 7, "email": "bob@example.com"},
    ]
    broker.create_topic(topic_name)
    broker.produce(topic_name, [serializer(r, ctx) for r in records])
    conv = converter(schema_registry.url)
    first, second = (conv.to_connect_data(topic_name, m.value()) for m in broker.consume(topic_name, 2))
    schema = first.schema
    assert schema.name == "com.example.Customer" and schema.version == 1
    assert [(f.name, f.schema.type, f.schema.optional) for f in schema.fields] == [
        ("id", Type.INT64, False), ("name", Type.STRING, False), ("score", Type.FLOAT64, False),
        ("vip", Type.BOOLEAN, False), ("email", Type.STRING, True), ("nickname", Type.STRING, True),
        ("address", Type.STRUCT, False), ("tags", Type.ARRAY, False), ("prefs", Type.STRUCT, False)]
    assert first.value.to_dict() == records[0]
    assert second.schema is schema  # parsed once per schema id
    assert second.value.get("score") == 7.0 and isinstance(second.value.get("score"), float)
    assert second.value.get("address") is None and second.value.get("email") == "bob@example.com"
    conv.close()


def test_use_optional_for_nonrequired_and_validation_on_read(schema_registry, topic_name):
    serializer = JSONSerializer(json.dumps(FOREIGN_SCHEMA), ConfluentClient({"url": schema_registry.url}),
                                conf={"subject.name.strategy": topic_subject_name_strategy})
    data = serializer({"id": 3, "name": "Cy"}, SerializationContext(topic_name, MessageField.VALUE))
    conv = converter(schema_registry.url, **{"use.optional.for.nonrequired": "true", "json.fail.invalid.schema": "true"})
    schema = conv.to_connect_data(topic_name, data).schema
    assert [f.schema.optional for f in schema.fields][:4] == [False, False, True, True]
    bad = data[:5] + b'{"id":"not a number","name":"Cy"}'
    with pytest.raises(DataError, match="JSON does not match its schema at #/id: 'not a number' is not of type"):
        conv.to_connect_data(topic_name, bad)
    conv.close()


# -- serializer decision order ------------------------------------------------------------------------------

def test_decision_order_lookup_schema_id_and_latest(schema_registry, registry, topic_name):
    schema = SchemaBuilder.struct().name("V").field("a", STRING_SCHEMA).build()
    value = Struct(schema).put("a", "x")
    lookup = converter(schema_registry.url, **{"auto.register.schemas": "false"})
    with pytest.raises(DataError, match=f"Error retrieving JSON schema: subject {topic_name}-value: .*40401"):
        lookup.from_connect_data(topic_name, schema, value)
    schema_id = registry.register(f"{topic_name}-value", lookup.schema_text(schema))
    lookup._reset()
    assert lookup.from_connect_data(topic_name, schema, value)[:5] == b"\x00" + schema_id.to_bytes(4, "big")

    other_id = registry.register(f"{topic_name}-other", '{"type":"object","properties":{"a":{"type":"string"}}}')
    by_id = converter(schema_registry.url, **{"auto.register.schemas": "false", "use.schema.id": str(other_id)})
    assert by_id.from_connect_data(topic_name, schema, value)[:5] == b"\x00" + other_id.to_bytes(4, "big")

    registry.set_compatibility("NONE", f"{topic_name}-value")
    newer = registry.register(f"{topic_name}-value", '{"type":"object","properties":{"a":{"type":"string"},'
                                                      '"b":{"type":"integer"}}}')
    latest = converter(schema_registry.url, **{"auto.register.schemas": "false", "use.latest.version": "true"})
    assert latest.from_connect_data(topic_name, schema, value)[:5] == b"\x00" + newer.to_bytes(4, "big")
    for conv in (lookup, by_id, latest):
        conv.close()


def test_fail_invalid_schema_on_write(schema_registry, registry, topic_name):
    schema = SchemaBuilder.struct().field("amount", Decimal.schema(2)).build()
    value = Struct(schema).put("amount", decimal.Decimal("4.82"))
    strict = converter(schema_registry.url, **{"json.fail.invalid.schema": "true"})
    assert strict.from_connect_data(topic_name, schema, value)[5:] == b'{"amount":4.82}'
    strict.close()
    # A record that does not match the schema it is written with fails: base64 decimals under
    # the "number" schema an older writer registered (confluentinc/schema-registry#2442).
    registry.register(f"{topic_name}-old-value", '{"type":"object","properties":{"amount":{"type":"number",'
                      '"title":"org.apache.kafka.connect.data.Decimal","connect.type":"bytes",'
                      '"connect.parameters":{"scale":"2"}}}}')
    old = converter(schema_registry.url, **{"json.fail.invalid.schema": "true", "decimal.format": "BASE64",
                                            "auto.register.schemas": "false", "use.latest.version": "true",
                                            "latest.compatibility.strict": "false"})
    with pytest.raises(DataError, match="'AeI=' is not of type 'number'"):
        old.from_connect_data(f"{topic_name}-old", schema, value)
    old.close()


# -- (c) retries, failover, auth -----------------------------------------------------------------------------

def test_failover_from_a_dead_url_to_a_live_one(schema_registry, topic_name):
    dead = f"http://127.0.0.1:{free_port()}"
    client = SchemaRegistryClient(f"{dead},{schema_registry.url}", max_retries=0)
    schema_id = client.register(f"{topic_name}-value", '{"type":"string"}')
    assert client.get_schema(schema_id) == ('{"type":"string"}', "JSON")
    assert client._preferred == 1  # the live URL is tried first from now on
    client.close()


def test_5xx_is_retried_on_the_next_url(fake_registry, schema_registry, topic_name):
    broken = fake_registry((500, {"error_code": 50001, "message": "Error in the backend data store"}))
    client = SchemaRegistryClient([broken.url, schema_registry.url], max_retries=0)
    assert client.register(f"{topic_name}-value", '{"type":"integer"}') >= 1
    assert len(broken.requests) == 1
    client.close()


def test_unreachable_registry_fails_with_the_url_after_retries(topic_name):
    dead = f"http://127.0.0.1:{free_port()}"
    conv = converter(dead, **{"max.retries": "2", "retries.wait.ms": "10"})
    started = time.monotonic()
    with pytest.raises(SchemaRegistryUnavailableError) as info:
        conv.from_connect_data(topic_name, STRING_SCHEMA, "x")
    assert not isinstance(info.value, DataError) and isinstance(info.value, ConnectError)
    assert dead in str(info.value) and "after 3 attempt(s)" in str(info.value)
    assert time.monotonic() - started >= 0.03  # 10 ms, then 20 ms of backoff
    conv.close()


def test_unreachable_registry_fails_the_source_task(start_worker, tmp_path, topic_name):
    dead = f"http://127.0.0.1:{free_port()}"
    source = tmp_path / "in.txt"
    source.write_text("a\n")
    worker = start_worker()
    worker.connect.add_connector("dead-registry", {
        "name": "dead-registry", "connector.class": "FileStreamSource", "file": str(source), "topic": topic_name,
        "value.converter": CONVERTER, "value.converter.schema.registry.url": dead,
        "value.converter.max.retries": "1", "value.converter.retries.wait.ms": "10"})
    status = worker.wait_for_task_state("dead-registry", 0, "FAILED")
    assert dead in status["trace"] and "SchemaRegistryUnavailableError" in status["trace"]


def test_basic_auth_header_and_no_password_in_errors(fake_registry):
    fake = fake_registry((200, {"id": 7}), (200, {"id": 8}),
                         (401, {"error_code": 40101, "message": "Unauthorized"}))
    by_user_info = SchemaRegistryClient.from_config({
        "schema.registry.url": fake.url, "basic.auth.credentials.source": "USER_INFO",
        "basic.auth.user.info": "fred:s3cret"})
    assert by_user_info.register("s", '{"type":"string"}') == 7
    host = fake.url.split("//")[1]
    by_url = SchemaRegistryClient.from_config({"schema.registry.url": f"http://anna:pa55@{host}",
                                               "basic.auth.credentials.source": "URL"})
    assert by_url.register("s", '{"type":"integer"}') == 8
    headers = [r["headers"] for r in fake.requests]
    assert headers[0]["Authorization"] == "Basic ZnJlZDpzM2NyZXQ="  # fred:s3cret
    assert headers[1]["Authorization"] == "Basic YW5uYTpwYTU1"  # anna:pa55
    assert headers[0]["Content-Type"] == "application/vnd.schemaregistry.v1+json"
    assert orjson.loads(fake.requests[0]["body"]) == {"schema": '{"type":"string"}', "schemaType": "JSON"}
    assert fake.requests[0]["path"] == "/subjects/s/versions?normalize=false"
    with pytest.raises(SchemaRegistryError) as info:
        by_url.get_schema(1)
    assert (info.value.status_code, info.value.error_code) == (401, 40101)
    assert "pa55" not in str(info.value) and "anna" not in str(info.value)
    by_user_info.close()
    by_url.close()


# -- (d) subject name strategies --------------------------------------------------------------------------------

def test_subject_strategies_register_under_the_right_subjects(schema_registry, registry, topic_name):
    schema = SchemaBuilder.struct().name(f"com.example.R{topic_name[-8:]}").field("a", STRING_SCHEMA).build()
    value = Struct(schema).put("a", "x")
    record = converter(schema_registry.url, **{"value.subject.name.strategy": "RecordNameStrategy"})
    topic_record = converter(schema_registry.url, **{
        "value.subject.name.strategy": "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy"})
    key = converter(schema_registry.url, is_key=True)
    record.from_connect_data(topic_name, schema, value)
    topic_record.from_connect_data(topic_name, schema, value)
    key.from_connect_data(topic_name, STRING_SCHEMA, "k")
    subjects = set(registry.get_subjects())
    assert {schema.name, f"{topic_name}-{schema.name}", f"{topic_name}-key"} <= subjects
    assert f"{topic_name}-value" not in subjects
    assert record.to_connect_data(topic_name, record.from_connect_data(topic_name, schema, value)).value.get("a") == "x"
    for conv in (record, topic_record, key):
        conv.close()


# -- (e) per-connector converters: properties file and REST -------------------------------------------------

def test_per_connector_converters_from_properties_and_rest(start_worker, broker, schema_registry, tmp_path, topic_name):
    broker.create_topic(topic_name)
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("one\ntwo\n")
    worker = start_worker()  # worker-level converters stay JsonConverter
    properties = parse_properties(
        "name=props-source\n"
        "connector.class=FileStreamSource\n"
        f"file={source}\n"
        f"topic={topic_name}\n"
        f"value.converter={CONVERTER}\n"
        f"value.converter.schema.registry.url={schema_registry.url}\n"
    )
    worker.connect.add_connector("props-source", properties)
    response = worker.put("/connectors/rest-sink/config", json={
        "connector.class": "FileStreamSink", "file": str(sink), "topics": topic_name,
        "value.converter": "JsonSchemaConverter", "value.converter.schema.registry.url": schema_registry.url})
    assert response.status_code == 201, response.text
    assert wait_for_lines(sink, 2) == ["one", "two"]
    config = worker.get("/connectors/rest-sink/config").json()
    assert config["value.converter"] == "JsonSchemaConverter"


# -- (f) not our wire format -------------------------------------------------------------------------------------

def test_unknown_magic_byte_fails_the_sink_task(start_worker, broker, schema_registry, tmp_path, topic_name):
    broker.create_topic(topic_name)
    broker.produce(topic_name, [b'{"plain":"json"}'])
    worker = start_worker()
    worker.connect.add_connector("magic-sink", {
        "name": "magic-sink", "connector.class": "FileStreamSink", "file": str(tmp_path / "out.txt"),
        "topics": topic_name, "value.converter": CONVERTER,
        "value.converter.schema.registry.url": schema_registry.url})
    status = worker.wait_for_task_state("magic-sink", 0, "FAILED", timeout=60)
    assert "Unknown magic byte!" in status["trace"]


def test_unknown_schema_id_names_the_id(schema_registry, topic_name):
    conv = converter(schema_registry.url)
    with pytest.raises(DataError, match="Error retrieving JSON schema for id 987654: .*40403"):
        conv.to_connect_data(topic_name, b"\x00" + (987654).to_bytes(4, "big") + b"{}")
    conv.close()


def test_unknown_magic_byte_goes_to_the_dead_letter_queue(start_worker, broker, schema_registry, tmp_path, topic_name):
    broker.create_topic(topic_name)
    dlq = topic_name + "-dlq"
    broker.create_topic(dlq)
    good = converter(schema_registry.url).from_connect_data(topic_name, STRING_SCHEMA, "framed")
    broker.produce(topic_name, [b'{"plain":"json"}', good])
    sink = tmp_path / "out.txt"
    worker = start_worker()
    worker.connect.add_connector("magic-dlq", {
        "name": "magic-dlq", "connector.class": "FileStreamSink", "file": str(sink), "topics": topic_name,
        "value.converter": CONVERTER, "value.converter.schema.registry.url": schema_registry.url,
        "errors.tolerance": "all", "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.context.headers.enable": "true"})
    [dead] = broker.consume(dlq, 1, timeout=60)
    assert dead.value() == b'{"plain":"json"}'
    headers = {k: v.decode() for k, v in dead.headers()}
    assert headers["__connect.errors.exception.message"].endswith("Unknown magic byte!")
    assert headers["__connect.errors.stage"] == "VALUE_CONVERTER"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (sink.exists() and sink.read_text()):
        time.sleep(0.1)
    assert sink.read_text() == "framed\n"
