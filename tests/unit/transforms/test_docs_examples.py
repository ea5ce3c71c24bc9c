"""docs/reference/transforms.md: a section per transform, alphabetically, and every example's
transforms configure (the keys the docs show are the keys the transforms take)."""

from __future__ import annotations

import json
import re

import pytest

from dbconnect.runtime.plugins import Plugins
from tests.doc_snippets import ROOT, blocks, connector_config_of

PAGE = ROOT / "docs" / "reference" / "transforms.md"
SMT_A = ["Cast", "Flatten", "HoistField", "InsertField", "MaskField", "ReplaceField", "SetSchemaMetadata"]
EXAMPLES = [b for b in blocks(PAGE) if b.kind == "json"]


def transforms_of(config: dict) -> dict[str, tuple[str, dict]]:
    """alias → (type, its own keys) of a connector config's transforms."""
    aliases = [a.strip() for a in config.get("transforms", "").split(",") if a.strip()]
    out = {}
    for alias in aliases:
        prefix = f"transforms.{alias}."
        props = {k[len(prefix):]: v for k, v in config.items() if k.startswith(prefix)}
        out[alias] = (props.pop("type"), props)
    return out


def test_every_key_of_every_transform_is_documented_in_its_section():
    text = PAGE.read_text()
    plugins = Plugins(load_entry_points=False)
    for name in SMT_A:
        match = re.search(rf"^## {name}\n(.*?)(?=^## )", text, flags=re.M | re.S)
        assert match, f"no section ## {name}"
        section = match.group(1)
        cls = plugins.find(f"{name}$Value").cls
        assert f"`org.apache.kafka.connect.transforms.{name}$Key` / `{name}$Value`" in section
        for key in cls().config().keys:
            assert f"| `{key}` |" in section, (name, key)


@pytest.mark.parametrize("block", EXAMPLES, ids=[b.where for b in EXAMPLES])
def test_every_example_transform_configures(block):
    _, config = connector_config_of(json.loads(block.text))
    found = transforms_of(config)
    assert found, block.where
    plugins = Plugins(load_entry_points=False)
    for alias, (type_name, props) in found.items():
        desc = plugins.find(type_name)
        assert desc is not None and desc.type == "transformation", (block.where, type_name)
        transform = desc.cls()
        transform.configure(props)
        assert not transform.config().validate(props), (block.where, alias)


def run_example(heading: str, value, schema=None):
    """Applies the transforms of the example under ``## heading`` to a source record's value."""
    from tests.unit.transforms.samples import source

    text = PAGE.read_text()
    start = text.index(f"## {heading}\n")
    block = next(b for b in EXAMPLES if text.count("\n", 0, start) < b.line)
    _, config = connector_config_of(json.loads(block.text))
    plugins = Plugins(load_entry_points=False)
    record = source(schema, value)
    for type_name, props in transforms_of(config).values():
        transform = plugins.find(type_name).cls()
        transform.configure(props)
        record = transform.apply(record)
    return record.value


def test_the_documented_results():
    assert run_example("HoistField", "foo") == {"line": "foo", "data_source": "test-file-source"}
    assert run_example("Flatten", {"id": 1, "customer": {"name": "Ada", "address": {"city": "London"}}}) == \
        {"id": 1, "customer_name": "Ada", "customer_address_city": "London"}
    assert run_example("MaskField", {"id": 7, "email": "ada@example.com", "phone": "+44 20 7946 0000"}) == \
        {"id": 7, "email": "redacted", "phone": "redacted"}
    assert run_example("ReplaceField", {"id": 7, "name": "Ada", "internal_notes": "…"}) == \
        {"customer_id": 7, "full_name": "Ada"}


def test_the_documented_cast():
    import datetime as dt
    import decimal

    from dbconnect.api.data import Decimal, SchemaBuilder, Struct, Timestamp, Type

    schema = (SchemaBuilder.struct().field("amount", Decimal.schema(2)).field("quantity", SchemaBuilder.int64())
              .field("created_at", Timestamp.SCHEMA).build())
    value = Struct(schema).put("amount", decimal.Decimal("12.50")).put("quantity", 3) \
        .put("created_at", dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=dt.timezone.utc))
    cast = run_example("Cast", value, schema)
    assert cast.to_dict() == {"amount": 12.5, "quantity": 3, "created_at": "2024-05-06T07:08:09.123Z"}
    assert [f.schema.type for f in cast.schema.fields] == [Type.FLOAT64, Type.INT32, Type.STRING]
