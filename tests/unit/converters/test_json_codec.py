"""One Connect ⇄ JSON value codec (converters/json_codec.py) for the JsonConverter and the JSON Schema
converter, and the layering it allows: the registry client does not import the converters."""

from __future__ import annotations

import ast
import datetime as dt
import decimal
import importlib
from pathlib import Path

import orjson
import pytest

from dbconnect.api.data import Date, Decimal, SchemaBuilder, Struct, Time, Timestamp
from dbconnect.converters import json as json_module
from dbconnect.converters import json_codec
from dbconnect.converters.json import JsonConverter
from dbconnect.converters.jsonschema_values import RULES, NeedExact, ValueCodec

ROOT = Path(__file__).resolve().parents[3]
REGISTRY = ROOT / "dbconnect" / "registry"


def _imports_converters(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.startswith("dbconnect.converters") or (node.level >= 2 and module.startswith("converters")):
                return True
        elif isinstance(node, ast.Import) and any(a.name.startswith("dbconnect.converters") for a in node.names):
            return True
    return False


def _is_alias_module(tree: ast.Module) -> bool:
    """Nothing but imports and ``sys.modules[__name__] = <moved module>`` (a docstring aside)."""
    body = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    *imports, last = body
    return all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in imports) and (
        isinstance(last, ast.Assign) and ast.unparse(last.targets[0]) == "sys.modules[__name__]"
    )


def test_the_registry_does_not_import_the_converters():
    """The converters import the registry client; the registry imports no converter module (no cycle).
    Only the alias modules left at the JSON Schema mapping's old paths point there, and they are
    nothing but an alias."""
    offenders = []
    for path in sorted(REGISTRY.rglob("*.py")):
        tree = ast.parse(path.read_text())
        if _imports_converters(tree) and not _is_alias_module(tree):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_api_imports_nothing_above_it():
    """api/payload.py reads pre-encoded rows back through a decoder the JSON Schema codec registers
    (it used to import the codec from the registry, a layer above it)."""
    offenders = []
    for path in sorted((ROOT / "dbconnect" / "api").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (
                node.level >= 2 or ((node.module or "").startswith("dbconnect.")
                                    and not (node.module or "").startswith("dbconnect.api"))):
                offenders.append(f"{path.name}: {node.module}")
    assert offenders == []


@pytest.mark.parametrize("name", ["jsonschema_data", "jsonschema_structs", "jsonschema_values"])
def test_old_registry_paths_are_gone(name):
    # The aliases made the registry import the converters while the JSON Schema converter imports
    # the registry client: a cycle (issue 13). They were internal and never documented.
    importlib.import_module(f"dbconnect.converters.{name}")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(f"dbconnect.registry.{name}")


STRUCT = (
    SchemaBuilder.struct().name("row")
    .field("id", SchemaBuilder.int64().build())
    .field("price", Decimal.builder(2).optional().build())
    .field("at", Timestamp.builder().optional().build())
    .field("day", Date.builder().build())
    .field("tod", Time.builder().optional().build())
    .field("note", SchemaBuilder.string().optional().default_value("n/a").build())
    .field("ratio", SchemaBuilder.float64().optional().build())
    .build()
)


def test_both_converters_use_the_one_generator():
    """The generated struct encoders and decoders of both converters come from json_codec."""
    json_converter = JsonConverter()
    codec = ValueCodec()
    generated = [json_converter._struct_encoder(STRUCT), json_converter._struct_decoder(STRUCT),
                 codec._struct_encoder(STRUCT), codec._struct_decoder(STRUCT)]
    helpers = [f.__globals__["other"] for f in generated[::2]] + [f.__globals__["not_object"] for f in generated[1::2]]
    assert {Path(h.__code__.co_filename).name for h in helpers} == {"json_codec.py"}


SCALARS = [Date.SCHEMA, Time.SCHEMA, Timestamp.SCHEMA, SchemaBuilder.int8().build(), SchemaBuilder.int64().build(),
           SchemaBuilder.float32().build(), SchemaBuilder.boolean().build(), SchemaBuilder.string().build(),
           SchemaBuilder.bytes().build(), SchemaBuilder.array(SchemaBuilder.string().build()).build()]


@pytest.mark.parametrize("schema", SCALARS, ids=lambda s: s.name or s.type.name)
def test_both_converters_use_the_shared_value_codecs(schema):
    """Dates, times, integers, floats, booleans, strings, bytes and arrays: one encoder and one
    decoder definition for both converters (json_codec.shared_encoder / shared_decoder)."""
    json_converter, codec = JsonConverter(), ValueCodec()
    built = [json_converter._base_encoder(schema), json_converter._base_decoder(schema),
             codec._base_encoder(schema), codec._base_decoder(schema)]
    assert {Path(f.__code__.co_filename).name for f in built} == {"json_codec.py"}
    assert built[0].__code__ is built[2].__code__ and built[1].__code__ is built[3].__code__


@pytest.mark.parametrize("schema", [SchemaBuilder.int32().optional().build(), SchemaBuilder.string().build(),
                                    SchemaBuilder.string().optional().default_value("d").build()],
                         ids=["optional", "required", "default"])
def test_both_converters_use_the_shared_null_wrapper(schema):
    """A null element's handling (the default, null or an error) is json_codec.with_null in both;
    only the JSON Schema struct field's omission and its MISSING property are the converter's own."""
    wrappers = [JsonConverter()._encoder(schema), JsonConverter()._decoder(schema), ValueCodec().encoder(schema)]
    assert {Path(f.__code__.co_filename).name for f in wrappers} == {"json_codec.py"}


def test_one_need_exact_for_both_converters():
    """A NUMERIC Decimal read as a float asks for an exact re-read with the same exception in both."""
    assert json_module._NeedExact is NeedExact is json_codec.NeedExact
    decode = JsonConverter()._decoder(Decimal.schema(2))
    with pytest.raises(NeedExact):
        decode(1.5)


UTC = dt.timezone.utc
ROWS = [
    [1, decimal.Decimal("12.50"), dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC), dt.date(2024, 5, 6),
     dt.time(1, 2, 3, 4000), "x", 0.25],
    [2, None, None, dt.date(1969, 12, 31), None, None, None],
    # Off the inline paths: a naive datetime, a date subclass, a non-UTC zone, a negative epoch.
    [3, decimal.Decimal("-0.01"), dt.datetime(1960, 1, 1, 0, 0, 0, 999), dt.datetime(2024, 1, 2),
     dt.time(0, 0), "", float("nan")],
    [4, decimal.Decimal("1E+3"),
     dt.datetime(1969, 12, 31, 23, 59, 59, 999500, tzinfo=dt.timezone(dt.timedelta(hours=5))),
     dt.date(1, 1, 1), None, "y", float("-inf")],
]


def _field_by_field(struct_encode_field, values):
    return {f.name: struct_encode_field(f.schema)(v) for f, v in zip(STRUCT.fields, values)}


@pytest.mark.parametrize("replace", [True, False])
@pytest.mark.parametrize("row", ROWS)
def test_json_struct_encoder_inline_forms_match_the_field_encoders(row, replace):
    """The inline Timestamp, Date and null forms the JsonConverter's struct encoder now shares with
    the JSON Schema converter write what its field encoders write."""
    converter = JsonConverter()
    converter.configure({"replace.null.with.default": replace, "decimal.format": "NUMERIC"}, False)
    generated = converter._struct_encoder(STRUCT)(Struct._of(STRUCT, list(row)))
    assert orjson.dumps(generated) == orjson.dumps(_field_by_field(converter._encoder, row))


@pytest.mark.parametrize("row", ROWS)
def test_jsonschema_struct_encoder_inline_forms_match_the_field_encoders(row):
    codec = ValueCodec("NUMERIC", "STRING")
    generated = codec.encoder(STRUCT)(Struct._of(STRUCT, list(row)))
    assert orjson.dumps(generated) == orjson.dumps(_field_by_field(lambda s: codec.encoder(s, field=True), row))


def test_rules_say_what_differs():
    """The JSON Schema rules: defaults always replace null, absent is MISSING, floats decode to
    Decimals inline, required nulls are omitted, enum strings always go through their encoder."""
    assert (RULES.replace_null_with_default, RULES.missing, RULES.float_decimals, RULES.omit_required_nulls) == (
        True, json_codec.MISSING, True, True)
    assert JsonConverter()._rules.missing is None
    optional_default = SchemaBuilder.string().optional().default_value("d").build()
    assert RULES.null_is_none(optional_default) is False
    assert json_codec.JsonValueRules(replace_null_with_default=False).null_is_none(optional_default) is True
