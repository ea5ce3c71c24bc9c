"""Type fidelity end to end: every mapped column type → JsonConverter envelope (schema + payload)."""

from __future__ import annotations

import base64
import datetime as dt

import orjson
import pytest

from .jdbc_helpers import Db, decode_decimal

pytestmark = pytest.mark.integration

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _run(db: Db, start_worker, broker, topic_name, n: int = 2, **extra) -> tuple[dict, list[dict]]:
    topic = f"{topic_name}-alltypes"
    broker.create_topic(topic, partitions=1)
    worker = start_worker()
    config = db.config(mode="incrementing", **{"topic.prefix": f"{topic_name}-"}, **extra)
    response = worker.put("/connectors/src/config", json=config)
    assert response.status_code == 201, response.text
    messages = broker.consume(topic, n, timeout=60)
    envelopes = [orjson.loads(m.value()) for m in messages]
    fields = {f["field"]: f for f in envelopes[0]["schema"]["fields"]}
    assert envelopes[0]["schema"]["name"] == "alltypes"
    return fields, [e["payload"] for e in envelopes]


def _ms(*args, tz=dt.timezone.utc) -> int:
    return int((dt.datetime(*args, tzinfo=tz) - EPOCH).total_seconds() * 1000)


# Kafka's JsonConverter names FLOAT32/FLOAT64 "float"/"double"; accept the Connect names too.
_FLOATS = {"float32": "float", "float64": "double"}


def _check(fields: dict, expected: dict) -> None:
    for name, (ftype, logical, optional) in expected.items():
        f = fields[name]
        got = _FLOATS.get(f["type"], f["type"])
        assert (got, f.get("name"), f["optional"]) == (ftype, logical, optional), (name, f)


def test_postgresql_types(postgres, start_worker, broker, topic_name):
    db = Db("postgresql", postgres)
    db.execute("CREATE TYPE mood AS ENUM ('sad', 'happy')")
    db.execute("""CREATE TABLE alltypes (
        id serial PRIMARY KEY, c_small smallint, c_int int, c_big bigint, c_num numeric(10,3), c_num_free numeric,
        c_real real, c_double double precision, c_bool boolean, c_text text, c_varchar varchar(20), c_char char(4),
        c_bytea bytea, c_date date, c_time time, c_ts timestamp, c_tstz timestamptz, c_json json, c_jsonb jsonb,
        c_uuid uuid, c_int_arr int[], c_text_arr text[], c_mood mood, c_interval interval, c_notnull int NOT NULL)""")
    db.execute("""INSERT INTO alltypes VALUES (DEFAULT, -12, 123456, 9000000000, 1234.567, 3.14159265358979,
        1.5, 2.25, true, 'héllo', 'v', 'ab', '\\x00ff', '2024-02-29', '13:14:15.123', '2024-01-02 03:04:05.678',
        '2024-01-02 03:04:05.678+02', '{"a": 1}', '{"b": [1, 2]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        '{1,NULL,3}', '{x,y}', 'happy', '1 day 2 hours', 7)""")
    db.execute("INSERT INTO alltypes (c_notnull) VALUES (0)")
    fields, (row, nulls) = _run(db, start_worker, broker, topic_name)
    D, T, TS = "org.apache.kafka.connect.data.Date", "org.apache.kafka.connect.data.Time", "org.apache.kafka.connect.data.Timestamp"
    _check(fields, {
        "id": ("int32", None, False), "c_small": ("int16", None, True), "c_int": ("int32", None, True),
        "c_big": ("int64", None, True), "c_num": ("bytes", "org.apache.kafka.connect.data.Decimal", True),
        "c_num_free": ("string", None, True), "c_real": ("float", None, True), "c_double": ("double", None, True),
        "c_bool": ("boolean", None, True), "c_text": ("string", None, True), "c_bytea": ("bytes", None, True),
        "c_date": ("int32", D, True), "c_time": ("int32", T, True), "c_ts": ("int64", TS, True),
        "c_tstz": ("int64", TS, True), "c_json": ("string", None, True), "c_uuid": ("string", None, True),
        "c_int_arr": ("array", None, True), "c_mood": ("string", None, True), "c_interval": ("string", None, True),
        "c_notnull": ("int32", None, False),
    })
    assert fields["c_num"]["parameters"] == {"scale": "3", "connect.decimal.precision": "10"}
    assert fields["c_int_arr"]["items"] == {"type": "int32", "optional": True}
    assert decode_decimal(row["c_num"], 3) == decode_decimal(base64.b64encode((1234567).to_bytes(3, "big")).decode(), 3)
    assert row["c_num_free"] == "3.14159265358979"
    assert (row["c_small"], row["c_int"], row["c_big"], row["c_real"], row["c_double"]) == (-12, 123456, 9000000000, 1.5, 2.25)
    assert (row["c_bool"], row["c_text"], row["c_varchar"], row["c_char"]) == (True, "héllo", "v", "ab  ")
    assert base64.b64decode(row["c_bytea"]) == b"\x00\xff"
    assert row["c_date"] == (dt.date(2024, 2, 29) - dt.date(1970, 1, 1)).days
    assert row["c_time"] == ((13 * 60 + 14) * 60 + 15) * 1000 + 123
    assert row["c_ts"] == _ms(2024, 1, 2, 3, 4, 5, 678000)
    assert row["c_tstz"] == _ms(2024, 1, 2, 1, 4, 5, 678000)
    assert orjson.loads(row["c_json"]) == {"a": 1} and orjson.loads(row["c_jsonb"]) == {"b": [1, 2]}
    assert row["c_uuid"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert row["c_int_arr"] == [1, None, 3] and row["c_text_arr"] == ["x", "y"]
    assert row["c_mood"] == "happy" and row["c_interval"] == "P1DT2H"
    assert all(v is None for k, v in nulls.items() if k not in ("id", "c_notnull"))


def test_postgresql_numeric_mapping_and_timezone(postgres, start_worker, broker, topic_name):
    db = Db("postgresql", postgres)
    db.execute("CREATE TABLE alltypes (id serial PRIMARY KEY, n2 numeric(2,0), n9 numeric(9,0), n18 numeric(18,0), "
               "n30 numeric(30,0), f numeric(10,2), ts timestamp)")
    db.execute("INSERT INTO alltypes VALUES (DEFAULT, 12, 123456789, 123456789012345678, 5, 12.5, '2024-06-01 12:00:00')")
    fields, (row,) = _run(db, start_worker, broker, topic_name, n=1, **{"numeric.mapping": "best_fit",
                                                                         "db.timezone": "America/New_York"})
    types = [_FLOATS.get(fields[k]["type"], fields[k]["type"]) for k in ("n2", "n9", "n18", "n30", "f")]
    assert types == ["int8", "int32", "int64", "bytes", "double"]
    assert (row["n2"], row["n9"], row["n18"], row["f"]) == (12, 123456789, 123456789012345678, 12.5)
    # A zone-less timestamp is wall-clock time in db.timezone: 12:00 EDT is 16:00 UTC.
    assert row["ts"] == _ms(2024, 6, 1, 16, 0, 0)


def test_mariadb_types(mariadb, start_worker, broker, topic_name):
    db = Db("mariadb", mariadb)
    db.execute("""CREATE TABLE alltypes (
        id INT AUTO_INCREMENT PRIMARY KEY, c_bool TINYINT(1), c_tiny TINYINT, c_utiny TINYINT UNSIGNED,
        c_small SMALLINT, c_usmall SMALLINT UNSIGNED, c_medium MEDIUMINT, c_int INT, c_uint INT UNSIGNED,
        c_big BIGINT, c_ubig BIGINT UNSIGNED, c_dec DECIMAL(10,3), c_float FLOAT, c_double DOUBLE, c_char CHAR(4),
        c_varchar VARCHAR(20), c_text TEXT, c_blob BLOB, c_binary BINARY(3), c_date DATE, c_time TIME(3),
        c_datetime DATETIME(6), c_ts TIMESTAMP(6) NULL DEFAULT NULL, c_json JSON, c_enum ENUM('a','b'),
        c_set SET('x','y'), c_bit1 BIT(1), c_bit8 BIT(8), c_year YEAR, c_notnull INT NOT NULL)""")
    db.execute("""INSERT INTO alltypes VALUES (DEFAULT, 1, -5, 250, -300, 65000, -8000000, -2000000000, 4000000000,
        -9000000000, 18446744073709551615, 1234.567, 1.5, 2.25, 'ab', 'v', 'héllo', x'00ff', x'010203', '2024-02-29',
        '13:14:15.123', '2024-01-02 03:04:05.678000', '2024-01-02 03:04:05.678000', '{"a": 1}', 'b', 'x,y', b'1',
        b'10000001', 2024, 7)""")
    db.execute("INSERT INTO alltypes (c_notnull) VALUES (0)")
    fields, (row, nulls) = _run(db, start_worker, broker, topic_name)
    D, T, TS = "org.apache.kafka.connect.data.Date", "org.apache.kafka.connect.data.Time", "org.apache.kafka.connect.data.Timestamp"
    DEC = "org.apache.kafka.connect.data.Decimal"
    _check(fields, {
        "id": ("int32", None, False), "c_bool": ("boolean", None, True), "c_tiny": ("int8", None, True),
        "c_utiny": ("int16", None, True), "c_small": ("int16", None, True), "c_usmall": ("int32", None, True),
        "c_medium": ("int32", None, True), "c_int": ("int32", None, True), "c_uint": ("int64", None, True),
        "c_big": ("int64", None, True), "c_ubig": ("bytes", DEC, True), "c_dec": ("bytes", DEC, True),
        "c_float": ("float", None, True), "c_double": ("double", None, True), "c_char": ("string", None, True),
        "c_text": ("string", None, True), "c_blob": ("bytes", None, True), "c_binary": ("bytes", None, True),
        "c_date": ("int32", D, True), "c_time": ("int32", T, True), "c_datetime": ("int64", TS, True),
        "c_ts": ("int64", TS, True), "c_json": ("string", None, True), "c_enum": ("string", None, True),
        "c_set": ("string", None, True), "c_bit1": ("boolean", None, True), "c_bit8": ("bytes", None, True),
        "c_year": ("int32", None, True), "c_notnull": ("int32", None, False),
    })
    assert fields["c_dec"]["parameters"] == {"scale": "3", "connect.decimal.precision": "10"}
    assert fields["c_ubig"]["parameters"] == {"scale": "0", "connect.decimal.precision": "20"}
    assert decode_decimal(row["c_dec"], 3) == decode_decimal(base64.b64encode((1234567).to_bytes(3, "big")).decode(), 3)
    assert decode_decimal(row["c_ubig"], 0) == 18446744073709551615
    assert (row["c_bool"], row["c_tiny"], row["c_utiny"], row["c_small"], row["c_usmall"]) == (True, -5, 250, -300, 65000)
    assert (row["c_medium"], row["c_int"], row["c_uint"], row["c_big"]) == (-8000000, -2000000000, 4000000000, -9000000000)
    assert (row["c_float"], row["c_double"], row["c_char"], row["c_varchar"], row["c_text"]) == (1.5, 2.25, "ab", "v", "héllo")
    assert base64.b64decode(row["c_blob"]) == b"\x00\xff" and base64.b64decode(row["c_binary"]) == b"\x01\x02\x03"
    assert row["c_date"] == (dt.date(2024, 2, 29) - dt.date(1970, 1, 1)).days
    assert row["c_time"] == ((13 * 60 + 14) * 60 + 15) * 1000 + 123
    assert row["c_datetime"] == row["c_ts"] == _ms(2024, 1, 2, 3, 4, 5, 678000)
    assert orjson.loads(row["c_json"]) == {"a": 1}
    assert (row["c_enum"], row["c_set"], row["c_bit1"], row["c_year"]) == ("b", "x,y", True, 2024)
    assert base64.b64decode(row["c_bit8"]) == b"\x81"
    assert all(v is None for k, v in nulls.items() if k not in ("id", "c_notnull"))


@pytest.mark.parametrize("kind", ["postgresql", "mariadb"])
def test_json_schema_converter_round_trip(kind, request, schema_registry, start_worker, broker, topic_name):
    """Keys and values through io.confluent.connect.json.JsonSchemaConverter, read back with
    confluent-kafka's own JSONDeserializer (schemas fetched from the registry by id)."""
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.json_schema import JSONDeserializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    db = Db(kind, request.getfixturevalue("postgres" if kind == "postgresql" else "mariadb"))
    db.execute(f"CREATE TABLE alltypes ({db.serial}, name VARCHAR(20) NOT NULL, amount DECIMAL(10,2), "
               f"flag BOOLEAN, born DATE, seen {db.ts_type}, note TEXT)")
    db.execute("INSERT INTO alltypes (name, amount, flag, born, seen, note) VALUES "
               "('a', 12.34, true, '2024-02-29', '2024-01-02 03:04:05.678', 'x'), ('b', NULL, NULL, NULL, NULL, NULL)")
    topic = f"{topic_name}-alltypes"
    broker.create_topic(topic, partitions=1)
    worker = start_worker()
    converter = "io.confluent.connect.json.JsonSchemaConverter"
    config = db.config(mode="incrementing", **{
        "topic.prefix": f"{topic_name}-", "key.converter": converter, "value.converter": converter,
        "key.converter.schema.registry.url": schema_registry.url,
        "value.converter.schema.registry.url": schema_registry.url, "value.converter.decimal.format": "NUMERIC"})
    response = worker.put("/connectors/src/config", json=config)
    assert response.status_code == 201, response.text
    messages = broker.consume(topic, 2, timeout=60)
    client = SchemaRegistryClient({"url": schema_registry.url})
    values = JSONDeserializer(None, schema_registry_client=client)
    keys = JSONDeserializer(None, schema_registry_client=client)
    decoded = [values(m.value(), SerializationContext(topic, MessageField.VALUE)) for m in messages]
    decoded_keys = [keys(m.key(), SerializationContext(topic, MessageField.KEY)) for m in messages]
    assert decoded_keys == [{"id": 1}, {"id": 2}]
    first, second = decoded
    assert first["id"] == 1 and first["name"] == "a" and float(first["amount"]) == 12.34 and first["flag"] is True
    assert first["born"] == (dt.date(2024, 2, 29) - dt.date(1970, 1, 1)).days
    assert first["seen"] == _ms(2024, 1, 2, 3, 4, 5, 678000) and first["note"] == "x"
    assert second == {"id": 2, "name": "b", "amount": None, "flag": None, "born": None, "seen": None, "note": None}
