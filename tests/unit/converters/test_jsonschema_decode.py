"""The JSON Schema converter's read side: generated struct decoders and the steady-state path.

The generated struct decoder converts well-typed values inline and hands everything else to the
field's full decoder; here every field kind gets values of every JSON kind, and the struct
decoder must give exactly what the full decoder gives (value, type and Decimal exponent) or the
same error. The converter's steady-state path (the previous record's schema id) must read what
the general path reads, run validation when it is configured, and report bad input the same way.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from typing import Any

import orjson
import pytest

from dbconnect.api.data import (
    BOOLEAN_SCHEMA, BYTES_SCHEMA, FLOAT32_SCHEMA, FLOAT64_SCHEMA, INT8_SCHEMA, INT16_SCHEMA, INT32_SCHEMA,
    INT64_SCHEMA, STRING_SCHEMA, Date, Decimal, SchemaBuilder, Struct, Time, Timestamp,
)
from dbconnect.api.errors import DataError
from dbconnect.converters.jsonschema import JsonSchemaConverter
from dbconnect.registry.errors import SchemaRegistryError
from dbconnect.converters.jsonschema_values import MISSING, NeedExact, ValueCodec

UTC = dt.timezone.utc
FIELDS = {
    "i8": INT8_SCHEMA, "i16": INT16_SCHEMA, "i32": INT32_SCHEMA, "i64": INT64_SCHEMA,
    "i64_opt": SchemaBuilder.int64().optional().build(),
    "i64_def": SchemaBuilder.int64().default_value(7).build(),
    "f32": FLOAT32_SCHEMA, "f64": FLOAT64_SCHEMA, "f64_opt": SchemaBuilder.float64().optional().build(),
    "s": STRING_SCHEMA, "s_opt": SchemaBuilder.string().optional().build(),
    "s_def": SchemaBuilder.string().default_value("d").build(),
    "b": BOOLEAN_SCHEMA, "bytes": BYTES_SCHEMA,
    "dec": Decimal.schema(2), "dec_opt": Decimal.schema(2, optional=True),
    "dec_def": Decimal.builder(3).default_value(decimal.Decimal("1.250")).build(),
    "dec_neg": Decimal.schema(-2), "dec0": Decimal.schema(0, 12),
    "ts": Timestamp.SCHEMA, "ts_opt": Timestamp.builder().optional().build(),
    "ts_def": Timestamp.builder().default_value(dt.datetime(2020, 1, 1, tzinfo=UTC)).build(),
    "date": Date.SCHEMA, "date_opt": Date.builder().optional().build(), "time": Time.SCHEMA,
    "arr": SchemaBuilder.array(INT32_SCHEMA).build(),
    "nested": SchemaBuilder.struct().field("x", INT32_SCHEMA).optional().build(),
}
builder = SchemaBuilder.struct().name("Everything")
for _name, _schema in FIELDS.items():
    builder.field(_name, _schema)
SCHEMA = builder.build()


def b64(n: int) -> str:
    return base64.b64encode(n.to_bytes((n if n >= 0 else ~n).bit_length() // 8 + 1, "big", signed=True)).decode()


CANDIDATES = [
    MISSING, None, 0, 1, -1, 127, 128, -129, 2**31, -(2**31) - 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**20,
    19000, -719162, -719163, 2932896, 2932897, 253402300799999, 253402300800000, -62135596800000, -62135596800001,
    1.5, 2.0, -0.0, 1e308, "", "abc",
    # Decimals as JSON numbers (NUMERIC), read as floats: at, within and past the scale and the
    # 15-digit limit, exponents and negatives
    0.21, -0.05, 0.001, 12.345, 1.25, -1.25, 1234567890123.45, 12345678901234.5, 123456789012.345,
    99999999999.99, 999999999999.999, 1e-05, 1.5e-05, 1e16, 1.5e16, -1e-300, 0.1 + 0.2, "AQI=", "AQI", "====", b64(1234), b64(-1234), b64(0), "AA==", b64(10**2500),
    "NaN", "Infinity", "-Infinity", True, False, [], [1, 2], [1, "x"], {}, {"x": 1}, {"x": "y"},
]


def outcome(fn, value):
    try:
        result = fn(value)
    except (DataError, NeedExact, ValueError, TypeError, OverflowError) as exc:
        return ("error", type(exc).__name__, str(exc))
    if isinstance(result, Struct):
        return ("struct", result.schema, result.values)
    if isinstance(result, decimal.Decimal):
        return ("decimal", result.as_tuple())  # the exponent too: 1.50 is not 1.5
    return ("value", type(result), result)


def valid_document() -> dict:
    return {"i8": 1, "i16": 1, "i32": 1, "i64": 1, "i64_opt": 1, "i64_def": 1, "f32": 1.0, "f64": 1.0, "f64_opt": 1.0,
            "s": "a", "s_opt": "a", "s_def": "a", "b": True, "bytes": "AQI=", "dec": b64(150), "dec_opt": b64(1),
            "dec_def": b64(2), "dec_neg": b64(3), "dec0": b64(4), "ts": 0, "ts_opt": 1, "ts_def": 2, "date": 0,
            "date_opt": 1, "time": 0, "arr": [1], "nested": {"x": 1}}


def document_with(field: str, value: Any) -> dict:
    """A valid document with ``field`` set to ``value`` (left out for MISSING)."""
    document = valid_document()
    if value is MISSING:
        del document[field]
    else:
        document[field] = value
    return document


@pytest.mark.parametrize("field", list(FIELDS))
def test_struct_decoder_gives_what_each_field_decoder_gives(field):
    codec = ValueCodec()
    decode_struct = codec.decoder(SCHEMA)
    decode_field = codec.decoder(FIELDS[field])
    index = list(FIELDS).index(field)
    for value in CANDIDATES:
        document = document_with(field, value)
        expected = outcome(decode_field, value)
        got = outcome(decode_struct, document)
        if got[0] == "struct":
            got = outcome(lambda _v: got[2][index], value)
        assert got == expected, (field, value)


class FakeRegistry:
    """Enough of SchemaRegistryClient for the converter: ids by text, no subjects."""

    def __init__(self) -> None:
        self.texts: dict[int, str] = {}

    def register(self, subject, text, schema_type="JSON", normalize=False) -> int:
        for schema_id, known in self.texts.items():
            if known == text:
                return schema_id
        self.texts[len(self.texts) + 1] = text
        return len(self.texts)

    def get_schema(self, schema_id, subject=None):
        return self.texts[schema_id], "JSON"

    def lookup(self, subject, text, schema_type="JSON", normalize=False):
        raise SchemaRegistryError("not registered under this subject")


ORDER = (SchemaBuilder.struct().name("Order").field("id", INT64_SCHEMA).field("amount", Decimal.schema(2))
         .field("at", Timestamp.SCHEMA).build())
OTHER = SchemaBuilder.struct().name("Other").field("id", INT64_SCHEMA).field("note", STRING_SCHEMA).build()


def converters(**settings: str) -> tuple[JsonSchemaConverter, JsonSchemaConverter]:
    registry = FakeRegistry()
    writer, reader = JsonSchemaConverter(client=registry), JsonSchemaConverter(client=registry)
    writer.configure({"schema.registry.url": "http://unused", **settings}, is_key=False)
    reader.configure({"schema.registry.url": "http://unused", **settings}, is_key=False)
    return writer, reader


def order(i: int, amount: str = "12.10") -> Struct:
    return (Struct(ORDER).put("id", i).put("amount", decimal.Decimal(amount))
            .put("at", dt.datetime(2024, 1, 1, tzinfo=UTC) + dt.timedelta(milliseconds=i)))


def test_steady_state_reads_what_the_general_path_reads_across_schema_ids():
    writer, reader = converters()
    a1, a2 = writer.from_connect_data("t", ORDER, order(1)), writer.from_connect_data("t", ORDER, order(2, "-0.05"))
    b = writer.from_connect_data("t", OTHER, Struct(OTHER).put("id", 3).put("note", "n"))
    assert a1[:5] != b[:5]
    for message, schema, expected in ((a1, ORDER, order(1)), (a2, ORDER, order(2, "-0.05")),
                                      (b, OTHER, Struct(OTHER).put("id", 3).put("note", "n")),
                                      (a1, ORDER, order(1)), (a1, ORDER, order(1))):
        result = reader.to_connect_data("t", message)
        assert result.schema == schema and result.value == expected
        assert [v.as_tuple() if isinstance(v, decimal.Decimal) else v for v in result.value.values] == [
            v.as_tuple() if isinstance(v, decimal.Decimal) else v for v in expected.values]


def test_steady_state_reads_decimals_written_as_json_numbers_exactly():
    writer, reader = converters(**{"decimal.format": "NUMERIC"})
    first, second = order(1, "12.10"), order(2, "12345678901234567.89")
    reader.to_connect_data("t", writer.from_connect_data("t", ORDER, first))  # arms the steady state
    got = reader.to_connect_data("t", writer.from_connect_data("t", ORDER, second)).value.get("amount")
    assert got.as_tuple() == decimal.Decimal("12345678901234567.89").as_tuple()


def test_after_a_json_number_decimal_records_are_read_exactly_whatever_they_hold():
    writer, reader = converters(**{"decimal.format": "NUMERIC"})
    message = writer.from_connect_data("t", ORDER, order(1, "0.10"))
    assert reader.to_connect_data("t", message).value.get("amount").as_tuple() == decimal.Decimal("0.10").as_tuple()
    header = message[:5]
    # Numbers with more significant digits than a double keeps are re-read exactly (at the schema's
    # scale, which Connect's Decimal requires of every writer).
    for body, amount in ((b'{"id": 2, "amount": 12345678901234567.89, "at": 0}', "12345678901234567.89"),
                         (b'{"id": 3, "amount": "' + b64(-5).encode() + b'", "at": 0}', "-0.05"),
                         (b'{"id": 4, "amount": 7, "at": 0}', "7.00")):
        got = reader.to_connect_data("t", header + body).value
        assert got.get("amount").as_tuple() == decimal.Decimal(amount).as_tuple() and got.get("at") == dt.datetime(1970, 1, 1, tzinfo=UTC)
    with pytest.raises(DataError, match="Error deserializing JSON message for id 1"):
        reader.to_connect_data("t", header + b'{"id": 1, "amount": 1.5,')
    with pytest.raises(DataError, match="Error deserializing JSON message for id 1"):
        reader.to_connect_data("t", header + b'{"id": 1, "note": "\xff"}')


def test_steady_state_reports_bad_input_like_the_general_path():
    writer, reader = converters()
    message = writer.from_connect_data("t", ORDER, order(1))
    reader.to_connect_data("t", message)
    with pytest.raises(DataError, match="Unknown magic byte!"):
        reader.to_connect_data("t", b"\x01" + message[1:])
    with pytest.raises(DataError, match="Error deserializing JSON message for id 1"):
        reader.to_connect_data("t", message[:5] + b'{"id": 1,')
    with pytest.raises(DataError, match="Invalid null value for required INT64 field"):
        reader.to_connect_data("t", message[:5] + orjson.dumps({"id": None, "amount": b64(1), "at": 0}))
    assert reader.to_connect_data("t", message).value == order(1)


def test_validation_runs_for_every_record_when_configured():
    writer, _ = converters()
    reader = JsonSchemaConverter(client=writer.client)
    reader.configure({"schema.registry.url": "http://unused", "json.fail.invalid.schema": "true"}, is_key=False)
    other = Struct(OTHER).put("id", 3).put("note", "n")
    message = writer.from_connect_data("t", OTHER, other)
    assert reader.to_connect_data("t", message).value == other
    assert reader.to_connect_data("t", message).value == other
    with pytest.raises(DataError, match="JSON does not match its schema"):
        reader.to_connect_data("t", message[:5] + orjson.dumps({"id": "one", "note": "n"}))


def _exact(values):
    """Values compared with their types and Decimal exponents (1.50 is not 1.5)."""
    return [(type(v), v.as_tuple() if isinstance(v, decimal.Decimal) else v) for v in values]


@pytest.mark.parametrize("decimal_format", ["BASE64", "NUMERIC"])
def test_projected_row_decoder_gives_the_values_decoders_selection_or_its_error(decimal_format):
    # The sink fast path's projected rows (api/sink_rows.py): a projection must decode every
    # field as the values decoder does — the same values at the chosen indices, in the chosen
    # order, and the same error for a bad field it does not return.
    writer, reader = converters(**{"decimal.format": decimal_format})
    first = writer.from_connect_data("t", SCHEMA, _everything())
    reader.to_connect_data("t", first)  # the schema id is known now
    decoder = reader.row_decoder("t", first)
    assert decoder is not None and decoder.project is not None
    header = first[:5]
    names = list(FIELDS)
    picks = [(), (names.index("i64"),), tuple(reversed(range(len(names)))), (3, 3, 0)]
    projections = [decoder.project(p) for p in picks]
    for field in names:
        for value in CANDIDATES:
            document = document_with(field, value)
            message = header + json.dumps(document).encode()  # (orjson refuses 10**20)
            expected = outcome(decoder.decode, message)
            for pick, project in zip(picks, projections):
                got = outcome(project, message)
                if expected[0] == "error":
                    assert got == expected, (field, value, pick)
                else:
                    assert got[0] == "value" and got[1] is tuple, (field, value, pick, got)
                    assert _exact(got[2]) == _exact([expected[2][i] for i in pick]), (field, value, pick)


def _everything() -> Struct:
    s = Struct(SCHEMA)
    document = valid_document()
    codec = ValueCodec()
    for name, schema in FIELDS.items():
        s.put(name, codec.decoder(schema)(document[name]))
    return s


def _float_candidates(scale: int) -> list[float]:
    """JSON numbers read as floats around everything the inline Decimal test decides on: digits
    at, within and past the scale, 15 and 16 significant digits, the 10**(15 - scale) limit,
    1e-4 (repr's exponent form below it), zero, signs and the extremes of a double."""
    import random

    rng = random.Random(scale)
    limit = 10 ** (15 - scale)
    out = [0.0, -0.0, 1e-4, -1e-4, 9.9e-5, 1e-5, 5e-324, 1.7976931348623157e308, float(limit), -float(limit),
           float(limit) * (1 - 2 ** -52), float(limit) * (1 + 2 ** -52), 0.5, 0.1 + 0.2, 1 / 3, 2 ** 53, 2.0 ** 60]
    for digits in range(1, 18):
        for _ in range(40):
            n = rng.randrange(10 ** (digits - 1), 10 ** digits)
            for exponent in (scale, scale - 1, scale + 1, max(0, scale - 3), scale + 3):
                text = f"{'-' if rng.random() < 0.5 else ''}{n}e-{exponent}"
                out.append(float(text))
    return out


@pytest.mark.parametrize("scale", list(range(1, 16)))
def test_inline_float_decimals_give_what_the_field_decoder_gives_at_every_scale(scale):
    # The generated decoder converts a JSON number at the schema's scale inline (json_codec's
    # _float_decimal_source); anything it may not decide goes to the field's full decoder. Both
    # must give the same Decimal (digits, exponent, sign) or the same NeedExact.
    field = Decimal.builder(scale).optional().build()
    schema = SchemaBuilder.struct().name("D").field("d", field).build()
    codec = ValueCodec("NUMERIC")
    decode_struct, decode_field = codec.decoder(schema), codec.decoder(field)
    inline = 0
    for value in _float_candidates(scale):
        expected = outcome(decode_field, value)
        got = outcome(lambda v: decode_struct({"d": v}).values[0], value)
        assert got == expected, (scale, repr(value))
        inline += expected[0] == "decimal"
    assert inline > 100  # the inline form was exercised, not only the fallback


def test_inline_float_decimals_do_not_depend_on_the_threads_decimal_context():
    # A plugin may lower the thread's decimal precision; the inline form (scaleb) stays exact, as
    # the field decoder (quantize in its own context) does.
    field = Decimal.schema(2)
    schema = SchemaBuilder.struct().name("D").field("d", field).build()
    codec = ValueCodec("NUMERIC")
    decode_struct, decode_field = codec.decoder(schema), codec.decoder(field)
    with decimal.localcontext(decimal.Context(prec=3)):
        for value in (6999.93, -1234567890.12, 0.05):
            got = decode_struct({"d": value}).values[0]
            assert got.as_tuple() == decode_field(value).as_tuple() == decimal.Decimal(repr(value)).quantize(
                decimal.Decimal("0.01"), context=decimal.Context(prec=40)).as_tuple()
