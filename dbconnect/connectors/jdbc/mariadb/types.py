"""MariaDB / MySQL types, both ways: a result column's protocol type and flags → its Connect
schema and converter (the source: ``field_mapping``: DATETIME vs TIMESTAMP, tinyint(1), unsigned
BIGINT, zero dates …) and its JSON-ready SQL (``json_ready``), and a Connect schema → a column type
(the sink's DDL: ``ddl_type``). Database-neutral helpers are in ``..types``."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from pymysql.constants import FIELD_TYPE, FLAG
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects.mysql.base import MySQLTypeCompiler
from sqlalchemy.dialects.mysql.pymysql import MySQLDialect_pymysql

from ....api.data import BYTES_SCHEMA, OPTIONAL_BYTES_SCHEMA, Decimal, Time, Timestamp, Type
from ....api.errors import ConnectError
from ....api.payload import BOOL, FLOAT, FRAGMENT
from ..catalog import type_name
from ..ddl_types import DdlTypes
from ..dialect import ColumnMapping, JsonReady, decimal_precision, unscaled_byte_bounds
from ..sink.records import SinkField
from ..sink.writers import base as W
from .. import types as T

_UTC = dt.timezone.utc

# -- the source: result columns → Connect ---------------------------------------------------------

_BINARY_CHARSET = 63
_STRINGS = {FIELD_TYPE.VARCHAR, FIELD_TYPE.VAR_STRING, FIELD_TYPE.STRING, FIELD_TYPE.TINY_BLOB,
            FIELD_TYPE.MEDIUM_BLOB, FIELD_TYPE.LONG_BLOB, FIELD_TYPE.BLOB, FIELD_TYPE.JSON, FIELD_TYPE.ENUM,
            FIELD_TYPE.SET, FIELD_TYPE.GEOMETRY}


def field_mapping(f: Any, nullable: dict[str, bool] | None, config: Any) -> ColumnMapping:
    """The Connect schema and converter of result column ``f`` (PyMySQL's field metadata)."""
    optional = not (f.flags & FLAG.NOT_NULL) if nullable is None else nullable.get(f.name, not (f.flags & FLAG.NOT_NULL))
    unsigned = bool(f.flags & FLAG.UNSIGNED)
    t = f.type_code
    m = ColumnMapping(f.name, T.primitive(Type.STRING, optional))
    if t == FIELD_TYPE.TINY:
        if f.length == 1:  # tinyint(1): MySQL's boolean
            m.schema, m.convert, m.type_name = T.primitive(Type.BOOLEAN, optional), _to_bool, "tinyint(1)"
        else:
            m.schema = T.primitive(Type.INT16 if unsigned else Type.INT8, optional)
    elif t == FIELD_TYPE.SHORT:
        m.schema = T.primitive(Type.INT32 if unsigned else Type.INT16, optional)
    elif t == FIELD_TYPE.INT24:
        m.schema = T.primitive(Type.INT32, optional)
    elif t == FIELD_TYPE.LONG:
        m.schema = T.primitive(Type.INT64 if unsigned else Type.INT32, optional)
    elif t == FIELD_TYPE.LONGLONG:
        if unsigned:
            m.schema, m.convert = T.decimal_from_int(20, optional)
            m.type_name = "bigint unsigned"
        else:
            m.schema = T.primitive(Type.INT64, optional)
    elif t == FIELD_TYPE.FLOAT:
        m.schema = T.primitive(Type.FLOAT32, optional)
    elif t == FIELD_TYPE.DOUBLE:
        m.schema = T.primitive(Type.FLOAT64, optional)
    elif t in (FIELD_TYPE.DECIMAL, FIELD_TYPE.NEWDECIMAL):
        scale = f.scale or 0
        # The protocol's length counts the sign and the decimal point.
        precision = f.length - (1 if scale > 0 else 0) - (0 if unsigned else 1)
        m.schema, m.convert = T.numeric_mapping(max(precision, 1), scale, optional, config.numeric_mapping)
        m.type_name = "decimal"
    elif t == FIELD_TYPE.YEAR:
        m.schema = T.primitive(Type.INT32, optional)
    elif t in (FIELD_TYPE.DATE, FIELD_TYPE.NEWDATE):
        m.schema, m.convert, m.type_name = T.date_schema(optional), _valid_date, "date"
    elif t == FIELD_TYPE.TIME:
        m.schema, m.convert, m.type_name = T.time_schema(optional), _timedelta_to_time, "time"
    elif t == FIELD_TYPE.DATETIME:
        m.schema, m.is_timestamp, m.zone_less = T.timestamp_schema(optional), True, True
        m.convert = T.compose(_valid_date, T.zone_less_converter(config.timezone))
        m.type_name = "datetime"
    elif t == FIELD_TYPE.TIMESTAMP:
        m.schema, m.is_timestamp = T.timestamp_schema(optional), True  # session time_zone is UTC
        m.convert, m.type_name = _valid_date, "timestamp"
    elif t == FIELD_TYPE.BIT:
        if f.length == 1:
            m.schema, m.convert, m.type_name = T.primitive(Type.BOOLEAN, optional), _bit_to_bool, "bit(1)"
        else:
            m.schema = OPTIONAL_BYTES_SCHEMA if optional else BYTES_SCHEMA
    elif t in _STRINGS:
        m.type_name = "geometry" if t == FIELD_TYPE.GEOMETRY else "string"
        if f.charsetnr == _BINARY_CHARSET and t not in (FIELD_TYPE.JSON, FIELD_TYPE.ENUM, FIELD_TYPE.SET):
            m.schema = OPTIONAL_BYTES_SCHEMA if optional else BYTES_SCHEMA
        elif t == FIELD_TYPE.SET:
            m.convert = _set_to_str
    else:
        m.convert = _to_text
    return m


def json_ready(column: ColumnMapping, quoted: str, payload_format: Any, config: Any) -> JsonReady | None:
    """How to SELECT ``column`` as the JSON value ``payload_format`` writes (see Dialect.json_ready)."""
    # Every expression yields what the ordinary read's value encodes to, exactly (the tests in
    # tests/integration/test_jdbc_source_json_ready_mariadb.py compare the bytes), as an int,
    # a float or text that PyMySQL decodes without any Python conversion of its own.
    typname, schema, convert = column.type_name, column.schema, column.convert
    if typname == "tinyint(1)":
        return JsonReady(quoted, BOOL)
    if typname == "bit(1)":
        return JsonReady(f"({quoted} <> 0)", BOOL)
    if typname == "bigint unsigned":
        return _unsigned_bigint_json(quoted, payload_format)
    if typname == "decimal":
        return _decimal_json(quoted, schema, payload_format)
    if typname == "date":
        # "+ INTERVAL 0 DAY" is NULL for what PyMySQL cannot make a date of (and the ordinary
        # read maps to null): zero dates, zero parts, year 0, ALLOW_INVALID_DATES' Feb 30.
        return JsonReady(f"DATEDIFF({quoted} + INTERVAL 0 DAY, '1970-01-01')")
    if typname in ("datetime", "timestamp"):
        if getattr(config, "timestamp_granularity", T.CONNECT_LOGICAL) != T.CONNECT_LOGICAL:
            return None  # micros/nanos longs and strings: read the ordinary way (types.py)
        if column.zone_less and T.zone_less_converter(config.timezone) is not None:
            return None  # DATETIME in a db.timezone other than UTC: DST gaps and folds decide (Python's rules)
        # Epoch milliseconds, floored as Connect's Timestamp is (also before 1970): microseconds
        # since 0001-01-01 are never negative, so DIV floors; then shift to 1970.
        return JsonReady(f"(TIMESTAMPDIFF(MICROSECOND, '0001-01-01', {quoted} + INTERVAL 0 DAY) DIV 1000 "
                         f"- {_MS_0001_TO_1970})")
    if typname in ("time", "geometry"):
        return None  # TIME outside 00:00–24:00 fails the ordinary read (no SQL can); GEOMETRY's bytes
    if convert is not None:
        return None  # SET (sorted), anything read as text: the ordinary way
    if schema.type is Type.BYTES:  # binary strings, BIT(n > 1): base64 without TO_BASE64's line breaks
        return JsonReady(f"REPLACE(TO_BASE64({quoted}), CHAR(10 USING ascii), '')")
    if schema.type in (Type.FLOAT32, Type.FLOAT64):
        return JsonReady(quoted, FLOAT)  # the server's text, parsed by PyMySQL as in the ordinary read
    if schema.type in (Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.STRING):
        return JsonReady(quoted)  # integers, YEAR, text, ENUM, JSON: as the driver returns them
    return None


# Milliseconds from 0001-01-01 to 1970-01-01 (proleptic Gregorian, as MariaDB and Python count).
_MS_0001_TO_1970 = (dt.date(1970, 1, 1).toordinal() - 1) * 86_400_000


def _unsigned_bigint_json(quoted: str, payload_format: Any) -> JsonReady:
    if payload_format.decimal_format == "NUMERIC":
        return JsonReady(quoted)  # an int up to 2^64 - 1, which orjson writes as the Decimal's digits
    # Java's BigInteger.toByteArray() of a value >= 0: the hex digits, padded to whole bytes, with
    # a 00 byte before a leading byte >= 0x80 (the sign bit).
    digits = f"HEX({quoted})"
    even = f"LPAD({digits}, LENGTH({digits}) + MOD(LENGTH({digits}), 2), '0')"
    return JsonReady(f"TO_BASE64(UNHEX(IF(LEFT({even}, 1) >= '8', CONCAT('00', {even}), {even})))")


def _decimal_json(quoted: str, schema: Any, payload_format: Any) -> JsonReady | None:
    if schema.type is Type.FLOAT64:
        # DECIMAL → double is correctly rounded (dtoa), and the text round-trips, as float(Decimal) is.
        return JsonReady(f"CAST({quoted} AS DOUBLE)", FLOAT)
    if schema.type is not Type.BYTES:  # an integer type (numeric.mapping): scale 0, precision < 19
        return JsonReady(f"CAST({quoted} AS SIGNED)")
    scale = Decimal.scale(schema)
    if payload_format.decimal_format == "NUMERIC":
        if scale > 6 and not payload_format.plain_decimals:
            # The JsonConverter writes str(Decimal) (Java's BigDecimal.toString()): 1E-7 where the text
            # and the JsonSchemaConverter have 0.0000001. Up to 6 decimals both are the plain text.
            return None
        # DECIMAL(p,s) text has exactly s fractional digits and no exponent, as the converters write it.
        return JsonReady(f"CAST({quoted} AS CHAR)", FRAGMENT)
    precision = decimal_precision(schema)
    if not 0 < precision <= 18:
        return None  # the unscaled value may not fit a BIGINT
    unscaled = f"CAST({quoted} * 1{'0' * scale} AS SIGNED)" if scale > 0 else f"CAST({quoted} AS SIGNED)"
    # Java's BigInteger.toByteArray(): the shortest big-endian two's complement. HEX() of a negative
    # BIGINT is its 16-digit two's complement; the byte count compares the column with scaled bounds.
    lengths = " ".join(f"WHEN {quoted} BETWEEN {low} AND {high} THEN {2 * n}"
                       for n, low, high in unscaled_byte_bounds(scale))
    return JsonReady(f"TO_BASE64(UNHEX(RIGHT(LPAD(HEX({unscaled}), 16, '0'), CASE {lengths} ELSE 16 END)))")


def _to_bool(v: Any) -> Any:
    return None if v is None else bool(v)


def _bit_to_bool(v: Any) -> Any:
    return None if v is None else any(v)


def _valid_date(v: Any) -> Any:
    # PyMySQL returns zero dates ('0000-00-00') as strings: they are not dates.
    return None if type(v) is str else v


def _set_to_str(v: Any) -> Any:
    return ",".join(sorted(v)) if isinstance(v, (set, frozenset)) else v


def _timedelta_to_time(v: Any) -> Any:
    if v is None or isinstance(v, dt.time):
        return v
    micros = (v.days * 86400 + v.seconds) * 1_000_000 + v.microseconds
    if not 0 <= micros < 86_400_000_000:
        raise ConnectError(f"TIME value {v} is outside 00:00:00–23:59:59.999999 and cannot be a Connect Time")
    return (dt.datetime.min + v).time()


def _to_text(v: Any) -> Any:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("utf-8", "replace")
    if isinstance(v, decimal.Decimal):
        return str(v)
    return str(v)


# -- the sink: Connect → column types --------------------------------------------------------------

# A column's type name → the category the writer converts it by (sink/writers/base.py).
CATEGORIES = {
    "tinyint": W.INT, "smallint": W.INT, "mediumint": W.INT, "int": W.INT, "integer": W.INT, "bigint": W.INT, "bit": W.INT,
    "float": W.FLOAT, "double": W.FLOAT, "real": W.FLOAT, "decimal": W.DECIMAL, "numeric": W.DECIMAL,
    "char": W.TEXT, "varchar": W.TEXT, "tinytext": W.TEXT, "text": W.TEXT, "mediumtext": W.TEXT, "longtext": W.TEXT,
    "enum": W.TEXT, "set": W.TEXT, "json": W.TEXT,
    "binary": W.BYTES, "varbinary": W.BYTES, "tinyblob": W.BYTES, "blob": W.BYTES, "mediumblob": W.BYTES, "longblob": W.BYTES,
    "date": W.DATE, "time": W.TIME, "datetime": W.TIMESTAMP, "timestamp": W.TIMESTAMP,
}
def reflected_type_sql(type_: Any) -> str:
    """The reflected column type as SQL (lower case, as information_schema's COLUMN_TYPE); its
    name alone for a type SQLAlchemy does not know (INET6, UUID …)."""
    try:
        return DDL_TYPES.compile(type_).lower()
    except Exception:  # noqa: BLE001 — NullType and other types without DDL: the name says enough
        return type_name(type_)


class _MariaDbTypeCompiler(MySQLTypeCompiler):
    """SQLAlchemy's MySQL type spelling, with INT and DECIMAL(p,s) as MariaDB's own docs (and the
    DDL dbconnect has always logged) spell them: the same types, the text the docs list."""

    def visit_INTEGER(self, type_: Any, **kw: Any) -> str:
        return "INT" if getattr(type_, "display_width", None) is None and not getattr(type_, "unsigned", False) \
            else super().visit_INTEGER(type_, **kw)

    def visit_DECIMAL(self, type_: Any, **kw: Any) -> str:
        return super().visit_DECIMAL(type_, **kw).replace(", ", ",")


def _decimal(precision: int | None, scale: int) -> Any:
    # MariaDB's bounds: precision 1–65 (65 when the schema has none), scale ≤ 30.
    return mysql.DECIMAL(min(max(65 if precision is None else precision, scale, 1), 65), min(scale, 30))


# auto.create / auto.evolve column types (ddl_types): MariaDB's departures from the generic mapping.
DDL_TYPES = DdlTypes(
    compiler=_MariaDbTypeCompiler(MySQLDialect_pymysql()), structured=sa.JSON(),
    primitives={Type.INT8: mysql.TINYINT(), Type.FLOAT32: mysql.FLOAT(), Type.BOOLEAN: mysql.TINYINT(),
                Type.BYTES: mysql.LONGBLOB()},
    logical={Time.LOGICAL_NAME: mysql.TIME(fsp=3), Timestamp.LOGICAL_NAME: mysql.DATETIME(fsp=3)},
    # A TEXT / BLOB primary key fails at CREATE time (Confluent #996).
    key_types={Type.STRING: sa.String(255), Type.BYTES: mysql.VARBINARY(1024)},
    decimal=_decimal,
    precise_timestamp=mysql.DATETIME(fsp=6),  # timestamp.fields.list: microseconds since the epoch
)


def ddl_type(field: SinkField) -> str:
    """The column type the sink creates for a field (auto.create, auto.evolve), compiled by
    SQLAlchemy from its Connect schema (ddl_types.py), with MariaDB's departures above: whether it
    is a key (no TEXT keys) or a precise timestamp decides too."""
    return DDL_TYPES.column_type(field.schema, is_key=field.is_key, precise=field.precise)
