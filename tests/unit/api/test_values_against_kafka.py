"""Kafka's Values.parseString (dbconnect.api.values, the one parser InsertHeader and SimpleHeaderConverter share), after Kafka's ValuesTest and against answers recorded from Kafka itself."""

from __future__ import annotations

import datetime as dt
import decimal
import struct

import pytest

from dbconnect.api.data import (
    BOOLEAN_SCHEMA, FLOAT32_SCHEMA, FLOAT64_SCHEMA, INT8_SCHEMA, INT16_SCHEMA, INT32_SCHEMA, INT64_SCHEMA,
    STRING_SCHEMA, Date, Decimal, Schema, SchemaBuilder, Time, Timestamp, Type,
)
from dbconnect.api.values import parse_string
from tests.unit.api.kafka_values_answers import VALUES

UTC = dt.timezone.utc


@pytest.mark.parametrize("text, schema, value", [
    (None, None, None),
    ("", STRING_SCHEMA, ""),
    ("null", None, None),
    ("true", BOOLEAN_SCHEMA, True),
    ("false", BOOLEAN_SCHEMA, False),
    ("1", INT8_SCHEMA, 1),
    ("-128", INT8_SCHEMA, -128),
    ("128", INT16_SCHEMA, 128),
    ("32768", INT32_SCHEMA, 32768),
    ("2147483648", INT64_SCHEMA, 2147483648),
    ("1.0", INT8_SCHEMA, 1),
    ("1.5", FLOAT32_SCHEMA, 1.5),
    ("1e40", FLOAT64_SCHEMA, 1e40),
    ("12345678901234567890", Decimal.schema(0), decimal.Decimal("12345678901234567890")),
    ("hello", STRING_SCHEMA, "hello"),
    ("  hello world ", STRING_SCHEMA, "  hello world "),
    ("true}", STRING_SCHEMA, "true}"),
    ("a:b", STRING_SCHEMA, "a:b"),
    ("[1,", STRING_SCHEMA, "[1,"),
    ("2024-01-31", Date.SCHEMA, dt.date(2024, 1, 31)),
    ("10:15:30.123Z", Time.SCHEMA, dt.time(10, 15, 30, 123000)),
    ("2024-01-31T10:15:30.123Z", Timestamp.SCHEMA, dt.datetime(2024, 1, 31, 10, 15, 30, 123000, tzinfo=UTC)),
])
def test_scalars(text, schema, value):
    parsed = parse_string(text)
    assert parsed.schema == schema
    assert parsed.value == value and type(parsed.value) is type(value)


@pytest.mark.parametrize("text, schema, value", [
    ("[1, 2, 3]", SchemaBuilder.array(INT8_SCHEMA).build(), [1, 2, 3]),
    ("[1, 300]", SchemaBuilder.array(INT16_SCHEMA).build(), [1, 300]),
    ("[1, 2.5]", SchemaBuilder.array(FLOAT32_SCHEMA).build(), [1.0, 2.5]),
    ('["a", "b"]', SchemaBuilder.array(STRING_SCHEMA).build(), ["a", "b"]),
    ("[null]", Schema(Type.ARRAY), [None]),
    ("[]", Schema(Type.ARRAY), []),
    ('{"a": 1, "b": 2}', SchemaBuilder.map(STRING_SCHEMA, INT8_SCHEMA).build(), {"a": 1, "b": 2}),
    ('{"a": null}', Schema(Type.MAP, key_schema=STRING_SCHEMA), {"a": None}),
    ('{"a": [true]}', SchemaBuilder.map(STRING_SCHEMA, SchemaBuilder.array(BOOLEAN_SCHEMA)).build(), {"a": [True]}),
])
def test_arrays_and_maps(text, schema, value):
    parsed = parse_string(text)
    assert parsed.schema == schema
    assert parsed.value == value


def test_mixed_arrays_have_no_common_schema():
    parsed = parse_string('[1, "a"]')
    assert parsed.schema == Schema(Type.ARRAY) and parsed.value == [1, "a"]


# -- against Kafka's own Values.parseString (kafka_values_answers.py) --------------------------------

def _schema_text(schema) -> str:
    if schema is None:
        return "null"
    name = schema.name.replace("org.apache.kafka.connect.data.", "") if schema.name else str(schema.type)
    if schema.type is Type.ARRAY:
        return f"ARRAY<{_schema_text(schema.value_schema)}>"
    if schema.type is Type.MAP:
        return f"MAP<{_schema_text(schema.key_schema)},{_schema_text(schema.value_schema)}>"
    if name == "Decimal":
        return f"Decimal({schema.parameters['scale']})"
    return name + ("?" if schema.optional else "")


def _value_text(value) -> str:
    epoch = dt.datetime(1970, 1, 1, tzinfo=UTC)
    if value is None:
        return "null"
    if isinstance(value, dt.datetime):
        return f"D{(value - epoch) // dt.timedelta(milliseconds=1)}"
    if isinstance(value, dt.date):
        return f"D{(value - dt.date(1970, 1, 1)).days * 86_400_000}"
    if isinstance(value, dt.time):
        return f"D{((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000}"
    if isinstance(value, list):
        return "[" + ",".join(_value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_value_text(k)}:{_value_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return "S" + value
    if isinstance(value, bool):
        return "B:" + ("true" if value else "false")
    if isinstance(value, int):
        return f"N:{value}"
    if isinstance(value, float):
        return f"F:{struct.unpack('>q', struct.pack('>d', value))[0]}"
    return f"BD:{value}"


def _as_float32_bits(text: str) -> str:
    """``FLOAT32 F:<double bits>`` → the same float's 32-bit pattern. dbconnect keeps a FLOAT32 as
    the Python float whose shortest text is Java's float text (3.14, not 3.140000104904175), so the
    two agree as float32 values, not as doubles (dbconnect/api/values.py)."""
    head, _, bits = text.rpartition("F:")
    double = struct.unpack(">d", struct.pack(">q", int(bits)))[0]
    return f"{head}f32:{struct.unpack('>I', struct.pack('>f', double))[0]}"


# Java's lenient SimpleDateFormat rolls a 13th month over into the next year; dbconnect keeps such
# text a STRING (documented in dbconnect/api/values.py and docs/standalone.md).
ROLLED_OVER = {"2024-13-31"}


@pytest.mark.parametrize("literal, kafka", [v for v in VALUES if v[0] not in ROLLED_OVER])
def test_like_kafka(literal, kafka):
    parsed = parse_string(literal)
    ours = f"{_schema_text(parsed.schema)} {_value_text(parsed.value)}"
    expected = kafka if kafka != "null" else "null null"
    if expected.startswith("FLOAT32 ") and ours.startswith("FLOAT32 "):
        ours, expected = _as_float32_bits(ours), _as_float32_bits(expected)
    assert ours == expected


def test_dates_java_would_roll_over_stay_strings():
    assert {literal for literal, _ in VALUES} >= ROLLED_OVER
    for literal in ROLLED_OVER:
        parsed = parse_string(literal)
        assert parsed.schema.type is Type.STRING and parsed.value == literal
