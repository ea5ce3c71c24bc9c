"""The Connect ⇄ JSON value codec both JSON converters share: JsonConverter (json.py) and the
JsonSchemaConverter (jsonschema_values.py, jsonschema_structs.py).

What is shared: the generated struct encoder and decoder (one code generator each, below), the
inline per-field fast paths they use, the logical-int (Date, Time, Timestamp) decoders, Decimals
written as exact JSON numbers, the non-finite float strings read back, and ``NeedExact`` (a
decimal read as a float must be re-read from the text without rounding).

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
=============================  =================================  =====================================

Generated code: only variable names and ``repr()`` literals of field names go into the source;
everything else (field names for lookups, decoders, constants) is bound in the function's namespace.
"""

from __future__ import annotations

import datetime as _dt
import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from ..api.data import INT_RANGES, Date, Decimal, Schema, Struct, Time, Timestamp, Type
from ..api.errors import DataError
from .common import (
    DATE_INLINE_RANGE, EPOCH_ORDINAL, EPOCH_UTC, ONE_MS, TIMESTAMP_INLINE_RANGE, base64_decimal_source,
    inline_decimal_scale, invalid_type, node_type,
)

__all__ = ["NeedExact", "MISSING", "JsonValueRules", "NON_FINITE_IN", "decimal_number", "logical_int_decoder",
           "struct_encoder", "struct_decoder", "Omit"]

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
    ``opaque``: schemas whose values are always encoded by their field encoder (no inline form).
    """

    replace_null_with_default: bool = True
    missing: Any = None
    float_decimals: bool = False
    omit_required_nulls: bool = False
    opaque: Callable[[Schema], bool] = _never
    label: str = "json"  # in generated functions' file names, for tracebacks

    def null_is_none(self, schema: Schema) -> bool:
        """Does a null (or a missing property) of this schema read and write as plain null/None?"""
        return schema.optional and not (schema.default is not None and self.replace_null_with_default)


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
                   payload: tuple[int, Any, Callable, Callable] | None = None) -> Decoder:
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
    if as_values:
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
    kind = "values decoder" if as_values else "decoder"
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


def _float_decimal_source(v: str, fn: str, i: int, scale: int, ns: dict[str, Any]) -> str:
    """A Decimal field's JSON number read as a float (JSON Schema, decimal.format=NUMERIC):
    jsonschema_values' ``_float_at_scale`` inline, without its Decimal arithmetic.

    ``_float_at_scale`` gives ``Decimal(repr(v))`` at the scale when repr's fraction has at most
    ``scale`` digits and the value is below 10**(15 - scale), else NeedExact. The same here, from
    repr's text: no exponent, at most ``scale`` fraction digits, at most 15 - scale integer digits
    (a stricter test for |v| < 1 at scale 15: those go to D<i>); the result is the text padded
    with zeros to the scale, the same Decimal (digits, exponent and sign, -0.00 included).
    Anything else (nan, inf, exponents, more digits) goes to D<i>, which decides.
    """
    ns[f"Z{i}"] = tuple("0" * (scale - n) for n in range(scale + 1))
    return (
        f"    elif {v}.__class__ is float:\n"
        f"        r = repr({v})\n"
        "        p = r.find('.')\n"
        "        n = len(r) - p - 1\n"
        f"        {v} = Dec(r + Z{i}[n]) if 0 < p - (r[0] == '-') <= {15 - scale} and n <= {scale} and 'e' not in r "
        f"else {fn}({v})\n"
    )
