"""TimestampConverter$Key / $Value against Kafka's TimestampConverterTest, rewritten as data."""

from __future__ import annotations

import datetime as dt

import pytest

from dbconnect.api.data import (
    INT64_SCHEMA, OPTIONAL_INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, Date, SchemaBuilder, Struct, Time,
    Timestamp,
)
from dbconnect.api.errors import ConfigError, ConnectError, DataError
from dbconnect.api.records import SinkRecord, SourceRecord
from dbconnect.transforms.timestamp_converter import TimestampConverterKey, TimestampConverterValue

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
TIME = dt.time(0, 0, 1, 234000)                                   # 1234 ms after midnight
DATE = dt.date(1970, 1, 2)
DATE_PLUS_TIME = dt.datetime(1970, 1, 2, 0, 0, 1, 234000, tzinfo=UTC)
DATE_PLUS_TIME_UNIX = 86_401_234
DATE_PLUS_TIME_UNIX_MICROS = DATE_PLUS_TIME_UNIX * 1000 + 123
DATE_PLUS_TIME_UNIX_NANOS = DATE_PLUS_TIME_UNIX_MICROS * 1000 + 456
DATE_PLUS_TIME_UNIX_SECONDS = 86_401
STRING_DATE_FMT = "yyyy MM dd HH mm ss SSS z"
DATE_PLUS_TIME_STRING = "1970 01 02 00 00 01 234 UTC"


def value_xform(**config):
    xform = TimestampConverterValue()
    xform.configure({k.replace("_", "."): v for k, v in config.items()})
    return xform


def schemaless(value):
    return SourceRecord(None, None, "topic", partition=0, value=value)


def with_schema(schema, value):
    return SourceRecord(None, None, "topic", partition=0, value_schema=schema, value=value)


# ------------------------------------------------------------------ configuration

@pytest.mark.parametrize("config, key, fragment", [
    ({}, "target.type", 'Missing required configuration "target.type" which has no default value.'),
    ({"target.type": "invalid"}, "target.type",
     "Invalid value invalid for configuration target.type: String must be one of: string, unix, Date, Time, Timestamp"),
    ({"target.type": "unix", "unix.precision": "invalid"}, "unix.precision",
     "Invalid value invalid for configuration unix.precision: String must be one of: "
     "nanoseconds, microseconds, milliseconds, seconds"),
    ({"target.type": "string"}, "format",
     "TimestampConverter requires format option to be specified when using string timestamps"),
    ({"target.type": "string", "format": "bad-format"}, "format", "Illegal pattern character 'b'"),
    ({"target.type": "string", "format": "YYYY-MM-dd"}, "format", "Pattern letter 'Y' (week year) is not supported"),
    ({"target.type": "string", "format": "yyyy-MM-dd 'T"}, "format", "Unterminated quote"),
])
def test_bad_configs_are_refused_naming_the_key(config, key, fragment):
    with pytest.raises(ConfigError) as info:
        TimestampConverterValue().configure(config)
    assert fragment in str(info.value)
    assert key in info.value.errors and any(fragment in m for m in info.value.errors[key])


@pytest.mark.parametrize("precision", ["seconds", "milliseconds", "microseconds", "nanoseconds"])
def test_valid_unix_precisions(precision):
    value_xform(target_type="unix", unix_precision=precision)


def test_definition_validates_the_format_as_validate_would():
    definition = TimestampConverterValue().config()
    assert definition.validate({"target.type": "string", "format": "yyyy-MM-dd"}) == {}
    errors = definition.validate({"target.type": "string", "format": "yyyy-ww"})
    assert list(errors) == ["format"] and "Pattern letter 'w'" in errors["format"][0]


# ------------------------------------------------------------------ schemaless

@pytest.mark.parametrize("target, config, value, expected", [
    ("Timestamp", {}, DATE_PLUS_TIME, DATE_PLUS_TIME),
    ("Date", {}, DATE_PLUS_TIME, DATE),
    ("Time", {}, DATE_PLUS_TIME, TIME),
    ("unix", {}, DATE_PLUS_TIME, DATE_PLUS_TIME_UNIX),
    ("string", {"format": STRING_DATE_FMT}, DATE_PLUS_TIME, DATE_PLUS_TIME_STRING),
    ("Timestamp", {}, DATE, dt.datetime(1970, 1, 2, tzinfo=UTC)),
    ("Timestamp", {}, TIME, dt.datetime(1970, 1, 1, 0, 0, 1, 234000, tzinfo=UTC)),
    ("Timestamp", {}, DATE_PLUS_TIME_UNIX, DATE_PLUS_TIME),
    ("Timestamp", {"format": STRING_DATE_FMT}, DATE_PLUS_TIME_STRING, DATE_PLUS_TIME),
    ("unix", {"unix.precision": "microseconds", "format": STRING_DATE_FMT}, DATE_PLUS_TIME_STRING, 86_401_234_000),
    ("unix", {"unix.precision": "nanoseconds", "format": STRING_DATE_FMT}, DATE_PLUS_TIME_STRING, 86_401_234_000_000),
    ("unix", {"unix.precision": "seconds", "format": STRING_DATE_FMT}, DATE_PLUS_TIME_STRING, DATE_PLUS_TIME_UNIX_SECONDS),
    ("Timestamp", {"unix.precision": "microseconds"}, DATE_PLUS_TIME_UNIX_MICROS, DATE_PLUS_TIME),
    ("Timestamp", {"unix.precision": "nanoseconds"}, DATE_PLUS_TIME_UNIX_NANOS, DATE_PLUS_TIME),
    ("Timestamp", {"unix.precision": "seconds"}, DATE_PLUS_TIME_UNIX_SECONDS,
     dt.datetime(1970, 1, 2, 0, 0, 1, tzinfo=UTC)),
    # naive datetimes are UTC; before the epoch the day is the calendar day (Calendar in UTC)
    ("Date", {}, dt.datetime(1969, 12, 31, 23, 59, 59), dt.date(1969, 12, 31)),
    ("unix", {"unix.precision": "seconds"}, dt.datetime(1969, 12, 31, 23, 59, 58, 500000, tzinfo=UTC), -1),
])
def test_schemaless_conversions(target, config, value, expected):
    xform = value_xform(target_type=target, **{k.replace(".", "_"): v for k, v in config.items()})
    transformed = xform.apply(schemaless(value))
    assert transformed.value_schema is None
    assert transformed.value == expected and type(transformed.value) is type(expected)


@pytest.mark.parametrize("target", ["string", "Date", "Timestamp", "unix", "Time"])
def test_schemaless_null_value_and_null_field(target):
    xform = value_xform(target_type=target, format=STRING_DATE_FMT)
    transformed = xform.apply(schemaless(None))
    assert transformed.value_schema is None and transformed.value is None
    xform = value_xform(target_type=target, format=STRING_DATE_FMT, field="ts")
    transformed = xform.apply(schemaless(None))
    assert transformed.value is None
    transformed = xform.apply(schemaless({"ts": None, "other": "test"}))
    assert transformed.value == {"ts": None, "other": "test"}


def test_schemaless_field_conversion():
    xform = value_xform(target_type="Date", field="ts")
    transformed = xform.apply(schemaless({"ts": DATE_PLUS_TIME}))
    assert transformed.value_schema is None
    assert transformed.value == {"ts": DATE}


def test_schemaless_field_conversion_needs_a_map():
    xform = value_xform(target_type="Date", field="ts")
    with pytest.raises(DataError, match=r"Only Map objects supported in absence of schema for "
                                        r"\[converting timestamp formats\], found: str"):
        xform.apply(schemaless("not a map"))


@pytest.mark.parametrize("value, message", [
    (1.5, "TimestampConverter does not support float objects as timestamps"),
    (True, "TimestampConverter does not support bool objects as timestamps"),
])
def test_schemaless_unsupported_types(value, message):
    with pytest.raises(DataError, match=message):
        value_xform(target_type="unix").apply(schemaless(value))


def test_unparseable_string():
    xform = value_xform(target_type="unix", format="yyyy-MM-dd")
    with pytest.raises(DataError, match=r"Could not parse timestamp: value \(nope\) does not match pattern "
                                        r"\(yyyy-MM-dd\)"):
        xform.apply(schemaless("nope"))


# ------------------------------------------------------------------ with schema

@pytest.mark.parametrize("target, config, schema, value, expected_schema, expected", [
    ("Timestamp", {}, Timestamp.SCHEMA, DATE_PLUS_TIME, Timestamp.SCHEMA, DATE_PLUS_TIME),
    ("Date", {}, Timestamp.SCHEMA, DATE_PLUS_TIME, Date.SCHEMA, DATE),
    ("Time", {}, Timestamp.SCHEMA, DATE_PLUS_TIME, Time.SCHEMA, TIME),
    ("unix", {}, Timestamp.SCHEMA, DATE_PLUS_TIME, INT64_SCHEMA, DATE_PLUS_TIME_UNIX),
    ("string", {"format": STRING_DATE_FMT}, Timestamp.SCHEMA, DATE_PLUS_TIME, STRING_SCHEMA, DATE_PLUS_TIME_STRING),
    ("Timestamp", {}, Date.SCHEMA, DATE, Timestamp.SCHEMA, dt.datetime(1970, 1, 2, tzinfo=UTC)),
    ("Timestamp", {}, Time.SCHEMA, TIME, Timestamp.SCHEMA, dt.datetime(1970, 1, 1, 0, 0, 1, 234000, tzinfo=UTC)),
    ("Timestamp", {}, INT64_SCHEMA, DATE_PLUS_TIME_UNIX, Timestamp.SCHEMA, DATE_PLUS_TIME),
    ("Timestamp", {"format": STRING_DATE_FMT}, STRING_SCHEMA, DATE_PLUS_TIME_STRING, Timestamp.SCHEMA, DATE_PLUS_TIME),
    # optional in, optional out
    ("unix", {}, Timestamp.OPTIONAL_SCHEMA, DATE_PLUS_TIME, OPTIONAL_INT64_SCHEMA, DATE_PLUS_TIME_UNIX),
])
def test_with_schema_conversions(target, config, schema, value, expected_schema, expected):
    xform = value_xform(target_type=target, **config)
    transformed = xform.apply(with_schema(schema, value))
    assert transformed.value_schema == expected_schema
    assert transformed.value == expected and type(transformed.value) is type(expected)
    expected_schema.validate(transformed.value)


@pytest.mark.parametrize("target, original, expected", [
    ("Timestamp", Timestamp.OPTIONAL_SCHEMA, Timestamp.OPTIONAL_SCHEMA),
    ("unix", Timestamp.OPTIONAL_SCHEMA, OPTIONAL_INT64_SCHEMA),
    ("Time", Timestamp.OPTIONAL_SCHEMA, Time.OPTIONAL_SCHEMA),
    ("Date", Timestamp.OPTIONAL_SCHEMA, Date.OPTIONAL_SCHEMA),
    ("string", Timestamp.OPTIONAL_SCHEMA, OPTIONAL_STRING_SCHEMA),
    ("Timestamp", OPTIONAL_INT64_SCHEMA, Timestamp.OPTIONAL_SCHEMA),
])
def test_with_schema_null_value_and_null_field(target, original, expected):
    xform = value_xform(target_type=target, format=STRING_DATE_FMT)
    transformed = xform.apply(with_schema(original, None))
    assert transformed.value_schema == expected and transformed.value is None

    xform = value_xform(target_type=target, format=STRING_DATE_FMT, field="ts")
    struct_schema = SchemaBuilder.struct().field("ts", original).field("other", STRING_SCHEMA)
    expected_struct = SchemaBuilder.struct().field("ts", expected).field("other", STRING_SCHEMA)
    value = Struct(struct_schema.build()).put("ts", None).put("other", "test")
    transformed = xform.apply(with_schema(struct_schema.build(), value))
    assert transformed.value_schema == expected_struct.build()
    assert transformed.value.get("ts") is None and transformed.value.get("other") == "test"

    transformed = xform.apply(with_schema(struct_schema.optional().build(), None))
    assert transformed.value_schema == expected_struct.optional().build()
    assert transformed.value is None


def test_with_schema_field_conversion():
    xform = value_xform(target_type="Timestamp", field="ts")
    schema = SchemaBuilder.struct().field("ts", INT64_SCHEMA).field("other", STRING_SCHEMA).build()
    value = Struct(schema).put("ts", DATE_PLUS_TIME_UNIX).put("other", "test")
    transformed = xform.apply(with_schema(schema, value))
    assert transformed.value_schema == SchemaBuilder.struct().field("ts", Timestamp.SCHEMA).field(
        "other", STRING_SCHEMA).build()
    assert transformed.value.get("ts") == DATE_PLUS_TIME
    assert transformed.value.get("other") == "test"


@pytest.mark.parametrize("precision, unix", [
    ("microseconds", DATE_PLUS_TIME_UNIX_MICROS), ("nanoseconds", DATE_PLUS_TIME_UNIX_NANOS),
])
def test_with_schema_field_conversion_sub_millisecond(precision, unix):
    xform = value_xform(target_type="Timestamp", field="ts", unix_precision=precision)
    schema = SchemaBuilder.struct().field("ts", INT64_SCHEMA).build()
    transformed = xform.apply(with_schema(schema, Struct(schema).put("ts", unix)))
    assert transformed.value.get("ts") == DATE_PLUS_TIME


def test_with_schema_field_conversion_seconds():
    xform = value_xform(target_type="Timestamp", field="ts", unix_precision="seconds")
    schema = SchemaBuilder.struct().field("ts", INT64_SCHEMA).build()
    transformed = xform.apply(with_schema(schema, Struct(schema).put("ts", DATE_PLUS_TIME_UNIX_SECONDS)))
    assert transformed.value.get("ts") == dt.datetime(1970, 1, 2, 0, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize("replace, expected", [(False, None), (True, EPOCH)])
def test_with_schema_null_field_with_default(replace, expected):
    xform = value_xform(target_type="Timestamp", field="ts", replace_null_with_default=replace)
    schema = (SchemaBuilder.struct().field("ts", SchemaBuilder.int64().optional().default_value(0))
              .field("other", STRING_SCHEMA).build())
    value = Struct(schema).put("ts", None).put("other", "test")
    transformed = xform.apply(with_schema(schema, value))
    assert transformed.value_schema == SchemaBuilder.struct().field(
        "ts", Timestamp.builder().optional()).field("other", STRING_SCHEMA).build()
    assert transformed.value.get("ts") == expected
    assert transformed.value.get("other") == "test"


def test_struct_schema_metadata_and_default_are_kept():
    def builder():
        return SchemaBuilder.struct().name("Row").version(3).doc("a row").field("ts", INT64_SCHEMA).optional()

    default = Struct(builder().build()).put("ts", 0)
    schema = builder().default_value(default).build()
    xform = value_xform(target_type="Date", field="ts")
    transformed = xform.apply(with_schema(schema, None))
    new_schema = transformed.value_schema
    assert (new_schema.name, new_schema.version, new_schema.doc, new_schema.optional) == ("Row", 3, "a row", True)
    assert new_schema.field("ts").schema == Date.SCHEMA
    assert new_schema.default.get("ts") == dt.date(1970, 1, 1)


def test_with_schema_of_unknown_kind():
    xform = value_xform(target_type="unix")
    with pytest.raises(ConnectError, match="does not correspond to a known timestamp type format"):
        xform.apply(with_schema(SchemaBuilder.float64().build(), 1.0))


def test_with_schema_field_needs_a_struct():
    xform = value_xform(target_type="unix", field="ts")
    with pytest.raises(DataError, match=r"Only Struct objects supported for \[converting timestamp formats\]"):
        xform.apply(with_schema(INT64_SCHEMA, 5))


# ------------------------------------------------------------------ key

def test_key():
    xform = TimestampConverterKey()
    xform.configure({"target.type": "Timestamp"})
    record = SourceRecord(None, None, "topic", partition=0, key=DATE_PLUS_TIME, value="untouched")
    transformed = xform.apply(record)
    assert transformed.key_schema is None and transformed.key == DATE_PLUS_TIME
    assert transformed.value == "untouched"


def test_key_with_schema_on_a_sink_record():
    xform = TimestampConverterKey()
    xform.configure({"target.type": "string", "format": "yyyy-MM-dd'T'HH:mm:ss.SSSX"})
    record = SinkRecord("topic", 3, INT64_SCHEMA, DATE_PLUS_TIME_UNIX, STRING_SCHEMA, "v", 42, timestamp=7)
    transformed = xform.apply(record)
    assert transformed.key_schema == STRING_SCHEMA
    assert transformed.key == "1970-01-02T00:00:01.234Z"
    assert (transformed.topic, transformed.kafka_partition, transformed.kafka_offset, transformed.timestamp) == \
        ("topic", 3, 42, 7)
    assert transformed.value == "v" and transformed.value_schema == STRING_SCHEMA


def test_kafka_names():
    assert TimestampConverterValue.aliases[0] == "org.apache.kafka.connect.transforms.TimestampConverter$Value"
    assert TimestampConverterKey.aliases[0] == "org.apache.kafka.connect.transforms.TimestampConverter$Key"


@pytest.mark.parametrize("schema, value, message", [
    (INT64_SCHEMA, "x", "Expected Unix timestamp to be a Long, but found str"),
    (STRING_SCHEMA, 5, "Expected string timestamp to be a String, but found int"),
    (Date.SCHEMA, 5, "Expected Date to be a java.util.Date, but found int"),
])
def test_with_schema_values_of_the_wrong_type(schema, value, message):
    with pytest.raises(DataError, match=message):
        value_xform(target_type="Timestamp", format="yyyy").apply(with_schema(schema, value))
