"""JSON-ready rows (dbconnect/api/payload.py) against the ordinary path, on a real PostgreSQL.

For every mapped type and awkward values, a querier reading JSON-ready rows must give exactly the
bytes the JsonSchemaConverter writes from the ordinary Structs, in both decimal formats and both
ways of treating NaN/±Infinity floats (refusing the row in both paths alike), in every mode, with
db.timezone set or not; and its lazily decoded values must equal the ordinary ones.
"""

from __future__ import annotations

import datetime as dt
import decimal

import orjson
import pytest

from dbconnect.api.errors import DataError
from dbconnect.api.payload import JsonPayloadFormat, JsonRowStruct
from dbconnect.connectors.jdbc.dialect import TableId
from dbconnect.converters.json import JsonConverter
from dbconnect.converters.jsonschema_values import ValueCodec

from .jdbc_helpers import Db
from .json_ready_helpers import json_schema_converter, payload_bytes, read_rows

pytestmark = pytest.mark.integration

ROWS = [
    # id, small, int, big, num(10,3), num(18,0), num_free, real, double, bool, text, varchar, char, bytea,
    # date, time, ts, tstz, json, jsonb, uuid, mood, interval, best(5,2)
    """(DEFAULT, -12, 123456, 9000000000, 1234.567, 999999999999999999, 0.0000001, 1.1, 2.25, true, 'héllo "q" \\ \t',
        'v', 'ab', '\\x00ff', '2024-02-29', '13:14:15.123456', '2024-01-02 03:04:05.678901',
        '2024-01-02 03:04:05.678+02', '{"a": 1}', '{"b": [1, 2]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        'happy', '1 day 2 hours', 123.45)""",
    """(DEFAULT, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, NULL, NULL, NULL, NULL, NULL)""",
    """(DEFAULT, 32767, -2147483648, -9223372036854775808, -0.001, -999999999999999999, -12345678901234567890.5,
        'NaN', 'Infinity', false, '', 'x', 'abcd', decode(repeat('ab', 100), 'hex'), '1969-12-31', '00:00:00',
        '1969-12-31 23:59:59.999501', '1900-01-01 00:00:00+00', '[]', 'null', '00000000-0000-0000-0000-000000000000',
        'sad', '-1 mons', -999.99)""",
    """(DEFAULT, 0, 0, 0, -128.000, 128, 0, '-Infinity', 'NaN', true, 'ünïcödé ✓ \x01', 'y', NULL, '\\x',
        '0001-01-01', '23:59:59.999999', '2262-04-11 23:47:16.854775', '2038-01-19 03:14:08+00', '"s"', '1.5',
        'ffffffff-ffff-ffff-ffff-ffffffffffff', 'happy', '00:00:00.001', 0)""",
    """(DEFAULT, 1, 1, 1, 8388.607, 8388608, 1e20, -0.0, 1e300, false, 'x', 'z', 'z', '\\xff', '2000-01-01',
        '12:00:00.0005', '2000-01-01 00:00:00.0005', '2000-01-01 00:00:00.0005+05:30', '1', '{}',
        '12345678-1234-1234-1234-123456789012', 'sad', 'P1Y2M3DT4H5M6S', -0.01)""",
]


@pytest.fixture
def db(postgres) -> Db:
    db = Db("postgresql", postgres)
    db.execute("CREATE TYPE mood AS ENUM ('sad', 'happy')")
    db.execute("""CREATE TABLE alltypes (
        id serial PRIMARY KEY, c_small smallint, c_int int, c_big bigint, c_num numeric(10,3), c_num18 numeric(18,0),
        c_num_free numeric, c_real real, c_double double precision, c_bool boolean, c_text text,
        c_varchar varchar(20), c_char char(4), c_bytea bytea, c_date date, c_time time, c_ts timestamp,
        c_tstz timestamptz, c_json json, c_jsonb jsonb, c_uuid uuid, c_mood mood, c_interval interval,
        c_best numeric(5,2))""")
    for row in ROWS:
        db.execute(f"INSERT INTO alltypes VALUES {row}")
    return db


def _read(db: Db, payload_format, key_payload_format=None, **extra: str) -> list:
    return read_rows(db, TableId(db.name, "public", "alltypes"), payload_format, key_payload_format, **extra)[0]


_bytes, _json_schema_converter = payload_bytes, json_schema_converter


def _non_finite(value) -> bool:
    return any(isinstance(v, float) and v - v != 0.0 for v in value.values)


# The JsonSchemaConverter's defaults (NUMERIC, FAIL), Confluent's bytes (BASE64, STRING), and the mix.
SETTINGS = [{}, {"decimal.format": "BASE64", "non.finite.floats": "STRING"}, {"non.finite.floats": "STRING"}]


@pytest.mark.parametrize("settings", SETTINGS, ids=["defaults", "confluent", "numeric-strings"])
@pytest.mark.parametrize("extra", [{}, {"db.timezone": "America/New_York"}, {"numeric.mapping": "best_fit"},
                                   {"mode": "timestamp+incrementing", "timestamp.column.name": "c_ts",
                                    "timestamp.delay.interval.ms": "0", "validate.non.null": "false"}])
def test_json_ready_rows_match_the_ordinary_path(db, settings, extra):
    converter = _json_schema_converter(**settings)
    fmt, codec = converter.json_payload_format(), converter.codec
    decimal_format = fmt.decimal_format
    if extra.get("mode") == "timestamp+incrementing":
        # Distinct, past, sub-millisecond timestamps (rows before the epoch are never read in this mode).
        db.execute("UPDATE alltypes SET c_ts = timestamp '2000-01-01' + id * interval '1 day 0.000501 second'")
    ordinary = _read(db, None, **extra)
    key_fmt = _json_schema_converter(**settings).json_payload_format()  # the key converter's own, equal one
    ready = _read(db, fmt, key_fmt, **extra)
    assert len(ready) == len(ordinary) == len(ROWS)
    assert all(type(r.value) is JsonRowStruct and type(r.key) is JsonRowStruct for r in ready)
    # The JsonConverter (envelope + payload) writes the JSON-ready rows made for its format as they are.
    json_converter = JsonConverter()
    json_converter.configure({"decimal.format": decimal_format}, False)
    for fast, slow in zip(_read(db, json_converter.json_payload_format(), **extra), ordinary):
        assert fast.value.payload(json_converter.json_payload_format()) is not None
        assert json_converter.from_connect_data("t", fast.value_schema, fast.value) == \
            json_converter.from_connect_data("t", slow.value_schema, slow.value)
    refused = 0
    for fast, slow in zip(ready, ordinary):
        assert fast.value_schema == slow.value_schema and fast.key_schema == slow.key_schema
        assert fast.source_offset == slow.source_offset and fast.source_partition == slow.source_partition
        if fmt.non_finite_floats == "FAIL" and _non_finite(slow.value):
            # NaN/±Infinity have no JSON number: both paths refuse the row with the same error.
            for struct in (fast.value, slow.value):
                with pytest.raises(DataError, match="JSON has no number for NaN or Infinity"):
                    _bytes(codec, fmt, struct)
            refused += 1
        else:
            assert _bytes(codec, fmt, fast.value) == _bytes(codec, fmt, slow.value)
        assert _bytes(codec, key_fmt, fast.key) == _bytes(codec, key_fmt, slow.key)
        # Decoded lazily, the Connect values are the ordinary ones at Connect's precision (ms).
        for name, got, want in zip(fast.value_schema.field_names, fast.value.values, slow.value.values):
            if isinstance(want, dt.datetime):
                want = want.replace(tzinfo=want.tzinfo or dt.timezone.utc)
                want = want - dt.timedelta(microseconds=want.microsecond % 1000)
            elif isinstance(want, dt.time):
                want = want.replace(microsecond=want.microsecond - want.microsecond % 1000)
            if isinstance(want, float) and want != want:
                assert got != got, name
            elif isinstance(want, decimal.Decimal):
                assert got == want and got.as_tuple().exponent == want.as_tuple().exponent, name
            else:
                assert got == want, (name, got, want)
    assert refused == (2 if fmt.non_finite_floats == "FAIL" else 0)


def test_a_different_format_falls_back_to_the_values(db):
    """A JsonRowStruct offered to a converter with another format is encoded from its values."""
    base64_rows = _read(db, JsonPayloadFormat("BASE64"))
    numeric = JsonPayloadFormat("NUMERIC")
    ordinary = _read(db, None)
    codec = ValueCodec("NUMERIC", "STRING")
    for fast, slow in zip(base64_rows, ordinary):
        assert fast.value.payload(numeric) is None
        assert orjson.dumps(codec.encoder(fast.value_schema)(fast.value))[:40] == \
            orjson.dumps(codec.encoder(slow.value_schema)(slow.value))[:40]


def test_unsupported_columns_read_the_ordinary_way(postgres):
    db = Db("postgresql", postgres)
    db.execute("CREATE TABLE arr (id serial PRIMARY KEY, tags text[], big numeric(30,2))")
    db.execute("INSERT INTO arr (tags, big) VALUES ('{a,b}', 1.5)")
    records, _querier = read_rows(db, TableId(db.name, "public", "arr"), JsonPayloadFormat())
    assert [type(r.value).__name__ for r in records] == ["Struct"]
    assert records[0].value.values == [1, ["a", "b"], decimal.Decimal("1.50")]


def test_decimals_beyond_six_places_are_json_ready_for_the_json_schema_converter_only(postgres):
    """The JsonSchemaConverter writes 0.00000001 as numeric's text does; the JsonConverter writes
    str(Decimal), 1E-8 (and 0E-8): only its tables read such a column the ordinary way."""
    db = Db("postgresql", postgres)
    db.execute("CREATE TABLE alltypes (id serial PRIMARY KEY, amount numeric(20,8))")
    db.execute("INSERT INTO alltypes (amount) VALUES (0.00000001), (0), (-0.00000123), (12.5), (NULL)")
    ordinary = _read(db, None)
    schema_converter, json_converter = _json_schema_converter(), JsonConverter()
    json_converter.configure({"decimal.format": "NUMERIC"}, False)
    for converter, encode in (
            (schema_converter, lambda r: _bytes(schema_converter.codec, schema_converter.json_payload_format(),
                                                r.value)),
            (json_converter, lambda r: json_converter.from_connect_data("t", r.value_schema, r.value))):
        ready = _read(db, converter.json_payload_format())
        assert len(ready) == 5
        assert all(type(r.value) is JsonRowStruct for r in ready) is (converter is schema_converter)
        assert [encode(r) for r in ready] == [encode(r) for r in ordinary]
