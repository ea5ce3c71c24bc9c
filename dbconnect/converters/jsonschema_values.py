"""Connect values ↔ JSON values for the JSON Schema converter (JsonSchemaData's value half).

Encoders turn a Connect value into what ``orjson.dumps`` writes; decoders turn parsed JSON back
into Connect values. Both are built once per schema. Struct encoders and decoders are generated
Python functions (as in JsonConverter) so that a record costs one call plus an inline type test
per field; logical types have inlined fast paths for the common Python classes.

Null handling follows Confluent's JsonSchemaData: a null field with a default writes the
default, an optional one writes ``null``, and a required one without default is left out of the
object; in arrays and maps a null element is written as ``null`` when its schema is optional.

Every value written matches the JSON Schema ``JsonSchemaData`` registers for its schema (what a
validating reader such as confluent-kafka's ``JSONDeserializer`` checks); what cannot match is
refused with a DataError instead of being written: a null element of a required schema, a
string outside its enum, a Decimal under a plain bytes schema, a union with no value, and (unless
``non_finite_floats="STRING"``) NaN and ±Infinity floats.
"""

from __future__ import annotations

import base64
import binascii
import decimal
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from ..api.data import INT_RANGES, Decimal, Schema, Struct, Type
from ..api.errors import DataError
from ..api.payload import non_finite_writer, register_json_value_decoder
from .common import b64, invalid_type, node_type
from .json_codec import (
    LOGICAL_NAMES, MISSING, NON_FINITE_IN, JsonValueRules, NeedExact, Omit, shared_decoder, shared_encoder,
    struct_decoder, struct_encoder, with_null,
)
from .jsonschema_data import JSON_TYPE_ONE_OF, KEY_FIELD, VALUE_FIELD, enum_symbols

__all__ = ["ValueCodec", "NeedExact", "MISSING", "RULES", "node_type"]

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]

_NON_FINITE_IN = NON_FINITE_IN
_LOGICAL = LOGICAL_NAMES
_b2a = binascii.b2a_base64
# Decimal arithmetic that never rounds silently: rescaling traps instead of losing digits.
_EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN,
                         traps=[decimal.Inexact, decimal.InvalidOperation])
# A JSON number of at most 15 significant digits survives orjson's float parse: the shortest
# repr() of the nearest double is that number again (DBL_DIG is 15).
_FLOAT_EXACT_DIGITS = 10 ** 15


_Omit = Omit  # a required struct field without default is null: Confluent leaves it out of the object


def _opaque(schema: Schema) -> bool:
    """An enum string is always written by its encoder, which checks the symbols."""
    return schema.type is Type.STRING and enum_symbols(schema.parameters) is not None


# Confluent's value rules for the shared struct code generators (json_codec.py).
RULES = JsonValueRules(replace_null_with_default=True, missing=MISSING, float_decimals=True,
                       omit_required_nulls=True, opaque=_opaque, bytes_take_decimal=True, label="jsonschema")


class ValueCodec:
    """Builds (and caches) the encoder and decoder of each schema."""

    def __init__(self, decimal_format: str = "NUMERIC", non_finite_floats: str = "FAIL"):
        self.decimal_format = decimal_format
        self.non_finite_floats = non_finite_floats
        self._non_finite = non_finite_writer(non_finite_floats)  # ValueError for an unknown mode
        self._encoders: dict[tuple[Schema, bool], Encoder] = {}
        self._decoders: dict[Schema, Decoder] = {}

    # == Connect -> JSON ============================================================================

    def encoder(self, schema: Schema, field: bool = False) -> Encoder:
        """value → JSON-ready object; ``field`` selects struct-field null handling (omission)."""
        key = (schema, field)
        cached = self._encoders.get(key)
        if cached is None:
            cached = self._encoders[key] = self._with_nulls(schema, self._base_encoder(schema), field)
        return cached

    def _with_nulls(self, schema: Schema, base: Encoder, field: bool) -> Encoder:
        if field and schema.default is None and not schema.optional:
            def required(v: Any) -> Any:
                if v is None:
                    raise _Omit()
                return base(v)
            return required
        # An array item or map entry that is required: its JSON Schema has no null to write
        # (Confluent's converter writes null anyway, which no validating reader accepts).
        element = (f"Invalid value: null used for a required {schema.type.name} array item, map key or map value; "
                   "its JSON Schema does not admit null (make the schema optional)")
        return with_null(base, RULES.null_rule(schema, element, base))

    def _base_encoder(self, schema: Schema) -> Encoder:
        name, t = schema.name, schema.type
        if name == Decimal.LOGICAL_NAME:
            return self._decimal_encoder(schema)
        if t is Type.STRING and _opaque(schema):
            return _enum_encoder(schema, enum_symbols(schema.parameters))
        shared = shared_encoder(schema, self.encoder, RULES, self._non_finite)
        if shared is not None:
            return shared
        if t is Type.MAP:
            return self._map_encoder(schema)
        if name == JSON_TYPE_ONE_OF:
            return self._union_encoder(schema)
        return self._struct_encoder(schema)

    def _decimal_encoder(self, schema: Schema) -> Encoder:
        k = Decimal.scale(schema)
        D, b2a, Fragment = decimal.Decimal, _b2a, orjson.Fragment
        if self.decimal_format == "NUMERIC":
            def exact_number(v: Any) -> Any:
                if not isinstance(v, decimal.Decimal):
                    raise DataError(f"Invalid type for Decimal, expected BigDecimal but was {type(v)}")
                return Fragment(_number_text(Decimal.unscaled(schema, v), k))

            # The JSON number carries the schema's scale (12.50, not 12.5), so that exact readers
            # (Java's BigDecimal, Python's Decimal) get the scale back. Fast path: at the schema's
            # scale already, str() is that text unless it uses an exponent.
            if k <= 0:
                return exact_number
            point = -k - 1

            def numeric(v: Any) -> Any:
                if v.__class__ is D:
                    s = v.__str__()
                    if len(s) > k and s[point] == "." and "E" not in s:
                        return Fragment(s)
                return exact_number(v)
            return numeric

        def exact(v: Any) -> Any:
            if not isinstance(v, decimal.Decimal):
                raise DataError(f"Invalid type for Decimal, expected BigDecimal but was {type(v)}")
            return b64(Decimal.from_logical(schema, v))

        if k <= 0:
            return exact

        def base64_decimal(v: Any) -> Any:
            # Fast path: a Decimal already at the schema's scale prints as "digits.kdigits"; its
            # unscaled value is those digits. Anything else takes the exact (slower) route.
            if v.__class__ is D:
                s = v.__str__()
                if len(s) > k and s[-k - 1] == "." and "E" not in s:
                    u = int(s.replace(".", ""))
                    # Java's BigInteger.toByteArray(): shortest two's complement, sign bit included.
                    if u >= 0:
                        return b2a(u.to_bytes((u.bit_length() >> 3) + 1, "big"))[:-1].decode()
                    n = ((~u).bit_length() >> 3) + 1
                    return b2a((u + (1 << (n << 3))).to_bytes(n, "big"))[:-1].decode()
            return exact(v)
        return base64_decimal

    def _map_encoder(self, schema: Schema) -> Encoder:
        key, val = self.encoder(schema.key_schema), self.encoder(schema.value_schema)
        as_object = schema.key_schema.type is Type.STRING and not schema.key_schema.optional

        def mapping(v: Any) -> Any:
            if not isinstance(v, Mapping):
                raise invalid_type(schema, v)
            if as_object:
                return {str(key(k)): val(x) for k, x in v.items()}
            return [{KEY_FIELD: key(k), VALUE_FIELD: val(x)} for k, x in v.items()]
        return mapping

    def _union_encoder(self, schema: Schema) -> Encoder:
        fields = [(f, self.encoder(f.schema)) for f in schema.fields]

        def union(s: Any) -> Any:
            if not isinstance(s, Struct):
                raise invalid_type(schema, s)
            for f, encode in fields:
                value = s.get(f)
                if value is not None:
                    return encode(value)
            if schema.optional:
                return None
            raise DataError(f"Invalid value for the required union {JSON_TYPE_ONE_OF}: none of its fields is set, "
                            "and its JSON Schema does not admit null")
        return union

    def _struct_encoder(self, schema: Schema) -> Encoder:
        return struct_encoder(schema, self._field_encoder, RULES)

    def _field_encoder(self, schema: Schema) -> Encoder:
        return self.encoder(schema, field=True)

    # == JSON -> Connect ============================================================================

    def decoder(self, schema: Schema) -> Decoder:
        """JSON value (or MISSING) → Connect value, with Confluent's null/default handling."""
        cached = self._decoders.get(schema)
        if cached is not None:
            return cached
        base = self._base_decoder(schema)
        default = schema.default
        if default is not None:
            def defaulted(v: Any) -> Any:
                return default if v is None or v is MISSING else base(v)
            decode = defaulted
        elif schema.optional:
            def nullable(v: Any) -> Any:
                return None if v is None or v is MISSING else base(v)
            decode = nullable
        else:
            message = f"Invalid null value for required {schema.type} field"

            def required(v: Any) -> Any:
                if v is None:
                    raise DataError(message)
                return None if v is MISSING else base(v)
            decode = required
        self._decoders[schema] = decode
        return decode

    def _base_decoder(self, schema: Schema) -> Decoder:
        name, t = schema.name, schema.type
        if name == Decimal.LOGICAL_NAME:
            quantum = decimal.Decimal(1).scaleb(-Decimal.scale(schema))
            float_limit = decimal.Decimal(_FLOAT_EXACT_DIGITS) * quantum

            def to_decimal(v: Any) -> Any:
                cls = v.__class__
                if cls is str:
                    try:
                        return Decimal.to_logical(schema, base64.b64decode(v, validate=True))
                    except (binascii.Error, ValueError, DataError) as exc:
                        raise DataError(f"Invalid bytes for Decimal field: {exc}") from exc
                if cls is float:
                    return _float_at_scale(v, quantum, float_limit)
                if cls is decimal.Decimal or cls is int:
                    return _at_scale(decimal.Decimal(v), quantum)
                raise DataError("Invalid type for Decimal, underlying representation should be numeric or bytes "
                                f"but was {node_type(v)}")
            return to_decimal
        shared = shared_decoder(schema, self.decoder, RULES)
        if shared is not None:
            return shared
        if t is Type.MAP:
            return self._map_decoder(schema)
        if name == JSON_TYPE_ONE_OF:
            return self._union_decoder(schema)
        return self._struct_decoder(schema)

    def _map_decoder(self, schema: Schema) -> Decoder:
        key, val = self.decoder(schema.key_schema), self.decoder(schema.value_schema)
        if schema.key_schema.type is Type.STRING and not schema.key_schema.optional:
            def object_map(v: Any) -> Any:
                if v.__class__ is not dict:
                    raise DataError(f"Maps with string fields should be encoded as JSON objects, but found {node_type(v)}")
                return {k: val(x) for k, x in v.items()}
            return object_map

        def entries_map(v: Any) -> Any:
            if v.__class__ is not list:
                raise DataError("Maps with non-string fields should be encoded as JSON array of objects, but found "
                                f"{node_type(v)}")
            result = {}
            for entry in v:
                if entry.__class__ is not dict:
                    raise DataError(f"Found invalid map entry instead of object: {node_type(entry)}")
                if len(entry) != 2:
                    raise DataError(f"Found invalid map entry, expected length 2 but found :{len(entry)}")
                result[key(entry.get(KEY_FIELD))] = val(entry.get(VALUE_FIELD))
            return result
        return entries_map

    def _union_decoder(self, schema: Schema) -> Decoder:
        members = [(f, self.decoder(f.schema)) for f in schema.fields]

        def union(v: Any) -> Any:
            best, best_score = None, -1
            for f, decode in members:
                if _matches_simple(f.schema, v):
                    values = [None] * len(members)
                    values[f.index] = decode(v)
                    return Struct._of(schema, values)
                if f.schema.type is Type.STRUCT and v.__class__ is dict:
                    score = len(set(f.schema.field_names) & v.keys())
                    if score > best_score:
                        best, best_score = (f, decode), score
            if best is None:
                # No member of the value's own JSON type: a Decimal member takes a number or its
                # base64 string, a bytes member a base64 string.
                best = next(((f, decode) for f, decode in members if _matches_encoded(f.schema, v)), None)
            if best is None:
                raise DataError("Did not find matching oneof field for data")
            values = [None] * len(members)
            values[best[0].index] = best[1](v)
            return Struct._of(schema, values)
        return union

    def _struct_decoder(self, schema: Schema) -> Decoder:
        # Generated once per schema by the shared generator; the converter caches it by schema id.
        return struct_decoder(schema, self.decoder, RULES)


def _value_decoder(decimal_format: str, schema: Schema) -> Decoder:
    return ValueCodec(decimal_format).decoder(schema)


# JsonRowShape.materialize (api/payload.py) reads pre-encoded rows back with these rules.
register_json_value_decoder(_value_decoder, NeedExact)


# -- helpers -----------------------------------------------------------------------------------

def _number_text(unscaled: int, scale: int) -> str:
    """The JSON number ``unscaled × 10^-scale`` with exactly ``scale`` fractional digits (an
    exponent for a negative scale): how PostgreSQL prints numeric(p, scale), too."""
    if scale <= 0:
        return f"{unscaled}E+{-scale}" if scale else str(unscaled)
    digits = str(abs(unscaled)).rjust(scale + 1, "0")
    return f"{'-' if unscaled < 0 else ''}{digits[:-scale]}.{digits[-scale:]}"


def _at_scale(v: decimal.Decimal, quantum: decimal.Decimal) -> decimal.Decimal:
    """``v`` at the schema's scale when no digit is lost (12.5 → 12.50), else as it is."""
    try:
        return v.quantize(quantum, context=_EXACT)
    except (decimal.Inexact, decimal.InvalidOperation):
        return v


def _float_at_scale(v: float, quantum: decimal.Decimal, limit: decimal.Decimal) -> decimal.Decimal:
    """The exact Decimal a float parsed from a JSON number stands for, or NeedExact.

    Exact when the number was written with at most the schema's scale of fractional digits (as
    Connect's Decimal requires and every Connect converter does) and has at most 15 significant
    digits at that scale (what numeric(15, s) and narrower columns hold): repr() of the nearest
    double then gives those digits back. Anything else is re-parsed exactly (NeedExact).
    """
    try:
        exact = decimal.Decimal(repr(v)).quantize(quantum, context=_EXACT)
    except (decimal.Inexact, decimal.InvalidOperation):
        raise NeedExact() from None
    if -limit < exact < limit:
        return exact
    raise NeedExact()


def _enum_encoder(schema: Schema, symbols: list[Any]) -> Encoder:
    allowed = frozenset(s for s in symbols if s is not None)

    def enum(v: Any) -> Any:
        if isinstance(v, str):
            if v in allowed:
                return str(v)
            raise DataError(f"Invalid value {v!r} for an enum string: its JSON Schema admits only "
                            f"{sorted(allowed)}")
        raise invalid_type(schema, v)
    return enum


def _matches_simple(schema: Schema, v: Any) -> bool:
    """isInstanceOfSchemaTypeForSimpleSchema: does a JSON value fit a non-struct union member?"""
    t, cls = schema.type, v.__class__
    if t in INT_RANGES:  # in range too: an int64 union member after an int32 one gets the big values
        lo, hi = INT_RANGES[t]
        return cls is int and lo <= v <= hi
    if t is Type.FLOAT32 or t is Type.FLOAT64:
        return cls in (int, float, decimal.Decimal)
    if t is Type.BOOLEAN:
        return cls is bool
    if t is Type.STRING:
        return cls is str
    if t is Type.BYTES:  # Jackson's text nodes are never "binary": only exact numbers match
        return cls is decimal.Decimal
    if t is Type.ARRAY:
        return cls is list
    if t is Type.MAP:
        return cls is dict or cls is list
    return False


def _matches_encoded(schema: Schema, v: Any) -> bool:
    """Does a JSON value fit a bytes or Decimal union member as it is written (Java's reader
    cannot read these back: it takes only exact numbers for them)?"""
    if schema.type is not Type.BYTES:
        return False
    if schema.name == Decimal.LOGICAL_NAME:
        return v.__class__ in (float, int, str)
    return v.__class__ is str
