"""The Connect ⇄ JSON value codec both JSON converters share: JsonConverter (json.py) and the
JsonSchemaConverter (jsonschema_values.py, jsonschema_structs.py).

What is shared: the generated struct encoder and decoder (one code generator each, below), the
inline per-field fast paths they use, the encoders and decoders of Date, Time, Timestamp,
integers, floats, booleans, strings, bytes and arrays (``shared_encoder``/``shared_decoder``),
Decimals written as ``str(Decimal)`` JSON numbers, the non-finite float strings read back, and
``NeedExact`` (a decimal read as a float must be re-read from the text without rounding). Each
converter keeps what is its own: the null wrappers around these, Decimal, maps and (JSON Schema)
unions and enums, and the JSON Schema ⇄ Connect schema mapping (jsonschema_data.py) or the
JsonConverter's envelope schema.

What differs between the two converters is passed in as a ``JsonValueRules`` strategy (and, for
the whole-value encoders/decoders around the generated code, kept in the converter's own module):

=============================  =================================  =====================================
                               JsonConverter (Kafka)              JsonSchemaConverter (Confluent)
=============================  =================================  =====================================
null with a default            the default when                   always the default
                               ``replace.null.with.default``
                               (else null / None)
absent object property         reads as null                      ``MISSING``: its default, else None;
                                                                  a required field is None, not an error
null of a required field       DataError on write                 the property is left out (``_Omit``)
(write)
null array item / map entry    DataError on write                 DataError (its JSON Schema has no null)
of a required schema
JSON null for a whole struct   decided by the generated decoder   by the wrapping decoder (``null``
                               (``null=`` its null rule)          not passed)
Decimal, ``decimal.format``    BASE64 (default) or NUMERIC as     NUMERIC (default): a number at the
                               ``str(Decimal)`` writes it         schema's scale (12.50, no exponent);
                               (``decimal_number``)               BASE64: base64 of the unscaled value
Decimal read from a float      always ``NeedExact`` (re-read)     exact when ≤ 15 significant digits at
                                                                  the scale (``float_decimals``), else
                                                                  ``NeedExact``
Decimal read from an int       as it is                           rescaled to the schema's scale
NaN / ±Infinity (write)        "NaN", "Infinity", "-Infinity"     DataError unless
                                                                  ``non.finite.floats=STRING``
string with enum parameters    any string                         only its symbols (``opaque``: the
                                                                  field is always encoded by its
                                                                  function)
maps with string keys          object; other keys: [[k, v], …]    object only for a required string
                                                                  key; else [{"key":k,"value":v}, …]
unions (OneOf structs)         an ordinary struct                 the set member's value
BYTES read                     base64 only                        a JSON number stays a Decimal
integer out of range (write)   "… is out of range"                an invalid type
                               (``int_range_error``)
exact re-read (NeedExact)      NaN/Infinity tokens refused        accepted (json.JSONDecoder)
=============================  =================================  =====================================

Generated code: only variable names and ``repr()`` literals of field names go into the source;
everything else (field names for lookups, decoders, constants) is bound in the function's namespace.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import decimal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ..api.data import INT_RANGES, Date, Decimal, Schema, Struct, Time, Timestamp, Type
from ..api.errors import DataError
from .common import (
    DATE_INLINE_RANGE, EPOCH_ORDINAL, EPOCH_UTC, ONE_MS, TIMESTAMP_INLINE_RANGE, base64_decimal_source,
    b64, inline_decimal_scale, invalid_type, node_type,
)

__all__ = ["NeedExact", "MISSING", "JsonValueRules", "NON_FINITE_IN", "decimal_number", "logical_int_decoder",
           "with_null", "struct_encoder", "struct_decoder", "Omit", "shared_encoder", "shared_decoder"]

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]

MISSING = object()  # a property absent from a JSON object (not the same as an explicit null)
LOGICAL_NAMES = (Decimal.LOGICAL_NAME, Date.LOGICAL_NAME, Time.LOGICAL_NAME, Timestamp.LOGICAL_NAME)
# Jackson writes non-finite doubles as these quoted strings; reading them back restores the float.
NON_FINITE_IN = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


class NeedExact(Exception):
    """A Decimal arrived as a float: the payload must be re-parsed without rounding."""


class Omit(Exception):
    """A required struct field without default is null: the JSON Schema converter leaves it out."""


def _never(schema: Schema) -> bool:
    return False


@dataclass(frozen=True)
class JsonValueRules:
    """How a converter's values differ (see the module docstring's table) where the shared code
    generators need to know.

    ``replace_null_with_default``: a null with a schema default reads and writes as the default.
    ``missing``: what an absent object property reads as before its field decoder sees it.
    ``float_decimals``: a Decimal field's JSON number parsed as a float is converted inline when
    exact (else its decoder raises NeedExact); False: the decoder always decides.
    ``omit_required_nulls``: a required field's encoder raises ``Omit`` for null; the struct is
    then written without that property.
    ``opaque``: schemas whose values are always encoded by their field encoder (no inline form),
    and which ``shared_encoder`` leaves to the converter.
    ``int_range_error``: an integer out of its type's range is "out of range" (Kafka) rather than
    an invalid type (Confluent).
    ``bytes_take_decimal``: a BYTES schema reads an exact JSON number as a Decimal (Confluent).
    """

    replace_null_with_default: bool = True
    missing: Any = None
    float_decimals: bool = False
    omit_required_nulls: bool = False
    opaque: Callable[[Schema], bool] = _never
    int_range_error: bool = False
    bytes_take_decimal: bool = False
    label: str = "json"  # in generated functions' file names, for tracebacks

    def null_is_none(self, schema: Schema) -> bool:
        """Does a null (or a missing property) of this schema read and write as plain null/None?"""
        return schema.optional and not (schema.default is not None and self.replace_null_with_default)

    def null_rule(self, schema: Schema, required_message: str,
                  default: Callable[[Any], Any] = lambda d: d) -> tuple[bool, Any]:
        """What a null of ``schema`` gives: (False, value) — ``default(schema.default)`` or None — or
        (True, the DataError message) for a required schema without a default that applies."""
        if schema.default is not None and self.replace_null_with_default:
            return False, default(schema.default)
        if schema.optional:
            return False, None
        return True, required_message


# -- shared value pieces -------------------------------------------------------------------------

def decimal_number(v: decimal.Decimal) -> orjson.Fragment:
    """A Decimal as the JSON number ``str(Decimal)`` writes (Java's BigDecimal.toString())."""
    if not v.is_finite():
        raise DataError(f"Invalid Decimal value {v}: only finite values can be written as JSON numbers")
    return orjson.Fragment(str(v))


def logical_int_decoder(schema: Schema, logical: Any, what: str) -> Decoder:
    """Date / Time (int32) and Timestamp (int64) from a JSON integer, Kafka's error otherwise."""
    lo, hi = INT_RANGES[Type.INT64 if logical is Timestamp else Type.INT32]
    label = logical.__name__

    def decode(v: Any) -> Any:
        if v.__class__ is int and lo <= v <= hi:
            return logical.to_logical(schema, v)
        raise DataError(f"Invalid type for {label}, underlying representation should be {what} but was {node_type(v)}")
    return decode


def with_null(base: Callable[[Any], Any], null: tuple[bool, Any]) -> Callable[[Any], Any]:
    """``base`` for a non-null value; a null gives ``null[1]``, or raises DataError(``null[1]``)
    when ``null[0]`` (``JsonValueRules.null_rule``)."""
    refuse, result = null
    if refuse:
        def required(v: Any) -> Any:
            if v is None:
                raise DataError(result)
            return base(v)
        return required

    def nullable(v: Any) -> Any:
        return result if v is None else base(v)
    return nullable


# -- the value encoders and decoders both converters share ----------------------------------------

def shared_encoder(schema: Schema, encoder: Callable[[Schema], Encoder], rules: JsonValueRules,
                   non_finite: Callable[[float], Any]) -> Encoder | None:
    """The encoder of a non-null value of ``schema`` where both converters write the same JSON:
    Date, Time, Timestamp, integers, floats (``non_finite`` writes NaN and ±Infinity), booleans,
    strings, bytes and arrays (``encoder(schema)``: an item's full encoder). None for the rest
    (Decimal, maps, structs, unions, and strings the rules make ``opaque``)."""
    name, t = schema.name, schema.type
    if name == Decimal.LOGICAL_NAME:
        return None
    if name == Date.LOGICAL_NAME:
        return lambda v: Date.from_logical(schema, v)
    if name == Time.LOGICAL_NAME:
        return lambda v: Time.from_logical(schema, v)
    if name == Timestamp.LOGICAL_NAME:
        return lambda v: Timestamp.from_logical(schema, v)
    if t in INT_RANGES:
        lo, hi = INT_RANGES[t]
        name_the_range = rules.int_range_error

        def integer(v: Any) -> Any:
            if isinstance(v, int) and not isinstance(v, bool):
                if lo <= v <= hi:
                    return int(v)
                if name_the_range:
                    raise DataError(f"Invalid value for {t.name}: {v} is out of range")
            raise invalid_type(schema, v)
        return integer
    if t is Type.FLOAT32 or t is Type.FLOAT64:
        def floating(v: Any) -> Any:
            if isinstance(v, (float, int)) and not isinstance(v, bool):
                v = float(v)
                return v if v - v == 0.0 else non_finite(v)
            raise invalid_type(schema, v)
        return floating
    if t is Type.BOOLEAN:
        def boolean(v: Any) -> Any:
            if isinstance(v, bool):
                return v
            raise invalid_type(schema, v)
        return boolean
    if t is Type.STRING:
        if rules.opaque(schema):
            return None

        def string(v: Any) -> Any:
            if isinstance(v, str):
                return str(v)  # a str subclass as the plain str orjson writes for it
            raise invalid_type(schema, v)
        return string
    if t is Type.BYTES:
        def binary(v: Any) -> Any:
            if isinstance(v, (bytes, bytearray, memoryview)):
                return b64(v)
            # Only a Decimal schema says how to write a Decimal (Java's BYTES branch writes a
            # BigDecimal as a number, which the JSON Schema "string" of plain bytes refuses).
            raise DataError(f"Invalid type for bytes type: {type(v)}")
        return binary
    if t is Type.ARRAY:
        item = encoder(schema.value_schema)

        def array(v: Any) -> Any:
            if isinstance(v, (list, tuple)):
                return [item(x) for x in v]
            raise invalid_type(schema, v)
        return array
    return None


def shared_decoder(schema: Schema, decoder: Callable[[Schema], Decoder], rules: JsonValueRules) -> Decoder | None:
    """The decoder of a non-null JSON value for ``schema`` where both converters read the same:
    Date, Time, Timestamp, integers, floats, booleans, strings, bytes and arrays
    (``decoder(schema)``: an item's full decoder). None for the rest (Decimal, maps, structs, unions)."""
    name, t = schema.name, schema.type
    if name == Decimal.LOGICAL_NAME:
        return None
    for logical, what in ((Date, "integer"), (Time, "integer"), (Timestamp, "integral")):
        if name == logical.LOGICAL_NAME:
            return logical_int_decoder(schema, logical, what)
    if t in INT_RANGES:
        lo, hi = INT_RANGES[t]

        def integer(v: Any) -> Any:
            if v.__class__ is not int and isinstance(v, (float, decimal.Decimal)) and v - v == 0:
                v = int(v)  # Jackson's intValue()/longValue() truncate a fractional number
            if v.__class__ is int and lo <= v <= hi:
                return v
            raise DataError(f"Invalid value for {t.name} field: {node_type(v)} {v!r}")
        return integer
    if t is Type.FLOAT32 or t is Type.FLOAT64:
        def floating(v: Any) -> Any:
            if v.__class__ is str and v in NON_FINITE_IN:
                return NON_FINITE_IN[v]
            if isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool):
                return float(v)
            raise DataError(f"Invalid value for {t.name} field: {node_type(v)}")
        return floating
    if t is Type.BOOLEAN or t is Type.STRING:
        expected = bool if t is Type.BOOLEAN else str

        def simple(v: Any) -> Any:
            if v.__class__ is expected:
                return v
            raise DataError(f"Invalid value for {t.name} field: {node_type(v)}")
        return simple
    if t is Type.BYTES:
        bytes_take_decimal = rules.bytes_take_decimal

        def binary(v: Any) -> Any:
            if bytes_take_decimal and isinstance(v, decimal.Decimal):
                return v
            try:
                return base64.b64decode(v, validate=True)
            except (binascii.Error, ValueError, TypeError) as exc:
                raise DataError("Invalid bytes field") from exc
        return binary
    if t is Type.ARRAY:
        item = decoder(schema.value_schema)

        def array(v: Any) -> Any:
            if v.__class__ is not list:
                raise DataError(f"Arrays should be encoded as JSON arrays, but found {node_type(v)}")
            return [item(x) for x in v]
        return array
    return None


# -- Connect struct -> JSON object ---------------------------------------------------------------

_ENCODE_NS = {"DT": _dt.datetime, "DATE": _dt.date, "EPOCH": EPOCH_UTC, "MS": ONE_MS, "ORD0": EPOCH_ORDINAL}


def struct_encoder(schema: Schema, field_encoder: Callable[[Schema], Encoder], rules: JsonValueRules) -> Encoder:
    """Struct (or a dict standing for one) → JSON object; ``field_encoder(schema)`` is a field's full
    encoder (null rules included). Generated so that each field costs an inline type test instead
    of a function call; field names go in as repr() literals, so the dict has constant keys."""
    ns: dict[str, Any] = {"Struct": Struct, "SCHEMA": schema, "Omit": Omit, **_ENCODE_NS}
    exprs, encoders = [], []
    for i, f in enumerate(schema.fields):
        encode_field = field_encoder(f.schema)
        ns[f"E{i}"] = encode_field
        encoders.append((f.name, encode_field))
        exprs.append(f"{f.name!r}: " + _encode_expr(f.schema, f"v{i}", f"E{i}", rules))
    n = len(schema.fields)
    unpack = f"    {', '.join(f'v{i}' for i in range(n))}, = s.values\n" if n else ""

    def other(s: Any) -> Any:
        if isinstance(s, Struct):
            # Kafka insists on equal schemas; equal fields suffice to encode, and that lets a
            # struct default (built before its schema had the default) be written.
            if s.schema != schema and s.schema.fields != schema.fields:
                raise DataError("Mismatching schema.")
            return encode(Struct._of(schema, s.values))
        if isinstance(s, Mapping):  # a plain dict stands in for a Struct
            return encode(Struct.from_dict(schema, s))
        raise invalid_type(schema, s)

    def with_omissions(s: Struct) -> Any:
        out = {}
        for (field_name, encode_field), value in zip(encoders, s.values):
            try:
                out[field_name] = encode_field(value)
            except Omit:
                pass
        return out

    ns["other"], ns["with_omissions"] = other, with_omissions
    body = f"    return {{{', '.join(exprs)}}}\n"
    if rules.omit_required_nulls:
        body = "    try:\n    " + body + "    except Omit:\n        return with_omissions(s)\n"
    source = (
        "def encode(s):\n"
        "    if s.__class__ is not Struct or s.schema is not SCHEMA:\n"
        "        return other(s)\n"
        f"{unpack}"
        f"{body}"
    )
    exec(compile(source, f"<{rules.label} encoder {schema!r}>", "exec"), ns)
    encode = ns["encode"]
    return encode


def _encode_expr(schema: Schema, var: str, fn: str, rules: JsonValueRules) -> str:
    """Source for one struct field: the common well-typed value inline, anything else via ``fn``."""
    expr = _encode_value_expr(schema, var, fn, rules)
    if rules.null_is_none(schema) and expr != f"{fn}({var})":
        # A null written as null: no call needed for it either.
        head, _, tail = expr.rpartition(" else ")
        return f"{head} else None if {var} is None else {tail}"
    return expr


def _encode_value_expr(schema: Schema, var: str, fn: str, rules: JsonValueRules) -> str:
    name, t = schema.name, schema.type
    if name == Timestamp.LOGICAL_NAME:
        # Timestamp.from_logical's (v - EPOCH) // MS: (d.days * 86400 + d.seconds) * 1000 +
        # d.microseconds // 1000 is the same integer, cheaper.
        return (f"((d := {var} - EPOCH).days * 86400 + d.seconds) * 1000 + d.microseconds // 1000 "
                f"if {var}.__class__ is DT and {var}.tzinfo is not None else {fn}({var})")
    if name == Date.LOGICAL_NAME:
        return f"{var}.toordinal() - ORD0 if {var}.__class__ is DATE else {fn}({var})"
    if name in LOGICAL_NAMES or rules.opaque(schema):
        return f"{fn}({var})"
    if t in INT_RANGES:
        lo, hi = INT_RANGES[t]
        return f"{var} if {var}.__class__ is int and {lo} <= {var} <= {hi} else {fn}({var})"
    if t is Type.STRING:
        return f"{var} if {var}.__class__ is str else {fn}({var})"
    if t is Type.BOOLEAN:
        return f"{var} if {var}.__class__ is bool else {fn}({var})"
    if t is Type.FLOAT32 or t is Type.FLOAT64:
        return f"{var} if {var}.__class__ is float and {var} - {var} == 0.0 else {fn}({var})"
    return f"{fn}({var})"


# -- JSON object -> Connect struct ---------------------------------------------------------------

def struct_decoder(schema: Schema, field_decoder: Callable[[Schema], Decoder], rules: JsonValueRules,
                   null: tuple[bool, Any] | None = None, as_values: bool = False,
                   payload: tuple[int, Any, Callable, Callable] | None = None,
                   project: Sequence[int] | None = None) -> Decoder:
    """JSON object → Struct (or its values list); ``field_decoder(schema)`` is a field's full decoder.

    Each field is a plain subscript (no call) while every property is present; the common
    well-typed value is converted inline (logical types included: Decimal from base64,
    Timestamp, Date) and anything else — null, a missing property, a bad value — goes to the
    field's full decoder ``D<i>``, which gives the exact result or error of the general path.

    ``null``: what a JSON null for the whole struct gives, (True, error message) or (False, value);
    None: it is "not an object" (the caller's wrapper handles null before this decoder).
    ``as_values``: return the struct's ``values`` list (the sink fast path, api/sink_rows.py)
    instead of the Struct; the two differ only in their last statement.
    ``payload = (start, reader, loads, loads_exact)``: the decoder takes a message instead and
    parses ``message[start:]`` with ``loads_exact`` once ``reader.exact`` is set, else ``loads``.
    ``project`` (with ``as_values``): return the values of these field indices as a tuple, in
    this order (the sink fast path's projected rows); every field is still decoded and checked,
    so the decoder raises exactly where the values decoder raises.
    """
    ns: dict[str, Any] = {"SCHEMA": schema, "Struct": Struct, "new": object.__new__, "MISSING": rules.missing}
    fast, slow, lines, names = [], [], [], []
    for i, f in enumerate(schema.fields):
        ns[f"N{i}"], ns[f"D{i}"] = f.name, field_decoder(f.schema)
        fast.append(f"        v{i} = o[N{i}]\n")
        slow.append(f"        v{i} = get(N{i}, MISSING)\n")
        lines.append(_field_decode_source(f.schema, i, ns, rules))
        names.append(f"v{i}")

    def not_object(o: Any) -> Any:
        if o is None and null is not None:
            if null[0]:
                raise DataError(null[1])
            return null[1]
        raise DataError(f"Structs should be encoded as JSON objects, but found {node_type(o)}")

    ns["not_object"] = not_object
    fetch = (
        "    try:\n"  # every property present (the usual case): no dict.get calls
        f"{''.join(fast)}"
        "    except KeyError:\n"  # a missing property is MISSING (the rules say what that reads as)
        "        get = o.get\n"
        f"{''.join(slow)}"
    ) if names else ""
    if as_values and project is not None:
        if any(not 0 <= i < len(names) for i in project):
            raise ValueError(f"field indices {list(project)} out of range for {schema!r}")
        result = f"    return ({''.join(f'v{int(i)}, ' for i in project)})\n"
    elif as_values:
        result = f"    return [{', '.join(names)}]\n"
    else:
        result = (
            "    s = new(Struct)\n"  # Struct._of, inline: the values are already valid
            "    s.schema = SCHEMA\n"
            f"    s.values = [{', '.join(names)}]\n"
            "    return s\n"
        )
    parse = ""
    if payload is not None:
        start, ns["READER"], ns["LOADS"], ns["LOADS_EXACT"] = payload
        parse = f"    o = LOADS_EXACT(o[{int(start)}:]) if READER.exact else LOADS(o[{int(start)}:])\n"
    source = (
        "def decode(o):\n"
        f"{parse}"
        "    if o.__class__ is not dict:\n"
        "        return not_object(o)\n"
        f"{fetch}"
        f"{''.join(lines)}"
        f"{result}"
    )
    kind = "decoder" if not as_values else "values decoder" if project is None else f"projection {list(project)}"
    exec(compile(source, f"<{rules.label} {kind} {schema!r}>", "exec"), ns)
    return ns["decode"]


def _field_decode_source(schema: Schema, i: int, ns: dict[str, Any], rules: JsonValueRules) -> str:
    """Statement(s) turning the JSON value ``v<i>`` into its Connect value; ``D<i>`` for the rest.

    The inline forms give exactly what ``D<i>`` gives for the values they accept.
    """
    v, fn = f"v{i}", f"D{i}"
    null_ok = rules.null_is_none(schema)  # null decodes to None: handled inline too
    name, t = schema.name, schema.type
    if name == Decimal.LOGICAL_NAME:
        scale = inline_decimal_scale(schema)
        if scale is None:
            return f"    {v} = {fn}({v})\n"
        return (
            base64_decimal_source(v, fn, i, scale, ns)
            + (_float_decimal_source(v, fn, i, scale, ns) if rules.float_decimals and scale > 0 else "")
            + (f"    elif {v} is not None:\n" if null_ok else "    else:\n")
            + f"        {v} = {fn}({v})\n"
        )
    if name == Timestamp.LOGICAL_NAME:
        lo, hi = TIMESTAMP_INLINE_RANGE
        ns.update(EPOCH=EPOCH_UTC, MS=ONE_MS)
        expr = f"EPOCH + MS * {v}"
    elif name == Date.LOGICAL_NAME:
        lo, hi = DATE_INLINE_RANGE
        ns.update(fromordinal=_dt.date.fromordinal)
        expr = f"fromordinal({v} + {EPOCH_ORDINAL})"
    elif name in LOGICAL_NAMES:  # Time
        return f"    {v} = {fn}({v})\n"
    elif t in INT_RANGES:
        lo, hi = INT_RANGES[t]
        expr = v
    elif t is Type.STRING or t is Type.BOOLEAN or t is Type.FLOAT32 or t is Type.FLOAT64:
        cls = {Type.STRING: "str", Type.BOOLEAN: "bool"}.get(t, "float")
        none = f" or {v} is None" if null_ok else ""
        return f"    {v} = {v} if {v}.__class__ is {cls}{none} else {fn}({v})\n"
    else:
        return f"    {v} = {fn}({v})\n"
    cond = f"{v}.__class__ is int and {lo} <= {v} <= {hi}"
    if null_ok:
        return f"    {v} = {expr} if {cond} else {v} if {v} is None else {fn}({v})\n"
    return f"    {v} = {expr} if {cond} else {fn}({v})\n"


# scaleb of the inline decimals: exact whatever the task thread's decimal context (n has ≤ 15 digits).
_SCALEB_CONTEXT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


def _float_decimal_source(v: str, fn: str, i: int, scale: int, ns: dict[str, Any]) -> str:
    """A Decimal field's JSON number read as a float (JSON Schema, decimal.format=NUMERIC):
    jsonschema_values' ``_float_at_scale`` inline, without its Decimal arithmetic or repr().

    ``_float_at_scale`` gives ``Decimal(repr(v))`` at the scale when repr's fraction has at most
    ``scale`` digits and the value is below 10**(15 - scale), else NeedExact. Here, with the
    integer ``n = round(v * 10**scale)``: when ``n / 10**scale == v`` and ``0 < |n| < 10**15``,
    the decimal n·10**-scale has at most 15 significant digits and rounds to ``v``, so it is the
    value of repr(v) (two decimals of at most 15 digits never round to one double, and repr's
    shortest form has no more digits than it), and the result is ``Decimal(n).scaleb(-scale)``:
    the same digits, exponent and sign. (``v * 10**scale`` is within 0.25 of n, which is below
    2**53, so round() finds n; a repr with more fraction digits gives another double.) Kept as
    before the change: values below 1e-4 (repr's exponent form) and zero (-0.00 keeps its sign)
    go to D<i>, and so do nan, inf and scales above 14, which decides for all of them.
    """
    if scale > 14:
        return ""
    ns[f"P{i}"], ns["SCALEB"] = 10 ** scale, _SCALEB_CONTEXT
    low = 10 ** max(0, scale - 4)  # |n| >= low: |v| >= 1e-4
    bound = float(10 ** (16 - scale))  # |v| < bound: v * 10**scale is finite and far below 2**63
    return (
        f"    elif {v}.__class__ is float and {-bound!r} < {v} < {bound!r}:\n"  # no nan, inf or overflow
        f"        n = round({v} * P{i})\n"
        f"        {v} = Dec(n).scaleb({-scale}, SCALEB) if ({low} <= n < {10 ** 15} or {-10 ** 15} < n <= {-low}) "
        f"and n / P{i} == {v} else {fn}({v})\n"
    )