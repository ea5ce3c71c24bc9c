"""JSON-ready rows (dbconnect/api/payload.py) against the ordinary path, on a real MariaDB.

The MariaDB twin of test_jdbc_source_json_ready.py: for every type the dialect reads JSON-ready
and awkward values (NULLs, extremes, unicode, pre-1970, zero and invalid dates), a querier reading
JSON-ready rows must give exactly the bytes the JsonSchemaConverter writes from the ordinary
Structs, in both decimal formats, in every mode, with db.timezone set or not; its lazily decoded
values must equal the ordinary ones. Types that cannot be read exactly (TIME, DATETIME in a
db.timezone other than UTC) make the table read the ordinary way.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal

import orjson
import pytest

from dbconnect.api.payload import JsonPayloadFormat, JsonRowStruct
from dbconnect.connectors.jdbc.dialect import TableId
from dbconnect.converters.json import JsonConverter
from dbconnect.converters.jsonschema import JsonSchemaConverter

from .jdbc_helpers import Db
from .json_ready_helpers import json_schema_converter, payload_bytes, read_rows

pytestmark = pytest.mark.integration

COLUMNS = """id INT AUTO_INCREMENT PRIMARY KEY,
    c_tiny TINYINT, c_utiny TINYINT UNSIGNED, c_small SMALLINT, c_usmall SMALLINT UNSIGNED, c_med MEDIUMINT,
    c_umed MEDIUMINT UNSIGNED, c_int INT, c_uint INT UNSIGNED, c_big BIGINT, c_ubig BIGINT UNSIGNED, c_bool BOOLEAN,
    c_float FLOAT, c_double DOUBLE, c_num DECIMAL(10,3), c_num18 DECIMAL(18,0), c_wide DECIMAL(30,6),
    c_best DECIMAL(5,2), c_char CHAR(4), c_varchar VARCHAR(20), c_text TEXT, c_latin VARCHAR(20) CHARACTER SET latin1,
    c_binary BINARY(3), c_varbinary VARBINARY(300), c_blob BLOB, c_date DATE, c_dt DATETIME, c_dt6 DATETIME(6),
    c_dt3 DATETIME(3), c_ts TIMESTAMP(6) NULL, c_ts0 TIMESTAMP NULL, c_json JSON, c_enum ENUM('sad', 'happy'),
    c_set SET('a', 'b', 'c'), c_year YEAR, c_bit1 BIT(1), c_bit BIT(10)"""
DATETIME_COLUMNS = ("c_dt", "c_dt6", "c_dt3")

ROWS = [
    """(DEFAULT, -12, 200, -300, 60000, -70000, 16000000, 123456, 4000000000, 9000000000, 9223372036854775808, 1,
        1.1, 2.25, 1234.567, 999999999999999999, 12345678901234567890.012345, 123.45, 'ab', 'v',
        'héllo "q" \\\\ \t', 'é', 'ab', X'00ff', X'00', '2024-02-29', '2024-01-02 03:04:05', '2024-01-02 03:04:05.678901',
        '2024-01-02 03:04:05.678', '2024-01-02 03:04:05.678901', '2024-01-02 03:04:05', '{"a": 1}', 'happy', 'c,a',
        2024, b'1', b'1010101010')""",
    "(DEFAULT" + ", NULL" * 36 + ")",
    """(DEFAULT, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295, -9223372036854775808,
        18446744073709551615, 0, -3.40282e38, 1e300, -0.001, -999999999999999999, -0.000001, -999.99, '', 'x',
        '', '', '', '', '', '1969-12-31', '1969-12-31 23:59:59', '1969-12-31 23:59:59.999501', '1900-01-01 00:00:00.001',
        '1970-01-01 00:00:01', '2038-01-19 03:14:07', '[]', 'sad', '', 1901, b'0', b'0')""",
    """(DEFAULT, 127, 0, 32767, 0, 8388607, 0, 2147483647, 0, 9223372036854775807, 0, 2, 1e-45, -0.0, -128.000,
        128, 0, 0, 'abcd', 'ünïcödé ✓', 'ünïcödé ✓ \x01 😀', 'ÿ', X'ffffff', REPEAT(X'ab', 100), REPEAT('x', 1000),
        '0001-01-01', '0001-01-01 00:00:00', '9999-12-31 23:59:59.999999', '1000-01-01 00:00:00',
        '2038-01-19 03:14:07.999999', '1970-01-01 00:00:01', 'null', 'happy', 'a,b,c', 2155, b'1', b'1111111111')""",
    """(DEFAULT, 1, 1, 1, 1, 1, 1, 1, 1, 1, 127, 1, 0.1, 0.1, 8388.607, 8388608, 1e19, -0.01, 'z', 'z', 'x', 'x',
        X'ff', X'80', X'ff', '0000-00-00', '0000-00-00 00:00:00', '2024-00-10 10:00:00', '0000-01-01 00:00:00',
        '0000-00-00 00:00:00', NULL, '"s"', 'sad', 'b', 0, b'0', b'0000000001')""",
    """(DEFAULT, 0, 128, 0, 32768, 0, 8388608, 0, 2147483648, -1, 128, 0, 3.4e38, 2.2250738585072014e-308, 0.5,
        -128, 1.5, 1.5, 'q', 'q', 'q', 'q', X'7f', X'', X'', '2024-00-10', '2024-02-00 00:00:00', '1000-01-01 00:00:00',
        '2000-01-01 00:00:00.0005', NULL, NULL, '1.5', 'happy', 'a', 1970, b'1', b'0010000000')""",
    # ALLOW_INVALID_DATES lets '2024-02-30' in (inserted under that sql_mode): PyMySQL makes no date of it.
    """(DEFAULT, 5, 5, 5, 5, 5, 5, 5, 5, 5, 255, 1, 5, 5, 5, 5, 5, 5, 'w', 'w', 'w', 'w', X'01', X'02', X'03',
        '2024-02-30', '2024-04-31 12:00:00', '2024-02-29 23:59:59.999999', '1969-12-31 23:59:59.9995',
        '1999-12-31 23:59:59', '2000-02-29 00:00:00', '{}', 'sad', 'c', 1999, b'1', b'0100000000')""",
]


@pytest.fixture
def db(mariadb) -> Db:
    db = Db("mariadb", mariadb)
    db.execute(f"CREATE TABLE alltypes ({COLUMNS}) CHARACTER SET utf8mb4")
    conn = db.connect()
    try:
        with conn.cursor() as cur:
            # Zero dates and zero parts need a sql_mode without NO_ZERO_DATE / NO_ZERO_IN_DATE (MariaDB's
            # default has neither); Feb 30 needs ALLOW_INVALID_DATES.
            cur.execute("SET SESSION sql_mode = 'ALLOW_INVALID_DATES'")
            for row in ROWS:
                cur.execute(f"INSERT INTO alltypes VALUES {row}".replace("%", "%%"))
    finally:
        conn.close()
    return db


def _read(db: Db, payload_format, key_payload_format=None, table: str = "alltypes", **extra: str):
    """(records, querier) of reading ``table`` in rounds of 2-row fetches."""
    return read_rows(db, TableId(db.name, None, table), payload_format, key_payload_format, **extra)


_bytes, _json_schema_converter = payload_bytes, json_schema_converter


def _at_connect_precision(want):
    if isinstance(want, dt.datetime):
        want = want.replace(tzinfo=want.tzinfo or dt.timezone.utc)
        return want - dt.timedelta(microseconds=want.microsecond % 1000)
    return want


SETTINGS = [{}, {"decimal.format": "BASE64", "non.finite.floats": "STRING"}]
TIMESTAMPED = {"timestamp.column.name": "c_dt6", "timestamp.delay.interval.ms": "0", "validate.non.null": "false"}


@pytest.mark.parametrize("settings", SETTINGS, ids=["defaults", "confluent"])
@pytest.mark.parametrize("extra", [{}, {"db.timezone": "America/New_York"}, {"numeric.mapping": "best_fit"},
                                   {"numeric.mapping": "precision_only"}, {"mode": "bulk"},
                                   {"mode": "timestamp", **TIMESTAMPED},
                                   {"mode": "timestamp+incrementing", **TIMESTAMPED}],
                         ids=["incrementing", "db.timezone", "best_fit", "precision_only", "bulk", "timestamp",
                              "timestamp+incrementing"])
def test_json_ready_rows_match_the_ordinary_path(db, settings, extra):
    converter = _json_schema_converter(**settings)
    fmt, codec = converter.json_payload_format(), converter.codec
    if "timestamp.column.name" in extra:
        # Distinct, past, sub-millisecond timestamps (rows before the epoch are never read in these modes).
        db.execute("UPDATE alltypes SET c_dt6 = TIMESTAMP'2000-01-01 00:00:00' + INTERVAL id DAY "
                   "+ INTERVAL id * 501 MICROSECOND")
    if fmt.decimal_format == "BASE64":
        # Base64 decimals are read JSON-ready up to precision 18 (a BIGINT): wider ones are tested below.
        # A scale of 10 instead, with values at the byte-count bounds, the 7/8-byte ones 17 digits long
        # (2^55 = 36028797018963968: a comparison through doubles would miscount them).
        db.execute("ALTER TABLE alltypes DROP COLUMN c_wide, ADD COLUMN c_fine DECIMAL(18,10)")
        for i, v in enumerate(["0.0000000128", "-0.0000000129", "3602879.7018963967", "3602879.7018963968",
                               "-3602879.7018963968", "-3602879.7018963969", "-99999999.9999999999"], start=1):
            db.execute(f"UPDATE alltypes SET c_fine = {v} WHERE id = {i}")
    if "db.timezone" in extra:
        # DATETIME in a zone other than UTC is read the ordinary way (test below); TIMESTAMP is not zone-less.
        db.execute("ALTER TABLE alltypes " + ", ".join(f"DROP COLUMN {c}" for c in DATETIME_COLUMNS))
    ordinary, plain = _read(db, None, **extra)
    key_fmt = _json_schema_converter(**settings).json_payload_format()
    ready, querier = _read(db, fmt, key_fmt, **extra)
    assert querier.fast is not None and querier.layout is querier.fast
    assert plain.fast is None
    assert len(ready) == len(ordinary) == len(ROWS)
    assert all(type(r.value) is JsonRowStruct for r in ready)
    assert all(type(r.key) is JsonRowStruct for r in ready) or extra.get("mode") == "bulk"
    json_converter = JsonConverter()
    json_converter.configure({"decimal.format": fmt.decimal_format}, False)
    for fast, slow in zip(_read(db, json_converter.json_payload_format(), **extra)[0], ordinary):
        assert fast.value.payload(json_converter.json_payload_format()) is not None
        assert json_converter.from_connect_data("t", fast.value_schema, fast.value) == \
            json_converter.from_connect_data("t", slow.value_schema, slow.value)
    for fast, slow in zip(ready, ordinary):
        assert fast.value_schema == slow.value_schema and fast.key_schema == slow.key_schema
        assert fast.source_offset == slow.source_offset and fast.source_partition == slow.source_partition
        assert _bytes(codec, fmt, fast.value) == _bytes(codec, fmt, slow.value)
        if slow.key is not None:
            assert _bytes(codec, key_fmt, fast.key) == _bytes(codec, key_fmt, slow.key)
        for name, got, want in zip(fast.value_schema.field_names, fast.value.values, slow.value.values):
            want = _at_connect_precision(want)
            if isinstance(want, decimal.Decimal):
                assert got == want and got.as_tuple().exponent == want.as_tuple().exponent, name
            else:
                assert got == want, (name, got, want)


def test_the_payloads_carry_the_awkward_values(db):
    """Spot checks of what the bytes hold, so that a bug shared by both paths shows too."""
    fmt = _json_schema_converter().json_payload_format()  # NUMERIC decimals
    ready, _querier = _read(db, fmt, fmt)
    first, nulls, low, high, zero = (orjson.loads(r.value.payload(fmt)) for r in ready[:5])
    assert all(v is None for k, v in nulls.items() if k != "id")
    assert low["c_ubig"] == 18446744073709551615 and first["c_ubig"] == 9223372036854775808
    assert low["c_date"] == -1 and high["c_date"] == -719162 and zero["c_date"] is None
    assert low["c_dt6"] == -1 and low["c_dt"] == -1000 and high["c_dt"] == -62135596800000
    assert zero["c_dt"] is None and zero["c_dt6"] is None and zero["c_dt3"] is None and zero["c_ts"] is None
    assert ready[6].value.payload(fmt) and orjson.loads(ready[6].value.payload(fmt))["c_date"] is None
    assert high["c_varbinary"] == base64.b64encode(b"\xab" * 100).decode()  # no line breaks
    assert first["c_float"] == 1.1 and first["c_bool"] is True and zero["c_bool"] is True
    assert first["c_text"] == 'héllo "q" \\ \t' and high["c_text"].endswith("😀")


@pytest.mark.parametrize("columns, extra, decimal_format", [
    ("c_time TIME", {}, "BASE64"),
    ("c_dt DATETIME(6)", {"db.timezone": "America/New_York"}, "BASE64"),
    ("c_dt DATETIME(6)", {"timestamp.granularity": "micros_long"}, "BASE64"),
    ("c_geo GEOMETRY", {}, "BASE64"),
    ("c_small DECIMAL(20,7)", {}, "NUMERIC-JsonConverter"),  # the JsonConverter writes 1E-7
    ("c_small DECIMAL(19,2)", {}, "BASE64"),  # the unscaled value may not fit a BIGINT
], ids=["time", "datetime-in-db.timezone", "granularity", "geometry", "numeric-scale-7", "base64-precision-19"])
def test_columns_not_read_exactly_make_the_table_read_the_ordinary_way(mariadb, columns, extra, decimal_format):
    db = Db("mariadb", mariadb)
    db.execute(f"CREATE TABLE odd (id INT AUTO_INCREMENT PRIMARY KEY, {columns}, amount DECIMAL(12,2))")
    value = {"c_time": "'12:34:56.789'", "c_dt": "'2024-03-10 02:30:00'", "c_geo": "POINT(1, 2)",
             "c_small": "0.0000001"}[columns.split()[0]]
    db.execute(f"INSERT INTO odd VALUES (DEFAULT, {value}, 1.5)")
    fmt = JsonPayloadFormat("NUMERIC", plain_decimals=False) if decimal_format == "NUMERIC-JsonConverter" \
        else JsonPayloadFormat(decimal_format)
    records, querier = _read(db, fmt, table="odd", **extra)
    assert querier.fast is None
    assert [type(r.value).__name__ for r in records] == ["Struct"]
    assert records[0].value.values[2] == decimal.Decimal("1.50")


def test_decimals_beyond_six_places_are_json_ready_for_the_json_schema_converter_only(mariadb):
    """The JsonSchemaConverter writes 0.0000001 as the DECIMAL's text does; the JsonConverter
    writes str(Decimal), 1E-7: only its tables read such a column the ordinary way."""
    db = Db("mariadb", mariadb)
    db.execute("CREATE TABLE tiny (id INT AUTO_INCREMENT PRIMARY KEY, amount DECIMAL(20,8))")
    db.execute("INSERT INTO tiny (amount) VALUES (0.00000001), (0), (-0.00000123), (12.5), (NULL)")
    ordinary, _ = _read(db, None, table="tiny")
    for converter in (_json_schema_converter(), JsonConverter()):
        if isinstance(converter, JsonConverter):
            converter.configure({"decimal.format": "NUMERIC"}, False)
            encode = lambda r: converter.from_connect_data("t", r.value_schema, r.value)  # noqa: E731
        else:
            encode = lambda r: _bytes(converter.codec, converter.json_payload_format(), r.value)  # noqa: E731
        fmt = converter.json_payload_format()
        ready, querier = _read(db, fmt, table="tiny")
        assert (querier.fast is not None) is isinstance(converter, JsonSchemaConverter)
        assert [encode(r) for r in ready] == [encode(r) for r in ordinary]
