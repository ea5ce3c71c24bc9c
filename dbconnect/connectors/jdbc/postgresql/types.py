"""PostgreSQL types, both ways: a result column's type → its Connect schema and converter (the
source), a Connect schema → a column type (the sink's DDL), and how the sink stages each column
category for binary COPY. The source's JSON-ready reads (api/payload.py) are here too: they are the
same mapping done by the server. Database-neutral helpers are in ``..types``."""

from __future__ import annotations

import decimal
from typing import Any

import psycopg
from psycopg.adapt import Dumper
from sqlalchemy.dialects import postgresql as sa_postgresql
from sqlalchemy.dialects.postgresql.base import PGTypeCompiler
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from ....api.data import BYTES_SCHEMA, OPTIONAL_BYTES_SCHEMA, Decimal, Type
from ....api.payload import FLOAT, FRAGMENT
from ..ddl_types import DdlTypes
from ..dialect import ColumnMapping, JsonReady, decimal_precision, unscaled_byte_bounds
from ..sink.writers import base as W
from ..sink.records import SinkField
from ..sink.writers.base import Column
from .. import types as T

# -- the source: result columns → Connect ---------------------------------------------------------

# Types psycopg would parse into Python objects that we publish as strings: load their text.
TEXT_TYPES = ("json", "jsonb", "uuid", "interval", "inet", "cidr", "money", "int4range", "int8range",
              "numrange", "tsrange", "tstzrange", "daterange")
INTS = {"int2": Type.INT16, "int4": Type.INT32, "int8": Type.INT64, "oid": Type.INT64}
FLOATS = {"float4": Type.FLOAT32, "float8": Type.FLOAT64}


def scalar_mapping(typname: str, typtype: str, precision: int | None, scale: int | None, optional: bool,
                   config: Any) -> ColumnMapping:
    """The Connect schema and converter of a (non-array) result column of type ``typname``."""
    m = ColumnMapping("", T.primitive(Type.STRING, optional))
    if typname in INTS:
        m.schema = T.primitive(INTS[typname], optional)
    elif typname in FLOATS:
        m.schema = T.primitive(FLOATS[typname], optional)
    elif typname == "bool":
        m.schema = T.primitive(Type.BOOLEAN, optional)
    elif typname == "numeric":
        m.schema, m.convert = T.numeric_mapping(precision, scale, optional, config.numeric_mapping)
    elif typname == "bytea":
        m.schema = OPTIONAL_BYTES_SCHEMA if optional else BYTES_SCHEMA
    elif typname == "date":
        m.schema = T.date_schema(optional)
    elif typname in ("time", "timetz"):
        m.schema = T.time_schema(optional)
    elif typname == "timestamp":
        m.schema, m.is_timestamp, m.zone_less = T.timestamp_schema(optional), True, True
        m.convert = T.zone_less_converter(config.timezone)
    elif typname == "timestamptz":
        m.schema, m.is_timestamp = T.timestamp_schema(optional), True
    elif typtype == "e" or typname in ("text", "varchar", "bpchar", "name", "char", "xml", "citext") \
            or typname in TEXT_TYPES:
        pass  # strings already (json/jsonb/uuid/interval via the text loaders registered at connect)
    else:
        m.convert = _to_text  # anything else: its text form
    return m


def json_ready(column: ColumnMapping, quoted: str, payload_format: Any, config: Any) -> JsonReady | None:
    """How to SELECT ``column`` as the JSON value ``payload_format`` writes (see Dialect.json_ready)."""
    typname, schema = column.type_name, column.schema
    if typname in INTS or typname in _BINARY_TEXT or typname == "bool":
        return JsonReady(quoted)  # ints, booleans and strings as the driver returns them
    if typname in _PLAIN_TEXT or typname in TEXT_TYPES:
        return JsonReady(f"{quoted}::text")  # their text form, as the ordinary read loads it
    if typname == "float8":
        return JsonReady(quoted, FLOAT)
    if typname == "float4":  # via its shortest text, as the ordinary (text) read gets it: 1.1, not 1.100000023841858
        return JsonReady(f"{quoted}::text::float8", FLOAT)
    if typname == "numeric":
        return _numeric_json(quoted, schema, payload_format)
    if typname == "bytea":
        return JsonReady(f"replace(encode({quoted}, 'base64'), chr(10), '')")
    if typname == "date":
        return JsonReady(f"({quoted} - DATE '1970-01-01')")
    if typname == "time":
        # Milliseconds since midnight, floored (extract is exact numeric since PostgreSQL 14).
        return JsonReady(f"floor(extract(epoch from {quoted}) * 1000)::int4")
    if typname in ("timestamp", "timestamptz"):
        if getattr(config, "timestamp_granularity", T.CONNECT_LOGICAL) != T.CONNECT_LOGICAL:
            return None  # micros/nanos longs and strings: read the ordinary way (types.py)
        instant = f"date_trunc('milliseconds', {quoted})"
        if column.zone_less:  # wall-clock values in db.timezone
            zone = getattr(config.timezone, "key", "UTC")
            if zone not in ("UTC", "Etc/UTC"):
                instant = f"({instant} AT TIME ZONE '{zone.replace(chr(39), chr(39) * 2)}')"
        # date_trunc floors to the millisecond (also before 1970), so the product is integral.
        return JsonReady(f"(extract(epoch from {instant}) * 1000)::int8")
    return None  # timetz, arrays, anything else: read the ordinary way
def _numeric_json(quoted: str, schema: Any, payload_format: Any) -> JsonReady | None:
    if schema.type is Type.STRING:  # unconstrained numeric: its exact text
        return JsonReady(f"{quoted}::text")
    if schema.type is Type.FLOAT64:
        return JsonReady(f"{quoted}::float8", FLOAT)
    if schema.type is not Type.BYTES:  # an integer type (numeric.mapping): scale 0, precision < 19
        return JsonReady(f"{quoted}::int8")
    scale = Decimal.scale(schema)
    if payload_format.decimal_format == "NUMERIC":
        if scale < 0 or scale > 6 and not payload_format.plain_decimals:
            # The converter writes an exponent (12E+2; the JsonConverter's 1E-7) where the text has none.
            return None
        # numeric(p,s) text has exactly s fractional digits and never an exponent, as the
        # converter writes a Decimal; NaN has no JSON number: casting it fails loudly.
        return JsonReady(f"(CASE WHEN {quoted} = 'NaN' THEN {quoted}::int8::text ELSE {quoted}::text END)", FRAGMENT)
    precision = decimal_precision(schema)
    if not 0 < precision <= 18:
        return None  # the unscaled value may not fit a bigint
    unscaled = f"({quoted} * 1{'0' * scale})::int8" if scale > 0 else f"{quoted}::int8"
    # Java's BigInteger.toByteArray(): the shortest big-endian two's complement, base64. The byte
    # count compares the column itself with scaled bounds: half the server time of re-computing
    # the unscaled value in every branch.
    lengths = " ".join(f"WHEN {quoted} BETWEEN {low} AND {high} THEN {n}" for n, low, high in unscaled_byte_bounds(scale))
    return JsonReady(f"encode(substring(int8send({unscaled}) from 9 - (CASE {lengths} ELSE 8 END)), 'base64')")


_PLAIN_TEXT = {"name", "char", "xml", "citext", "enum"}
_BINARY_TEXT = {"text", "varchar", "bpchar"}  # psycopg loads their binary form as the same str


def _to_text(v: Any) -> Any:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).decode("utf-8", "replace")
    return str(v)


# -- the sink: Connect → column types, and staging for binary COPY --------------------------------

# A column's type name → the category the writer stages, converts and casts it by (sink/writers/base.py).
CATEGORIES = {
    "int2": W.INT, "int4": W.INT, "int8": W.INT, "float4": W.FLOAT, "float8": W.FLOAT, "numeric": W.DECIMAL,
    "bool": W.BOOL, "text": W.TEXT, "varchar": W.TEXT, "bpchar": W.TEXT, "bytea": W.BYTES, "date": W.DATE, "time": W.TIME,
    "timestamp": W.TIMESTAMP, "timestamptz": W.TIMESTAMPTZ, "json": W.JSON, "jsonb": W.JSON, "uuid": W.UUID,
}
# Staged as text and cast by the server: no binary dumper takes our Python values for them.
CAST_CATEGORIES = {W.JSON, W.UUID, W.OTHER}
TEXT_OID = 25
# numeric columns are staged as text: psycopg's binary numeric dumper costs ≈ 1.8 µs per value,
# str() ≈ 0.5 µs, and the server's text → numeric cast is exact. This oid (no real type has it:
# it is only a key into psycopg's dumper map) selects that dumper in COPY's set_types().
DECIMAL_TEXT_OID = 0xFFFFFFFF
TIMESTAMPTZ_OID = 1184
class _PostgreSqlTypeCompiler(PGTypeCompiler):
    """SQLAlchemy's PostgreSQL type spelling, with TIME and TIMESTAMP as PostgreSQL itself spells
    them: WITHOUT TIME ZONE is their default, and the DDL stays the text the docs list."""

    def visit_TIME(self, type_: Any, **kw: Any) -> str:
        return "TIME" if not type_.timezone and getattr(type_, "precision", None) is None else \
            super().visit_TIME(type_, **kw)

    def visit_TIMESTAMP(self, type_: Any, **kw: Any) -> str:
        return "TIMESTAMP" if not type_.timezone and getattr(type_, "precision", None) is None else \
            super().visit_TIMESTAMP(type_, **kw)


# auto.create / auto.evolve column types (ddl_types): the generic mapping, arrays of primitives, JSONB.
DDL_TYPES = DdlTypes(compiler=_PostgreSqlTypeCompiler(PGDialect_psycopg()), structured=sa_postgresql.JSONB(),
                     array=sa_postgresql.ARRAY)


def ddl_type(field: SinkField) -> str:
    """The column type the sink creates for a field (auto.create, auto.evolve), compiled by
    SQLAlchemy from the field's Connect schema (ddl_types.py)."""
    return DDL_TYPES.column_type(field.schema, is_key=field.is_key, precise=field.precise)


def stage_type(column: Column) -> str:
    """The column's type in the COPY stage table."""
    if column.category in CAST_CATEGORIES or column.category == W.DECIMAL:
        return "text"
    return "timestamptz" if column.category == W.TIMESTAMP else column.type_sql


def stage_oid(column: Column) -> int:
    """The oid that picks the column's binary COPY dumper."""
    if column.category in CAST_CATEGORIES:
        return TEXT_OID
    if column.category == W.DECIMAL:
        return DECIMAL_TEXT_OID
    return TIMESTAMPTZ_OID if column.category == W.TIMESTAMP else column.type_id


class DecimalTextDumper(Dumper):
    """A numeric value as the text of a binary COPY text column (exact: str() of a Decimal)."""

    format = psycopg.pq.Format.BINARY
    oid = DECIMAL_TEXT_OID

    def dump(self, obj: Any) -> bytes:
        if obj.__class__ is decimal.Decimal and not obj.is_finite():
            if obj.is_nan():  # sNaN and -NaN too, as the binary dumper writes them
                return b"NaN"
            return b"-Infinity" if obj.is_signed() else b"Infinity"
        return str(obj).encode()


def array_type(column: Column) -> str:
    """The cast of an array column's staged value (delete keys, update sources)."""
    if column.category in CAST_CATEGORIES:
        return f"text[]::{column.type_sql}[]"
    return f"{column.type_sql}[]"
