"""Pre-encoded JSON payloads (dbconnect/api/payload.py) and the converters that take them."""

from __future__ import annotations

import datetime as dt
import decimal

import orjson
import pytest

from dbconnect.api.data import Date, Decimal, SchemaBuilder, Timestamp, Type
from dbconnect.api.payload import BOOL, FLOAT, FRAGMENT, JsonPayloadFormat, JsonRowShape, JsonRowStruct
from dbconnect.converters.json import JsonConverter
from dbconnect.converters.string import StringConverter

SCHEMA = (SchemaBuilder.struct().name("t")
          .field("id", SchemaBuilder.int64().build())
          .field("score", SchemaBuilder.float64().optional().build())
          .field("amount", Decimal.builder(2).optional().build())
          .field("flag", SchemaBuilder.bool().optional().build())
          .field("born", Date.builder().optional().build())
          .field("seen", Timestamp.builder().optional().build())
          .build())
KINDS = [None, FLOAT, FRAGMENT, BOOL, None, None]


def test_the_generated_encoder_writes_the_row_in_field_order():
    shape = JsonRowShape(SCHEMA, JsonPayloadFormat("NUMERIC"), KINDS)
    row = (7, float("nan"), "12.50", 1, 19782, 1704164645678, "extra offset column")
    assert orjson.loads(shape.encode(row)) == {"id": 7, "score": "NaN", "amount": 12.5, "flag": True,
                                               "born": 19782, "seen": 1704164645678}
    assert shape.encode(row).startswith(b'{"id":7,"score":"NaN","amount":12.50,')
    assert orjson.loads(shape.encode((1, float("-inf"), None, None, None, None))) == {
        "id": 1, "score": "-Infinity", "amount": None, "flag": None, "born": None, "seen": None}


def test_key_shapes_pick_their_columns():
    key_schema = SchemaBuilder.struct().field("id", SchemaBuilder.int64().build()).build()
    shape = JsonRowShape(key_schema, JsonPayloadFormat(), [None], [2])
    assert shape.encode(("a", "b", 42)) == b'{"id":42}'


def test_values_are_decoded_lazily_and_exactly():
    fmt = JsonPayloadFormat("NUMERIC")
    struct = JsonRowStruct.of(JsonRowShape(SCHEMA, fmt, KINDS), (7, 1.5, "12.50", 0, 1, 1000, None))
    assert struct.payload(fmt) is not None
    assert struct.get("amount") == decimal.Decimal("12.50")
    assert struct.values == [7, 1.5, decimal.Decimal("12.50"), False, dt.date(1970, 1, 2),
                             dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.timezone.utc)]
    # Once the values exist they may have changed: they win over the row.
    struct.put("id", 8)
    assert struct.payload(fmt) is None
    assert struct.values[0] == 8


def test_converters_take_only_their_own_format():
    converter = JsonConverter()
    converter.configure({"schemas.enable": "false"}, False)
    mine = converter.json_payload_format()
    row = (7, 0.5, "AQ==", 1, 0, 0)
    ours = JsonRowStruct.of(JsonRowShape(SCHEMA, mine, [None, FLOAT, None, BOOL, None, None]), row)
    theirs = JsonRowStruct.of(JsonRowShape(SCHEMA, JsonPayloadFormat(), [None, FLOAT, None, BOOL, None, None]), row)
    assert converter.from_connect_data("t", SCHEMA, ours) == ours.shape.encode(row)
    # Another format object (even an equal one): encoded from the decoded values, same JSON.
    assert orjson.loads(converter.from_connect_data("t", SCHEMA, theirs)) == orjson.loads(ours.shape.encode(row))
    assert StringConverter().json_payload_format() is None


def test_shapes_check_their_kinds():
    with pytest.raises(ValueError):
        JsonRowShape(SCHEMA, JsonPayloadFormat(), [None])
    with pytest.raises(ValueError):
        JsonRowShape(SCHEMA, JsonPayloadFormat(), ["?"] * 6)
    assert SCHEMA.field("id").schema.type is Type.INT64


def test_a_row_batch_is_a_sequence_of_records():
    from dbconnect.api.payload import JsonRowBatch

    key_schema = SchemaBuilder.struct().field("id", SchemaBuilder.int64().build()).build()
    fmt = JsonPayloadFormat()
    rows = [(1, 0.5, "AQ==", 1, 0, 0), (2, None, None, None, None, None)]
    batch = JsonRowBatch("t", {"table": "x"}, JsonRowShape(SCHEMA, fmt, KINDS[:2] + [None, BOOL, None, None]),
                         JsonRowShape(key_schema, fmt, [None], [0]), rows, lambda row: {"incrementing": row[0]})
    assert len(batch) == 2 and bool(batch)
    records = list(batch)
    assert [r.source_offset for r in records] == [{"incrementing": 1}, {"incrementing": 2}]
    assert records[1].value.values[1:] == [None] * 5 and records[1].key.values == [2]
    assert batch[-1].value.get("id") == 2 and [r.key.get("id") for r in batch[1:]] == [2]
    with pytest.raises(IndexError):
        batch[2]
    assert batch.offset(0) == {"incrementing": 1}


def test_the_framer_writes_what_the_converters_would():
    from dbconnect.api.payload import compile_framer

    key_schema = SchemaBuilder.struct().field("id", SchemaBuilder.int64().build()).build()
    fmt = JsonPayloadFormat("NUMERIC")
    value_shape = JsonRowShape(SCHEMA, fmt, KINDS)
    key_shape = JsonRowShape(key_schema, fmt, [None], [0])
    rows = [(7, float("inf"), "1.50", 0, 3, 4), (8, None, None, None, None, None)]
    frame = compile_framer(value_shape, (b"\x00\x00\x00\x00\x07", b""), key_shape, (b"<", b">"))
    assert frame(rows) == [
        {"value": b"\x00\x00\x00\x00\x07" + value_shape.encode(row), "key": b"<" + key_shape.encode(row) + b">"}
        for row in rows]
    assert frame(rows)[0]["key"] == b'<{"id":7}>'
    assert compile_framer(value_shape, (b"", b"}"), None, None)(rows[:1]) == [
        {"value": value_shape.encode(rows[0]) + b"}", "key": None}]


def test_a_format_that_refuses_non_finite_floats():
    """non_finite_floats="FAIL" (the JsonSchemaConverter's default): a NaN/±Infinity row cannot be
    encoded — by the shape or by a framer, so the runtime sends the batch record by record and
    the converter's DataError meets errors.tolerance — yet its Connect values stay readable."""
    from dbconnect.api.errors import DataError
    from dbconnect.api.payload import compile_framer

    fmt = JsonPayloadFormat("NUMERIC", "FAIL")
    shape = JsonRowShape(SCHEMA, fmt, KINDS)
    assert shape.encode((7, 1.5, "12.50", 1, 0, 0)) == \
        b'{"id":7,"score":1.5,"amount":12.50,"flag":true,"born":0,"seen":0}'
    nan_row = (7, float("nan"), "12.50", 1, 0, 0)
    with pytest.raises(DataError, match="Invalid float value NaN: JSON has no number for NaN or Infinity"):
        shape.encode(nan_row)
    with pytest.raises(DataError, match="Invalid float value -Infinity"):
        rows = [(1, 2.5, None, None, None, None), (2, float("-inf"), None, None, None, None)]
        compile_framer(shape, (b"", b""), None, None)(rows)
    struct = JsonRowStruct.of(shape, nan_row)
    with pytest.raises(DataError):
        struct.payload(fmt)
    assert struct.values[0] == 7 and struct.values[1] != struct.values[1]  # NaN, decoded all the same
    assert struct.get("amount") == decimal.Decimal("12.50")
