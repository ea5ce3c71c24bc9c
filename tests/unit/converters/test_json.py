import base64
import datetime as dt
import decimal
import json
import math

import orjson
import pytest

from dbconnect.api.data import (
    BOOLEAN_SCHEMA, BYTES_SCHEMA, FLOAT32_SCHEMA, FLOAT64_SCHEMA, INT8_SCHEMA, INT16_SCHEMA, INT32_SCHEMA,
    INT64_SCHEMA, NULL_SCHEMA_AND_VALUE, OPTIONAL_BYTES_SCHEMA, OPTIONAL_INT32_SCHEMA, OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA, Date, Decimal, SchemaBuilder, Struct, Time, Timestamp, Type,
)
from dbconnect.api.errors import ConfigError, DataError
from dbconnect.converters import JsonConverter
from dbconnect.converters.json import ENVELOPE_ERROR

D = decimal.Decimal
UTC = dt.timezone.utc


def json_converter(**configs):
    converter = JsonConverter()
    converter.configure(configs, False)
    return converter


def order_schema():
    return (
        SchemaBuilder.struct().name("com.example.Order")
        .field("id", INT32_SCHEMA)
        .field("name", OPTIONAL_STRING_SCHEMA)
        .field("price", Decimal.schema(2))
        .field("d", Date.OPTIONAL_SCHEMA)
        .field("t", Time.OPTIONAL_SCHEMA)
        .field("ts", Timestamp.OPTIONAL_SCHEMA)
        .build()
    )


def order():
    return (
        Struct(order_schema()).put("id", 1).put("price", D("4.82")).put("d", dt.date(2022, 1, 8))
        .put("t", dt.time(1)).put("ts", dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC))
    )


REFERENCE_EXAMPLE = """
{"schema":{"type":"struct","fields":[
   {"type":"int32","optional":false,"field":"id"},
   {"type":"string","optional":true,"field":"name"},
   {"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"field":"price"},
   {"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"d"},
   {"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Time","version":1,"field":"t"},
   {"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"}],
  "optional":false,"name":"com.example.Order"},
 "payload":{"id":1,"name":null,"price":"AeI=","d":19000,"t":3600000,"ts":1700000000000}}
"""


# -- JsonConverter: the envelope ---------------------------------------------------------------

def test_reference_envelope():
    out = json_converter().from_connect_data("orders", order_schema(), order())
    assert json.loads(out) == json.loads(REFERENCE_EXAMPLE)
    # Same keys in the same order as Kafka writes them, compact.
    assert out == orjson.dumps(json.loads(REFERENCE_EXAMPLE))


def test_reference_envelope_reads_back():
    converter = json_converter()
    for _ in range(2):  # the second read takes the cached-prefix path
        sv = converter.to_connect_data("orders", orjson.dumps(json.loads(REFERENCE_EXAMPLE)))
        assert sv.schema == order_schema() and sv.value == order()
    # Pretty-printed input (no prefix match) still parses.
    sv = converter.to_connect_data("orders", REFERENCE_EXAMPLE.encode())
    assert sv.value == order()


def test_schema_attributes_order():
    schema = (
        SchemaBuilder.map(STRING_SCHEMA, SchemaBuilder.array(INT32_SCHEMA).optional().build())
        .name("m").version(2).doc("docs").parameter("a", "b").default_value({"k": [1]}).build()
    )
    converter = json_converter()
    node = converter.as_json_schema(schema)
    assert list(node) == ["type", "keys", "values", "optional", "name", "version", "doc", "parameters", "default"]
    assert node["values"] == {"type": "array", "items": {"type": "int32", "optional": False}, "optional": True}
    assert node["default"] == {"k": [1]}
    assert converter.as_connect_schema(node) == schema


def test_schemaless_read_with_schemas_enabled_fails_with_kafka_message():
    converter = json_converter()
    for raw in (b'{"a":1}', b'{"schema":null,"payload":1,"x":2}', b"[1]", b"null", b"5", b""):
        with pytest.raises(DataError) as info:
            converter.to_connect_data("t", raw)
        assert str(info.value) == ENVELOPE_ERROR
    assert ENVELOPE_ERROR == (
        'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain '
        "additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in "
        "your converter configuration."
    )


def test_cached_prefix_does_not_hide_extra_fields():
    converter = json_converter()
    out = converter.from_connect_data("t", INT32_SCHEMA, 1)
    assert converter.to_connect_data("t", out) == (INT32_SCHEMA, 1)
    assert converter.to_connect_data("t", memoryview(out)) == (INT32_SCHEMA, 1)
    with pytest.raises(DataError) as info:
        converter.to_connect_data("t", out[:-1] + b',"x":2}')
    assert str(info.value) == ENVELOPE_ERROR


def test_invalid_json():
    for converter in (json_converter(), json_converter(**{"schemas.enable": False})):
        with pytest.raises(DataError, match="Converting byte\\[\\] to Kafka Connect data failed due to serialization"):
            converter.to_connect_data("t", b"{not json")


def test_null_handling():
    on, off = json_converter(), json_converter(**{"schemas.enable": "false"})
    assert on.from_connect_data("t", None, None) is None
    assert off.from_connect_data("t", None, None) is None
    assert on.to_connect_data("t", None) == NULL_SCHEMA_AND_VALUE
    assert off.to_connect_data("t", None) == NULL_SCHEMA_AND_VALUE
    out = on.from_connect_data("t", OPTIONAL_INT32_SCHEMA, None)
    assert json.loads(out) == {"schema": {"type": "int32", "optional": True}, "payload": None}
    assert on.to_connect_data("t", out) == (OPTIONAL_INT32_SCHEMA, None)
    assert off.from_connect_data("t", OPTIONAL_INT32_SCHEMA, None) is None
    assert off.to_connect_data("t", b"null") == (None, None)
    with pytest.raises(DataError, match="null value for field that is required"):
        on.from_connect_data("t", INT32_SCHEMA, None)


def test_schema_null_envelope():
    converter = json_converter()
    out = converter.from_connect_data("t", None, {"a": 1})
    assert out == b'{"schema":null,"payload":{"a":1}}'
    assert converter.to_connect_data("t", out) == (None, {"a": 1})


# -- JsonConverter: round trips ----------------------------------------------------------------

ROUND_TRIPS = [
    (INT8_SCHEMA, -128, "-128"),
    (INT16_SCHEMA, 32767, "32767"),
    (INT32_SCHEMA, -(2**31), str(-(2**31))),
    (INT64_SCHEMA, 2**63 - 1, str(2**63 - 1)),
    (FLOAT32_SCHEMA, 1.5, "1.5"),
    (FLOAT64_SCHEMA, -0.1, "-0.1"),
    (BOOLEAN_SCHEMA, True, "true"),
    (STRING_SCHEMA, "héllo \"x\"", '"héllo \\"x\\""'),
    (BYTES_SCHEMA, b"\x00\xffab", '"AP9hYg=="'),
    (SchemaBuilder.array(STRING_SCHEMA).build(), ["a", "b"], '["a","b"]'),
    (SchemaBuilder.map(STRING_SCHEMA, INT64_SCHEMA).build(), {"a": 1}, '{"a":1}'),
    (SchemaBuilder.map(INT32_SCHEMA, STRING_SCHEMA).build(), {1: "a", 2: "b"}, '[[1,"a"],[2,"b"]]'),
    (Decimal.schema(2), D("4.82"), '"AeI="'),
    (Decimal.schema(2), D("-4.82"), '"/h4="'),
    (Date.SCHEMA, dt.date(2022, 1, 8), "19000"),
    (Time.SCHEMA, dt.time(1), "3600000"),
    (Timestamp.SCHEMA, dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC), "1700000000000"),
]


@pytest.mark.parametrize("schema, value, payload", ROUND_TRIPS)
def test_round_trip_with_schemas(schema, value, payload):
    converter = json_converter()
    out = converter.from_connect_data("t", schema, value)
    assert out.endswith(b',"payload":' + payload.encode() + b"}")
    sv = converter.to_connect_data("t", out)
    assert sv.schema == schema and sv.value == value


@pytest.mark.parametrize("schema, value, payload", ROUND_TRIPS)
def test_round_trip_without_schemas(schema, value, payload):
    converter = json_converter(**{"schemas.enable": False})
    out = converter.from_connect_data("t", schema, value)
    assert out == payload.encode()
    sv = converter.to_connect_data("t", out)
    assert sv.schema is None and sv.value == json.loads(payload)


def test_struct_round_trip_nested():
    inner = SchemaBuilder.struct().name("inner").field("x", OPTIONAL_INT32_SCHEMA).optional().build()
    schema = (
        SchemaBuilder.struct().name("outer")
        .field("in", inner)
        .field("items", SchemaBuilder.array(inner).build())
        .field("by_id", SchemaBuilder.map(INT64_SCHEMA, inner).build())
        .field("f", FLOAT64_SCHEMA)
        .build()
    )
    value = (
        Struct(schema).put("in", Struct(inner).put("x", 1))
        .put("items", [Struct(inner), Struct(inner).put("x", 2)])
        .put("by_id", {7: Struct(inner).put("x", 3)})
        .put("f", 2.5)
    )
    converter = json_converter()
    out = converter.from_connect_data("t", schema, value)
    assert json.loads(out)["payload"] == {
        "in": {"x": 1}, "items": [{"x": None}, {"x": 2}], "by_id": [[7, {"x": 3}]], "f": 2.5,
    }
    sv = converter.to_connect_data("t", out)
    assert sv.schema == schema and sv.value == value


def test_float_non_finite_round_trip():
    converter = json_converter()
    out = converter.from_connect_data("t", SchemaBuilder.array(FLOAT64_SCHEMA).build(), [math.nan, math.inf, -math.inf])
    assert out.endswith(b'"payload":["NaN","Infinity","-Infinity"]}')
    nan, inf, minus_inf = converter.to_connect_data("t", out).value
    assert math.isnan(nan) and inf == math.inf and minus_inf == -math.inf


def test_decimal_numeric_format():
    converter = json_converter(**{"decimal.format": "numeric"})
    schema = Decimal.schema(2)
    assert converter.from_connect_data("t", schema, D("4.82")).endswith(b'"payload":4.82}')
    big = D("12345678901234567890123.45")
    out = converter.from_connect_data("t", schema, big)
    assert out.endswith(b'"payload":12345678901234567890123.45}')
    assert converter.to_connect_data("t", out).value == big
    assert converter.to_connect_data("t", out).value == big  # cached-prefix path
    assert str(converter.to_connect_data("t", out.replace(b"23.45}", b"23.40}")).value).endswith("23.40")


def test_decimal_numeric_inside_struct_without_schemas():
    converter = json_converter(**{"decimal.format": "NUMERIC", "schemas.enable": "false"})
    schema = SchemaBuilder.struct().field("p", Decimal.schema(3)).field("q", FLOAT64_SCHEMA).build()
    out = converter.from_connect_data("t", schema, Struct(schema).put("p", D("-0.125")).put("q", 0.5))
    assert out == b'{"p":-0.125,"q":0.5}'


def test_decimal_reader_accepts_both_formats():
    base64_converter = json_converter()
    numeric = json_converter(**{"decimal.format": "NUMERIC"})
    schema = Decimal.schema(2)
    value = D("-123.45")
    for writer in (base64_converter, numeric):
        out = writer.from_connect_data("t", schema, value)
        for reader in (base64_converter, numeric):
            assert reader.to_connect_data("t", out).value == value


def test_decimal_base64_known_bytes():
    out = json_converter().from_connect_data("t", Decimal.schema(2), D("4.82"))
    assert json.loads(out)["payload"] == "AeI="
    assert base64.b64decode("AeI=") == b"\x01\xe2"


def test_decimal_format_invalid():
    with pytest.raises(ConfigError, match="decimal.format"):
        json_converter(**{"decimal.format": "HEX"})


def test_replace_null_with_default():
    schema = (
        SchemaBuilder.struct()
        .field("a", SchemaBuilder.int32().optional().default_value(42).build())
        .field("b", SchemaBuilder.string().default_value("x").build())
        .build()
    )
    value = Struct(schema)
    replacing = json_converter(**{"schemas.enable": False})
    assert replacing.from_connect_data("t", schema, value) == b'{"a":42,"b":"x"}'
    keeping = json_converter(**{"schemas.enable": False, "replace.null.with.default": "false"})
    with pytest.raises(DataError, match="required"):
        keeping.from_connect_data("t", schema, value)  # b is required: no default to fall back on
    value.put("b", "y")
    assert keeping.from_connect_data("t", schema, value) == b'{"a":null,"b":"y"}'
    # Reading: a null with a default becomes the default unless disabled.
    with_schema = json_converter()
    out = with_schema.from_connect_data("t", schema, Struct(schema).put("b", "y"))
    assert json.loads(out)["schema"]["fields"][0]["default"] == 42
    raw = out.replace(b'"a":42', b'"a":null')
    assert with_schema.to_connect_data("t", raw).value.get_without_default("a") == 42
    no_replace = json_converter(**{"replace.null.with.default": False})
    assert no_replace.to_connect_data("t", raw).value.get_without_default("a") is None


def test_map_with_non_string_keys_schemaless():
    converter = json_converter(**{"schemas.enable": False})
    assert converter.from_connect_data("t", None, {1: "a", 2: "b"}) == b'[[1,"a"],[2,"b"]]'
    assert converter.from_connect_data("t", None, {"k": {1: 2}}) == b'{"k":[[1,2]]}'


def test_schemaless_python_values():
    converter = json_converter(**{"schemas.enable": False})
    value = {
        "n": None, "b": True, "i": 3, "f": 1.25, "s": "x", "l": [1, (2, 3)], "raw": b"\x01",
        "dec": D("1.10"), "ts": dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC), "d": dt.date(1970, 1, 2),
    }
    assert json.loads(converter.from_connect_data("t", None, value)) == {
        "n": None, "b": True, "i": 3, "f": 1.25, "s": "x", "l": [1, [2, 3]], "raw": "AQ==",
        "dec": 1.1, "ts": 1000, "d": 86_400_000,
    }
    assert converter.from_connect_data("t", None, {"dec": D("1.10")}) == b'{"dec":1.10}'
    with pytest.raises(DataError):
        converter.from_connect_data("t", None, object())


def test_schemaless_read():
    converter = json_converter(**{"schemas.enable": "false"})
    assert converter.to_connect_data("t", b'{"a":[1,2.5,"x",null,true]}') == (None, {"a": [1, 2.5, "x", None, True]})
    assert converter.to_connect_data("t", bytearray(b"7")) == (None, 7)


def test_type_errors():
    converter = json_converter()
    with pytest.raises(DataError):
        converter.from_connect_data("t", INT32_SCHEMA, "1")
    with pytest.raises(DataError):
        converter.from_connect_data("t", INT8_SCHEMA, 300)
    with pytest.raises(DataError, match="Mismatching schema"):
        other = SchemaBuilder.struct().field("z", INT32_SCHEMA).build()
        converter.from_connect_data("t", order_schema(), Struct(other).put("z", 1))
    raw = converter.from_connect_data("t", order_schema(), order()).replace(b'"id":1', b'"id":"one"')
    with pytest.raises(DataError):
        converter.to_connect_data("x", raw)
    raw = raw.replace(b'"id":"one",', b"")
    with pytest.raises(DataError, match="Invalid null value for required INT32 field"):
        converter.to_connect_data("x", raw)


def test_struct_given_as_dict_is_accepted():
    converter = json_converter(**{"schemas.enable": False})
    schema = SchemaBuilder.struct().field("id", INT32_SCHEMA).field("name", OPTIONAL_STRING_SCHEMA).build()
    assert converter.from_connect_data("t", schema, {"id": 1}) == b'{"id":1,"name":null}'


def test_equal_schema_objects_share_cache():
    converter = json_converter()
    a = converter.from_connect_data("t", order_schema(), order())
    b = converter.from_connect_data("t", order_schema(), order())
    assert a == b and len(converter._entries) == 1


def test_schema_cache_is_bounded():
    converter = json_converter(**{"schemas.cache.size": "2"})
    for i in range(5):
        schema = SchemaBuilder.int32().name(f"n{i}").build()
        converter.to_connect_data("t", converter.from_connect_data("t", schema, i))
    assert len(converter._entries) <= 2 and len(converter._parsed) <= 2


def test_schema_parsing_errors():
    converter = json_converter()
    cases = {
        b'{"schema":{"optional":true},"payload":1}': "Schema must contain 'type' field",
        b'{"schema":{"type":"uint8"},"payload":1}': "Unknown schema type: uint8",
        b'{"schema":{"type":"array"},"payload":[]}': "Array schema did not specify the element type",
        b'{"schema":{"type":"struct"},"payload":{}}': 'Struct schema\'s "fields" argument is not an array.',
        b'{"schema":{"type":"string","parameters":{"a":1}},"payload":"x"}': "Schema parameters must have string",
    }
    for raw, message in cases.items():
        with pytest.raises(DataError) as info:
            converter.to_connect_data("t", raw)
        assert message in str(info.value)


def test_json_config_keys_and_configure_strings():
    names = [k["name"] for k in JsonConverter.config_keys()]
    assert names == ["converter.type", "schemas.enable", "schemas.cache.size", "decimal.format",
                     "replace.null.with.default"]
    key = JsonConverter.config_keys()[1]
    assert set(key) == {"name", "type", "required", "default_value", "importance", "documentation", "group",
                        "width", "display_name", "dependents", "order"}
    assert key["default_value"] == "true" and key["type"] == "BOOLEAN" and key["group"] == "Schemas"
    converter = json_converter(**{"schemas.enable": "FALSE", "schemas.cache.size": "10", "unknown.key": 1})
    assert converter.schemas_enable is False and converter.cache_size == 10
    with pytest.raises(ConfigError) as info:
        json_converter(**{"schemas.enable": "nope"})
    assert str(info.value) == (
        "Invalid value nope for configuration schemas.enable: Expected value to be either true or false"
    )


def test_envelope_names_float_types_as_kafka_does():
    conv = JsonConverter()
    conv.configure({}, False)
    schema = SchemaBuilder.struct().field("f", FLOAT32_SCHEMA).field("d", FLOAT64_SCHEMA).build()
    doc = json.loads(conv.from_connect_data("t", schema, Struct(schema).put("f", 1.5).put("d", 2.5)))
    assert [f["type"] for f in doc["schema"]["fields"]] == ["float", "double"]
    back = conv.to_connect_data("t", json.dumps(doc).encode())
    assert [f.schema.type for f in back.schema.fields] == [Type.FLOAT32, Type.FLOAT64]
    legacy = {"schema": {"type": "float64", "optional": False}, "payload": 1.0}
    assert conv.to_connect_data("t", json.dumps(legacy).encode()).schema.type == Type.FLOAT64


# -- JsonConverter: the generated struct decoder's inline fast paths ---------------------------
# Each struct field's value must decode exactly as the field's own (general) decoder does on its
# own, errors included: the inline Decimal / Timestamp / Date / primitive paths only shortcut it.

def _outcome(fn, value):
    try:
        result = fn(value)
    except Exception as exc:  # noqa: BLE001 - comparing failures too
        return ("error", type(exc), str(exc))
    return ("ok", type(result), result, getattr(result, "as_tuple", lambda: None)(),
            getattr(result, "tzinfo", None))


def _b64_unscaled(n):
    length = (n if n >= 0 else ~n).bit_length() // 8 + 1
    return base64.b64encode(n.to_bytes(length, "big", signed=True)).decode()


_TS_MIN = (dt.datetime(1, 1, 1, tzinfo=UTC) - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(milliseconds=1)
_TS_MAX = (dt.datetime.max.replace(tzinfo=UTC) - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(milliseconds=1)
_DATE_MIN = 1 - dt.date(1970, 1, 1).toordinal()
_DATE_MAX = dt.date.max.toordinal() - dt.date(1970, 1, 1).toordinal()

_UNSCALED = [0, 1, -1, 5, -5, 127, 128, -128, -129, 255, 256, -256, 123456789012, -123456789012,
             10**30 + 7, -(10**30) - 7, 2**8191, -(2**8191), 10**2500, -(10**2500), 10**5000, -(10**5000)]
_BAD_BASE64 = ["", "=", "A", "AA", "AA=", "AA===", "!!!!", "AAAA\n", " AAA", "AA==AA==", "é", "AA-_", "AAAAAA=="]
_FIELD_CASES = [
    (Decimal.schema(0), [_b64_unscaled(n) for n in _UNSCALED] + _BAD_BASE64 + [None, 5, True, [1], {"a": 1}]),
    (Decimal.schema(2, optional=True), [_b64_unscaled(n) for n in _UNSCALED] + _BAD_BASE64 + [None, -7, D("1.25")]),
    (Decimal.schema(5), [_b64_unscaled(n) for n in _UNSCALED] + [None]),
    (Decimal.schema(-3), [_b64_unscaled(n) for n in _UNSCALED] + [None]),
    (Decimal.schema(40, optional=True), [_b64_unscaled(n) for n in _UNSCALED]),
    (Timestamp.SCHEMA, [0, 1, -1, -86_400_001, -62_135_596_800_001, 1_700_000_000_123, _TS_MIN, _TS_MIN - 1,
                        _TS_MAX, _TS_MAX + 1, 2**63 - 1, -(2**63), 2**63, None, True, 1.5, "1", [0]]),
    (Timestamp.OPTIONAL_SCHEMA, [None, 0, -1, -1_000_000_000_000, _TS_MAX + 1, False, 0.0]),
    (Date.SCHEMA, [0, 1, -1, 19_000, -25_000, _DATE_MIN, _DATE_MIN - 1, _DATE_MAX, _DATE_MAX + 1,
                   2**31 - 1, 2**31, -(2**31), None, True, 1.0, "1"]),
    (Date.OPTIONAL_SCHEMA, [None, 0, -1, _DATE_MAX + 1, False]),
    (Time.OPTIONAL_SCHEMA, [None, 0, 86_399_999, 86_400_000, -1, True]),
    (INT32_SCHEMA, [0, -(2**31), 2**31 - 1, 2**31, None, True, 1.5, 2.0, "1"]),
    (OPTIONAL_INT32_SCHEMA, [None, 7, 2**31, False]),
    (INT64_SCHEMA, [0, 2**63 - 1, 2**63, -(2**63) - 1, None, 3.0]),
    (STRING_SCHEMA, ["", "x", None, 1, True]),
    (OPTIONAL_STRING_SCHEMA, ["", "x", None, 1, False, ["x"]]),
    (FLOAT64_SCHEMA, [0.0, -1.5, 3, "NaN", "Infinity", None, True, "x"]),
    (BOOLEAN_SCHEMA, [True, False, None, 1, "true"]),
    (OPTIONAL_BYTES_SCHEMA, ["AAEC", None, "!", 3]),
    (SchemaBuilder.int32().optional().default_value(42).build(), [None, 1, "x"]),
    (SchemaBuilder.string().default_value("dflt").build(), [None, "y", 5]),
    (Timestamp.builder().optional().default_value(dt.datetime(2020, 1, 1, tzinfo=UTC)).build(), [None, 0]),
    (Date.builder().optional().default_value(dt.date(2020, 1, 1)).build(), [None, 0]),
    (Decimal.builder(2).optional().default_value(D("1.00")).build(), [None, "AQ=="]),
]


@pytest.mark.parametrize("replace", [True, False])
@pytest.mark.parametrize("field_schema,values", _FIELD_CASES)
def test_struct_decoder_fields_match_general_decoder(field_schema, values, replace):
    converter = json_converter(**{"replace.null.with.default": replace})
    schema = SchemaBuilder.struct().field("before", INT32_SCHEMA).field("f", field_schema).build()
    field_decode = converter._decoder(field_schema)
    struct_decode = converter._decoder(schema)
    for value in values:
        expected = _outcome(field_decode, value)
        got = _outcome(lambda v: struct_decode({"before": 1, "f": v}).values[1], value)
        assert got == expected, (value, got, expected)
        if value is None:  # a missing field reads as null
            got = _outcome(lambda v: struct_decode({"before": 1}).values[1], value)
            assert got == expected, ("missing", got, expected)


def test_struct_decoder_inline_logical_values():
    schema = (
        SchemaBuilder.struct()
        .field("amount", Decimal.schema(2, 12)).field("whole", Decimal.schema(0))
        .field("ts", Timestamp.SCHEMA).field("day", Date.SCHEMA).field("note", OPTIONAL_STRING_SCHEMA)
        .build()
    )
    converter = json_converter()
    out = converter.from_connect_data("t", schema, Struct(schema)
                                      .put("amount", D("-0.05")).put("whole", D("-129"))
                                      .put("ts", dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC))
                                      .put("day", dt.date(1969, 12, 31)))
    assert json.loads(out)["payload"] == {"amount": _b64_unscaled(-5), "whole": _b64_unscaled(-129),
                                          "ts": -1, "day": -1, "note": None}
    for _ in range(2):  # the second read takes the cached-prefix path
        value = converter.to_connect_data("t", out).value
        assert value.values == [D("-0.05"), D("-129"), dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
                                dt.date(1969, 12, 31), None]
        assert value.get("amount").as_tuple() == D("-0.05").as_tuple()
        assert value.get("ts").tzinfo is UTC
    zero = converter.to_connect_data("t", out.replace(_b64_unscaled(-5).encode(), b"AA==")).value.get("amount")
    assert zero.as_tuple() == D("0.00").as_tuple()
    with pytest.raises(DataError, match="Invalid bytes for Decimal field"):
        converter.to_connect_data("t", out.replace(_b64_unscaled(-5).encode(), b"A!=="))


def test_struct_decoder_null_handling():
    inner = SchemaBuilder.struct().field("x", INT32_SCHEMA).build()
    optional_inner = SchemaBuilder.struct().field("x", INT32_SCHEMA).optional().build()
    converter = json_converter()
    with pytest.raises(DataError, match="Invalid null value for required STRUCT field"):
        converter._decoder(inner)(None)
    with pytest.raises(DataError, match="Structs should be encoded as JSON objects, but found"):
        converter._decoder(inner)([1])
    assert converter._decoder(optional_inner)(None) is None
    outer = SchemaBuilder.struct().field("a", optional_inner).field("b", inner).build()
    decoded = converter._decoder(outer)({"a": None, "b": {"x": 3}})
    assert decoded.get("a") is None and decoded.get("b").get("x") == 3
    with pytest.raises(DataError, match="Invalid null value for required STRUCT field"):
        converter._decoder(outer)({"a": None})


def test_cached_prefix_with_trailing_whitespace_and_truncation():
    converter = json_converter()
    out = converter.from_connect_data("t", order_schema(), order())
    assert converter.to_connect_data("t", out).value == order()
    assert converter.to_connect_data("t", out + b" \n").value == order()  # rstrip path
    assert converter.to_connect_data("t", out).value == order()  # cached prefix, exact end
    for broken in (out[:-1], out[:-2] + b"}", out + b"x"):
        with pytest.raises(DataError):
            converter.to_connect_data("t", broken)
