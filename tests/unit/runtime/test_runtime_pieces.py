"""Pure logic of the runtime: properties files, offset tracking, stores, client settings, plugins."""

from __future__ import annotations

import json

import orjson
import pytest

from dbconnect.api.errors import BadRequestError, ConfigError, ConnectError
from dbconnect.runtime.kafka_clients import translate
from dbconnect.runtime.plugins import Plugins
from dbconnect.runtime.properties import load_connector_file, parse_properties
from dbconnect.runtime.stores.offsets import (
    ConnectorOffsetReader, FileOffsetBackingStore, MemoryOffsetBackingStore, encode_offset, offset_key,
)
from dbconnect.runtime.submitted_records import SubmittedRecords


def test_properties_syntax():
    text = "# comment\n! also\nname=local-file-source # 커넥터에서 식별하는 이름\na = b\nc:d\ne f\nlong=x\\\n   y\nurl=jdbc:x?a=b#frag\nesc=tab\\tand\\u0041\nempty=\n"
    assert parse_properties(text) == {
        "name": "local-file-source", "a": "b", "c": "d", "e": "f", "long": "xy",
        "url": "jdbc:x?a=b#frag", "esc": "tab\tandA", "empty": "",
    }


def test_connector_files(tmp_path):
    body = tmp_path / "post.json"
    body.write_text(json.dumps({"name": "n1", "config": {"connector.class": "FileStreamSink", "tasks.max": 1, "x": True}, "initial_state": "PAUSED"}))
    assert load_connector_file(body) == ("n1", {"connector.class": "FileStreamSink", "tasks.max": "1", "x": "true", "name": "n1"}, "PAUSED")
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"name": "n2", "connector.class": "FileStreamSink"}))
    assert load_connector_file(flat)[0] == "n2"
    props = tmp_path / "c.properties"
    props.write_text("name=n3\nconnector.class=FileStreamSource\n")
    assert load_connector_file(props)[1]["connector.class"] == "FileStreamSource"
    nameless = tmp_path / "nameless.properties"
    nameless.write_text("connector.class=FileStreamSource\n")
    with pytest.raises(ConfigError, match="has no name"):
        load_connector_file(nameless)
    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps({"name": "n", "config": {"a": {"b": 1}}}))
    with pytest.raises(ConfigError, match="must be a string"):
        load_connector_file(nested)


def test_submitted_records_commit_only_fully_delivered_leading_batches():
    submitted = SubmittedRecords()
    p1, p2 = {"f": "a"}, {"f": "b"}
    first = submitted.new_batch()
    first.add(p1, {"pos": 1})
    first.add(p1, {"pos": 2})
    first.add(None, None)  # a record without a source partition still has to be delivered
    first.closed = True
    second = submitted.new_batch()
    second.add(p2, {"pos": 10})
    second.add(p1, {"pos": 3}, in_flight=False)  # filtered or tolerated: nothing to wait for
    second.closed = True
    second.ack()
    # The first batch is still in flight, so nothing after it may be committed either.
    assert submitted.committable() == {}
    first.ack()
    first.ack()
    assert submitted.committable() == {} and submitted.in_flight == 1
    first.ack()
    committed = submitted.committable()
    assert sorted(committed.values(), key=str) == sorted([(p1, {"pos": 3}), (p2, {"pos": 10})], key=str)
    assert submitted.committable() == {} and submitted.in_flight == 0


def test_an_open_batch_is_never_committed():
    submitted = SubmittedRecords()
    batch = submitted.new_batch()
    batch.add({"f": "a"}, {"pos": 1}, in_flight=False)
    assert submitted.committable() == {}
    batch.closed = True
    assert list(submitted.committable().values()) == [({"f": "a"}, {"pos": 1})]


def test_file_offset_store_round_trip_and_atomicity(tmp_path):
    path = tmp_path / "offsets.json"
    store = FileOffsetBackingStore(path)
    store.start()
    key = offset_key("src", {"filename": "/x", "a": 1})
    store.set({key: encode_offset({"position": 42})})
    assert not list(tmp_path.glob("*.tmp"))
    reopened = FileOffsetBackingStore(path)
    reopened.start()
    # Key order inside the partition map does not matter.
    assert ConnectorOffsetReader(reopened, "src").offset({"a": 1, "filename": "/x"}) == {"position": 42}
    assert ConnectorOffsetReader(reopened, "other").offset({"filename": "/x", "a": 1}) is None
    assert reopened.connector_offsets("src") == [{"partition": {"a": 1, "filename": "/x"}, "offset": {"position": 42}}]
    assert reopened.delete_connector("src") == 1
    assert orjson.loads(path.read_bytes())["offsets"] == []


def test_corrupt_offsets_file_is_an_error(tmp_path):
    path = tmp_path / "offsets.json"
    path.write_text("{not json")
    with pytest.raises(ConnectError, match="corrupt"):
        FileOffsetBackingStore(path).start()


def test_memory_offset_store_tombstones():
    store = MemoryOffsetBackingStore()
    key = offset_key("c", {"p": 1})
    store.set({key: b'{"o":1}'})
    store.set({key: None})
    assert store.get([key]) == {key: None}


def test_java_client_settings_are_translated():
    out = translate({
        "buffer.memory": "33554432", "key.serializer": "x", "linger.ms": "5",
        "sasl.jaas.config": 'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";',
        "sasl.mechanism": "PLAIN",
        "partition.assignment.strategy": "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        "max.poll.records": "10",
    })
    assert out == {
        "queue.buffering.max.kbytes": 32768, "linger.ms": "5", "sasl.username": "u", "sasl.password": "p",
        "sasl.mechanisms": "PLAIN", "partition.assignment.strategy": "cooperative-sticky",
    }


def test_plugin_aliases_and_paths():
    plugins = Plugins(load_entry_points=False)
    names = ["FileStreamSource", "FileStreamSourceConnector", "org.apache.kafka.connect.file.FileStreamSourceConnector",
             "dbconnect.connectors.file.FileStreamSourceConnector", "dbconnect.connectors.file:FileStreamSourceConnector"]
    assert len({plugins.find(n).cls for n in names}) == 1
    assert plugins.find("org.apache.kafka.connect.json.JsonConverter").type == "converter"
    with pytest.raises(BadRequestError, match="com.example.Missing"):
        plugins.connector_desc("com.example.Missing")
    with pytest.raises(BadRequestError):
        plugins.connector_desc("JsonConverter")  # a converter is not a connector
    listed = plugins.connector_plugins()
    import dbconnect

    assert {"class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "type": "sink", "version": dbconnect.__version__} in listed
    assert all(p["type"] in ("source", "sink") for p in listed)
    assert any(p["type"] == "converter" for p in plugins.connector_plugins(connectors_only=False))


def test_connect_environment_variables_become_worker_properties():
    from dbconnect.runtime.properties import properties_from_env

    env = {
        "CONNECT_BOOTSTRAP_SERVERS": "broker:29092",
        "CONNECT_REST_ADVERTISED_HOST_NAME": "connect",
        "CONNECT_VALUE_CONVERTER_SCHEMA_REGISTRY_URL": "http://schema-registry:8081",
        "CONNECT_CONFIG_STORAGE_REPLICATION_FACTOR": "1",
        "CONNECT_PRODUCER_CLIENT__ID": "x",
        "CONNECT_SOME___DASHED": "y",
        "CONNECT_LOG4J_ROOT_LOGLEVEL": "INFO",
        "PATH": "/usr/bin",
    }
    assert properties_from_env(env) == {
        "bootstrap.servers": "broker:29092",
        "rest.advertised.host.name": "connect",
        "value.converter.schema.registry.url": "http://schema-registry:8081",
        "config.storage.replication.factor": "1",
        "producer.client_id": "x",
        "some-dashed": "y",
    }


def test_error_handler_never_tolerates_retriable_errors():
    from dbconnect.api.errors import DataError, RetriableError
    from dbconnect.runtime.errors import ErrorHandler, Stage, ToleranceExceeded

    handler = ErrorHandler("c", 0, {"errors.tolerance": "all"})
    handler.handle(Stage.VALUE_CONVERTER, DataError("bad record"))  # tolerated: the record is bad
    with pytest.raises(ToleranceExceeded):
        handler.handle(Stage.VALUE_CONVERTER, RetriableError("registry unreachable"))
    strict = ErrorHandler("c", 0, {})
    with pytest.raises(ToleranceExceeded, match="Tolerance exceeded in error handler"):
        strict.handle(Stage.VALUE_CONVERTER, DataError("bad record"))
