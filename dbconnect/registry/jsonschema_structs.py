"""Generated JSON object → struct decoders for the JSON Schema converter (split from jsonschema_values).

One decoder is generated per struct schema: each field is a plain subscript (no call) while every
property is present, the common well-typed value is converted inline — logical types included:
Decimal from base64, Timestamp, Date — and anything else (null, a missing property, a Decimal as
a JSON number, a bad value) goes to the field's full decoder ``D<i>``, which gives the exact
result or error. Only variable names go into the source; field names are bound as constants
``N<i>``.

``as_values=True`` generates the same decoder returning the struct's ``values`` list instead of
the Struct: what the sink fast path (api/sink_rows.py) hands to a sink task. The two differ only
in their last statement, so their values are the same by construction. With ``payload`` the
decoder takes the whole message and parses its JSON itself (the fast path's per-message function:
one Python call per message instead of a wrapper around the JSON parse and the decoder).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

from ..api.data import INT_RANGES, Date, Decimal, Schema, Struct, Time, Timestamp, Type
from ..api.errors import DataError
from ..converters.common import (
    DATE_INLINE_RANGE, EPOCH_ORDINAL, EPOCH_UTC, ONE_MS, TIMESTAMP_INLINE_RANGE, base64_decimal_source,
    inline_decimal_scale, node_type,
)

MISSING_NAME = "MISSING"
_LOGICAL = (Decimal.LOGICAL_NAME, Date.LOGICAL_NAME, Time.LOGICAL_NAME, Timestamp.LOGICAL_NAME)


def struct_decoder(schema: Schema, field_decoder: Callable[[Schema], Callable[[Any], Any]],
                   as_values: bool = False, payload: tuple[int, Any, Callable, Callable] | None = None
                   ) -> Callable[[Any], Any]:
    """JSON object → Struct (or its values list); ``field_decoder(schema)`` is a field's full decoder.

    ``payload = (start, reader, loads, loads_exact)``: the decoder takes a message instead and
    parses ``message[start:]`` with ``loads_exact`` once ``reader.exact`` is set, else ``loads``.
    """
    from .jsonschema_values import MISSING

    ns: dict[str, Any] = {"SCHEMA": schema, "Struct": Struct, "new": object.__new__, "MISSING": MISSING}
    fast, slow, lines, names = [], [], [], []
    for i, f in enumerate(schema.fields):
        ns[f"N{i}"], ns[f"D{i}"] = f.name, field_decoder(f.schema)
        fast.append(f"        v{i} = o[N{i}]\n")
        slow.append(f"        v{i} = get(N{i}, MISSING)\n")
        lines.append(_field_decode_source(f.schema, i, ns))
        names.append(f"v{i}")

    def not_object(o: Any) -> Any:
        raise DataError(f"Structs should be encoded as JSON objects, but found {node_type(o)}")

    ns["not_object"] = not_object
    fetch = (
        "    try:\n"  # every property present (the usual case): no dict.get calls
        f"{''.join(fast)}"
        "    except KeyError:\n"  # a missing property is MISSING (its default, or null)
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
    exec(compile(source, f"<jsonschema {kind} {schema!r}>", "exec"), ns)
    return ns["decode"]


def _field_decode_source(schema: Schema, i: int, ns: dict[str, Any]) -> str:
    """Statement(s) turning the JSON value ``v<i>`` into its Connect value; ``D<i>`` for the rest.

    The inline forms give exactly what ``D<i>`` gives for the values they accept.
    """
    v, fn = f"v{i}", f"D{i}"
    # An optional field without default decodes null to None: handled inline too.
    null_ok = schema.optional and schema.default is None
    name, t = schema.name, schema.type
    if name == Decimal.LOGICAL_NAME:
        scale = inline_decimal_scale(schema)
        if scale is None:
            return f"    {v} = {fn}({v})\n"
        return (
            base64_decimal_source(v, fn, i, scale, ns)
            # A JSON number (decimal.format=NUMERIC) read as a float: _float_at_scale inline — the
            # exact Decimal when the float's shortest repr has at most the scale's digits and at
            # most 15 significant ones; anything else goes to D<i> (NeedExact: parsed again exactly).
            + (_float_decimal_source(v, fn, i, scale, ns) if scale > 0 else "")
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
    elif name in _LOGICAL:  # Time
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
    """A Decimal field's JSON number read as a float (decimal.format=NUMERIC): ``_float_at_scale``
    (jsonschema_values) inline, without its Decimal arithmetic.

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
