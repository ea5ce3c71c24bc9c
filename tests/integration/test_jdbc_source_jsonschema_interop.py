"""A replicated table through the JsonSchemaConverter, read by confluent-kafka's own deserializer.

The user's setup: a JDBC source over a table with every column type the source maps, keys and
values written by ``io.confluent.connect.json.JsonSchemaConverter`` with nothing but the registry
URL set, and a Python consumer using confluent-kafka's ``JSONDeserializer`` (validation on, its
default) with confluent-kafka's ``SchemaRegistryClient`` pointed at our registry. Every record
must decode, and every value must be right — numerics as the exact numbers (checked with a second
JSONDeserializer that parses numbers as Decimals, still validating). The topic is created by the
worker (auto-created, several partitions): records are matched by key.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from .jdbc_helpers import Db

pytestmark = pytest.mark.integration

CONVERTER = "io.confluent.connect.json.JsonSchemaConverter"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
D = decimal.Decimal


def _days(*args: int) -> int:
    return (dt.date(*args) - dt.date(1970, 1, 1)).days


def _ms(*args: int, tz: dt.tzinfo = dt.timezone.utc) -> int:
    return (dt.datetime(*args, tzinfo=tz) - EPOCH) // dt.timedelta(milliseconds=1)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


PG_TABLE = """CREATE TABLE alltypes (
    id serial PRIMARY KEY, c_small smallint, c_int int, c_big bigint, c_oid oid,
    c_num numeric(10,3), c_num38 numeric(38,10), c_num20 numeric(20,0), c_money2 amount, c_num_free numeric,
    c_real real, c_double double precision, c_bool boolean,
    c_text text, c_varchar varchar(20), c_char char(4), c_name name, c_bytea bytea,
    c_date date, c_time time, c_timetz timetz, c_ts timestamp, c_tstz timestamptz,
    c_json json, c_jsonb jsonb, c_uuid uuid, c_mood mood, c_interval interval, c_inet inet, c_range int4range,
    c_int_arr int[], c_text_arr text[], c_ts_arr timestamptz[], c_notnull int NOT NULL)"""
PG_ROWS = [
    """(DEFAULT, -32768, 2147483647, -9223372036854775808, 4294967295,
        -1234567.891, 1234567890123456789012345678.0123456789, 99999999999999999999, 12.5, 3.14159265358979323846,
        1.5, -2.25e-300, true,
        'héllo ✓ 😀 "q" \\ line
break', 'v', 'ab', 'nm', '\\x00ff10',
        '2024-02-29', '13:14:15.123', '13:14:15.123+02', '2024-01-02 03:04:05.678', '2024-01-02 03:04:05.678+02',
        '{"a": 1}', '{"b": [1, 2]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'happy', '1 day 2 hours',
        '192.168.0.1/24', '[1,5)', '{1,NULL,3}', '{x,"y z"}', '{"2024-01-02 03:04:05.678+00",NULL}', 7)""",
    """(DEFAULT, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0)""",
    """(DEFAULT, 32767, -2147483648, 9223372036854775807, 0,
        -0.001, -0.0000000001, -99999999999999999999, -999999.99, -0.5,
        -3.4028235e38, 1.7976931348623157e308, false,
        '', '', '', '', '\\x',
        '1969-12-31', '00:00:00', '23:59:59.999+00', '1900-01-01 00:00:00', '2262-04-11 23:47:16.854+00',
        '[]', 'null', '00000000-0000-0000-0000-000000000000', 'sad', '-1 mons', '::1', 'empty',
        '{}', '{}', '{}', -1)""",
]
PG_EXPECTED = [
    {"id": 1, "c_small": -32768, "c_int": 2147483647, "c_big": -9223372036854775808, "c_oid": 4294967295,
     "c_num": D("-1234567.891"), "c_num38": D("1234567890123456789012345678.0123456789"),
     "c_num20": D("99999999999999999999"), "c_money2": D("12.50"), "c_num_free": "3.14159265358979323846",
     "c_real": 1.5, "c_double": -2.25e-300, "c_bool": True,
     "c_text": 'héllo ✓ 😀 "q" \\ line\nbreak', "c_varchar": "v", "c_char": "ab  ", "c_name": "nm",
     "c_bytea": _b64(b"\x00\xff\x10"),
     "c_date": _days(2024, 2, 29), "c_time": ((13 * 60 + 14) * 60 + 15) * 1000 + 123,
     "c_timetz": ((11 * 60 + 14) * 60 + 15) * 1000 + 123, "c_ts": _ms(2024, 1, 2, 3, 4, 5, 678000),
     "c_tstz": _ms(2024, 1, 2, 1, 4, 5, 678000), "c_json": '{"a": 1}', "c_jsonb": '{"b": [1, 2]}',
     "c_uuid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "c_mood": "happy", "c_interval": "P1DT2H",
     "c_inet": "192.168.0.1/24", "c_range": "[1,5)", "c_int_arr": [1, None, 3], "c_text_arr": ["x", "y z"],
     "c_ts_arr": [_ms(2024, 1, 2, 3, 4, 5, 678000), None], "c_notnull": 7},
    {"id": 2, **{c: None for c in (
        "c_small", "c_int", "c_big", "c_oid", "c_num", "c_num38", "c_num20", "c_money2", "c_num_free", "c_real",
        "c_double", "c_bool", "c_text", "c_varchar", "c_char", "c_name", "c_bytea", "c_date", "c_time",
        "c_timetz", "c_ts", "c_tstz", "c_json", "c_jsonb", "c_uuid", "c_mood", "c_interval", "c_inet", "c_range",
        "c_int_arr", "c_text_arr", "c_ts_arr")}, "c_notnull": 0},
    {"id": 3, "c_small": 32767, "c_int": -2147483648, "c_big": 9223372036854775807, "c_oid": 0,
     "c_num": D("-0.001"), "c_num38": D("-0.0000000001"), "c_num20": D("-99999999999999999999"),
     "c_money2": D("-999999.99"), "c_num_free": "-0.5",
     "c_real": -3.4028235e38, "c_double": 1.7976931348623157e308, "c_bool": False,
     "c_text": "", "c_varchar": "", "c_char": "    ", "c_name": "", "c_bytea": "",
     "c_date": -1, "c_time": 0, "c_timetz": 86399999, "c_ts": _ms(1900, 1, 1, 0, 0, 0),
     "c_tstz": _ms(2262, 4, 11, 23, 47, 16, 854000), "c_json": "[]", "c_jsonb": "null",
     "c_uuid": "00000000-0000-0000-0000-000000000000", "c_mood": "sad", "c_interval": "P-1M", "c_inet": "::1",
     "c_range": "empty", "c_int_arr": [], "c_text_arr": [], "c_ts_arr": [], "c_notnull": -1},
]

MARIADB_TABLE = """CREATE TABLE alltypes (
    id INT AUTO_INCREMENT PRIMARY KEY, c_bool TINYINT(1), c_tiny TINYINT, c_utiny TINYINT UNSIGNED,
    c_small SMALLINT, c_usmall SMALLINT UNSIGNED, c_medium MEDIUMINT, c_umedium MEDIUMINT UNSIGNED, c_int INT,
    c_uint INT UNSIGNED, c_big BIGINT, c_ubig BIGINT UNSIGNED, c_dec DECIMAL(10,3), c_dec38 DECIMAL(38,10),
    c_dec20 DECIMAL(20,0), c_float FLOAT, c_double DOUBLE, c_char CHAR(4), c_varchar VARCHAR(20), c_tinytext TINYTEXT,
    c_text TEXT, c_longtext LONGTEXT, c_blob BLOB, c_tinyblob TINYBLOB, c_binary BINARY(3), c_varbinary VARBINARY(8),
    c_date DATE, c_time TIME(3), c_datetime DATETIME(6), c_ts TIMESTAMP(6) NULL DEFAULT NULL, c_json JSON,
    c_enum ENUM('a','b'), c_set SET('x','y'), c_bit1 BIT(1), c_bit8 BIT(8), c_year YEAR, c_notnull INT NOT NULL)"""
MARIADB_ROWS = [
    """(DEFAULT, 1, -128, 255, -32768, 65535, -8388608, 16777215, 2147483647, 4294967295, -9223372036854775808,
        18446744073709551615, -1234567.891, 1234567890123456789012345678.0123456789, 99999999999999999999,
        1.5, -2.25e-300, 'ab', 'v', 'tiny', 'héllo ✓ 😀 "q" \\\\ line
break', 'long', x'00ff10', x'', x'010203', x'ff', '2024-02-29', '13:14:15.123',
        '2024-01-02 03:04:05.678000', '2024-01-02 03:04:05.678000', '{"a": 1}', 'b', 'x,y', b'1', b'10000001', 2024,
        7)""",
    """(DEFAULT, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, 0)""",
    """(DEFAULT, 0, 127, 0, 32767, 0, 8388607, 0, -2147483648, 0, 9223372036854775807, 0, -0.001, -0.0000000001,
        -99999999999999999999, -3.4e38, 1.7976931348623157e308, '', '', '', '', '', x'', x'00', x'000000', x'',
        '1969-12-31', '-00:00:00.000', '1000-01-01 00:00:00', '1970-01-01 00:00:01', '[]', 'a', '', b'0', b'0', 1901,
        -1)""",
]
MARIADB_EXPECTED = [
    {"id": 1, "c_bool": True, "c_tiny": -128, "c_utiny": 255, "c_small": -32768, "c_usmall": 65535,
     "c_medium": -8388608, "c_umedium": 16777215, "c_int": 2147483647, "c_uint": 4294967295,
     "c_big": -9223372036854775808, "c_ubig": D("18446744073709551615"), "c_dec": D("-1234567.891"),
     "c_dec38": D("1234567890123456789012345678.0123456789"), "c_dec20": D("99999999999999999999"),
     "c_float": 1.5, "c_double": -2.25e-300, "c_char": "ab", "c_varchar": "v", "c_tinytext": "tiny",
     "c_text": 'héllo ✓ 😀 "q" \\ line\nbreak', "c_longtext": "long", "c_blob": _b64(b"\x00\xff\x10"),
     "c_tinyblob": "", "c_binary": _b64(b"\x01\x02\x03"), "c_varbinary": _b64(b"\xff"), "c_date": _days(2024, 2, 29),
     "c_time": ((13 * 60 + 14) * 60 + 15) * 1000 + 123, "c_datetime": _ms(2024, 1, 2, 3, 4, 5, 678000),
     "c_ts": _ms(2024, 1, 2, 3, 4, 5, 678000), "c_json": '{"a": 1}', "c_enum": "b", "c_set": "x,y",
     "c_bit1": True, "c_bit8": _b64(b"\x81"), "c_year": 2024, "c_notnull": 7},
    {"id": 2, **{c: None for c in (
        "c_bool", "c_tiny", "c_utiny", "c_small", "c_usmall", "c_medium", "c_umedium", "c_int", "c_uint", "c_big",
        "c_ubig", "c_dec", "c_dec38", "c_dec20", "c_float", "c_double", "c_char", "c_varchar", "c_tinytext", "c_text",
        "c_longtext", "c_blob", "c_tinyblob", "c_binary", "c_varbinary", "c_date", "c_time", "c_datetime", "c_ts",
        "c_json", "c_enum", "c_set", "c_bit1", "c_bit8", "c_year")}, "c_notnull": 0},
    {"id": 3, "c_bool": False, "c_tiny": 127, "c_utiny": 0, "c_small": 32767, "c_usmall": 0, "c_medium": 8388607,
     "c_umedium": 0, "c_int": -2147483648, "c_uint": 0, "c_big": 9223372036854775807, "c_ubig": D("0"),
     "c_dec": D("-0.001"), "c_dec38": D("-0.0000000001"), "c_dec20": D("-99999999999999999999"),
     "c_float": -3.4e38, "c_double": 1.7976931348623157e308, "c_char": "", "c_varchar": "", "c_tinytext": "",
     "c_text": "", "c_longtext": "", "c_blob": "", "c_tinyblob": _b64(b"\x00"), "c_binary": _b64(b"\x00\x00\x00"),
     "c_varbinary": "", "c_date": -1, "c_time": 0, "c_datetime": _ms(1000, 1, 1, 0, 0, 0), "c_ts": 1000,
     "c_json": "[]", "c_enum": "a", "c_set": "", "c_bit1": False, "c_bit8": _b64(b"\x00"), "c_year": 1901,
     "c_notnull": -1},
]


def _setup(db: Db) -> list[dict]:
    if db.pg:
        db.execute("CREATE TYPE mood AS ENUM ('sad', 'happy')")
        db.execute("CREATE DOMAIN amount AS numeric(8,2)")
        db.execute(PG_TABLE)
        rows, expected = PG_ROWS, PG_EXPECTED
    else:
        db.execute(MARIADB_TABLE)
        rows, expected = MARIADB_ROWS, MARIADB_EXPECTED
    for row in rows:
        db.execute(f"INSERT INTO alltypes VALUES {row}")
    return expected


def _deserializers(url: str) -> tuple[JSONDeserializer, JSONDeserializer]:
    """confluent-kafka's deserializer as a user makes it (validation on), and the same parsing
    numbers as Decimals (to see the exact digits the record carries), validating too."""
    client = SchemaRegistryClient({"url": url})
    plain = JSONDeserializer(None, schema_registry_client=client)
    exact = JSONDeserializer(None, schema_registry_client=client,
                             json_decode=lambda data: json.loads(data, parse_float=decimal.Decimal))
    return plain, exact


def _approximately(value: Any) -> Any:
    """What the default deserializer (orjson) makes of an exact value: decimals, and integers
    beyond 64 bits, become floats."""
    if isinstance(value, decimal.Decimal) or (type(value) is int and not -2 ** 63 <= value < 2 ** 64):
        return float(value)
    return value


def _exact_number(have: Any, want: decimal.Decimal) -> bool:
    """``have`` (parsed with Decimals for non-integers) is ``want`` written with its scale:
    12.50 as 12.50, and a scale-0 decimal as a JSON integer."""
    if want.as_tuple().exponent == 0:
        return type(have) is int and have == want
    return isinstance(have, decimal.Decimal) and have.as_tuple() == want.as_tuple()


@pytest.mark.parametrize("kind", ["postgresql", "mariadb"])
def test_every_column_type_decodes_with_confluents_validating_deserializer(kind, request, schema_registry,
                                                                            start_worker, broker, topic_name):
    db = Db(kind, request.getfixturevalue("postgres" if kind == "postgresql" else "mariadb"))
    expected = _setup(db)
    worker = start_worker()
    config = db.config(mode="incrementing", **{
        "topic.prefix": f"{topic_name}-", "key.converter": CONVERTER, "value.converter": CONVERTER,
        "key.converter.schema.registry.url": schema_registry.url,
        "value.converter.schema.registry.url": schema_registry.url})
    response = worker.put("/connectors/src/config", json=config)
    assert response.status_code == 201, response.text
    topic = f"{topic_name}-alltypes"
    messages = broker.consume(topic, len(expected), timeout=60, partition=None)

    plain, exact = _deserializers(schema_registry.url)
    values, keys = SerializationContext(topic, MessageField.VALUE), SerializationContext(topic, MessageField.KEY)
    got = {}
    for message in messages:
        key = plain(message.key(), keys)
        value = exact(message.value(), values)
        assert plain(message.value(), values) == {k: _approximately(v) for k, v in value.items()}, value
        assert key == {"id": value["id"]}
        got[value["id"]] = value
    assert sorted(got) == [row["id"] for row in expected]
    for row in expected:
        record = got[row["id"]]
        assert record.keys() == row.keys()
        for column, want in row.items():
            have = record[column]
            if isinstance(want, decimal.Decimal):
                # The exact number, with the column's scale of fractional digits.
                assert _exact_number(have, want), (column, have, want)
            elif isinstance(want, float):  # parsed as a Decimal here: the digits the double was written with
                tolerance = 1e-7 if column in ("c_real", "c_float") else 0  # a float32 column
                assert float(have) == pytest.approx(want, rel=tolerance, abs=0), (column, have, want)
            else:
                assert have == want and type(have) is type(want), (column, have, want)

    # The registered schema says what the values are: Decimals are JSON numbers.
    subject = SchemaRegistryClient({"url": schema_registry.url}).get_latest_version(f"{topic}-value")
    document = json.loads(subject.schema.schema_str)
    numeric = "c_num38" if db.pg else "c_dec38"
    assert document["properties"][numeric]["oneOf"][1]["type"] == "number"
    assert document["properties"][numeric]["oneOf"][1]["connect.parameters"]["scale"] == "10"
    worker.wait_for_state("src")


def test_a_nan_double_fails_the_task_with_the_way_out_in_the_message(postgres, schema_registry, start_worker,
                                                                     broker, topic_name):
    """JSON has no NaN: with the defaults the row is refused (not written as a string that no
    validating reader accepts); non.finite.floats=STRING writes Confluent's strings."""
    db = Db("postgresql", postgres)
    db.execute("CREATE TABLE floats (id serial PRIMARY KEY, x double precision, y real)")
    db.execute("INSERT INTO floats (x, y) VALUES (1.5, 2.5), ('NaN', '-Infinity')")
    worker = start_worker()
    base = db.config(mode="incrementing", **{"topic.prefix": f"{topic_name}-", "value.converter": CONVERTER,
                                             "value.converter.schema.registry.url": schema_registry.url})
    assert worker.put("/connectors/strict/config", json=base).status_code == 201
    status = worker.wait_for_task_state("strict", 0, "FAILED", timeout=60)
    assert "JSON has no number for NaN or Infinity" in status["trace"]
    assert "non.finite.floats=STRING" in status["trace"]
    first = broker.consume(f"{topic_name}-floats", 1, timeout=30, partition=None)
    plain, _ = _deserializers(schema_registry.url)
    ctx = SerializationContext(f"{topic_name}-floats", MessageField.VALUE)
    assert plain(first[0].value(), ctx) == {"id": 1, "x": 1.5, "y": 2.5}

    strings = {**base, "topic.prefix": f"{topic_name}-s-", "value.converter.non.finite.floats": "STRING"}
    assert worker.put("/connectors/strings/config", json=strings).status_code == 201
    messages = broker.consume(f"{topic_name}-s-floats", 2, timeout=60, partition=None)
    unvalidated = JSONDeserializer(None, schema_registry_client=SchemaRegistryClient({"url": schema_registry.url}),
                                   conf={"validate": False})
    ctx = SerializationContext(f"{topic_name}-s-floats", MessageField.VALUE)
    assert sorted((unvalidated(m.value(), ctx) for m in messages), key=lambda r: r["id"]) == [
        {"id": 1, "x": 1.5, "y": 2.5}, {"id": 2, "x": "NaN", "y": "-Infinity"}]
