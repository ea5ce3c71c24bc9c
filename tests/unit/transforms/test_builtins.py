"""Every built-in of smt-a answers to Kafka's class names and defines its keys in schemas/transforms/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dbconnect.api.transformation import Transformation, plugin_kind
from dbconnect.runtime.plugins import Plugins
from dbconnect.transforms import BUILTIN_TRANSFORMS

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
KAFKA = "org.apache.kafka.connect.transforms"
SMT_A = {"InsertField": "insert-field", "ReplaceField": "replace-field", "MaskField": "mask-field",
         "HoistField": "hoist-field", "SetSchemaMetadata": "set-schema-metadata", "Flatten": "flatten",
         "Cast": "cast"}
NAMES = [(simple, side) for simple in SMT_A for side in ("Key", "Value")]


@pytest.fixture(scope="module")
def plugins():
    return Plugins(load_entry_points=False)


@pytest.mark.parametrize("simple, side", NAMES)
def test_found_by_kafkas_class_name_and_the_short_one(plugins, simple, side):
    desc = plugins.find(f"{KAFKA}.{simple}${side}")
    assert desc is not None and desc.cls in BUILTIN_TRANSFORMS
    assert desc.class_name == f"{KAFKA}.{simple}${side}"
    assert plugins.find(f"{simple}${side}").cls is desc.cls
    assert issubclass(desc.cls, Transformation) and plugin_kind(desc.cls) == "transformation"
    assert desc.cls.operates_on == side.lower()


@pytest.mark.parametrize("simple, side", NAMES)
def test_config_is_the_schema_file(plugins, simple, side):
    cls = plugins.find(f"{KAFKA}.{simple}${side}").cls
    doc = json.loads((ROOT / "schemas" / "transforms" / f"{SMT_A[simple]}.json").read_text())
    definition = cls().config()
    assert definition.title == doc["title"] == simple
    assert list(definition.keys) == list(doc["properties"])
    assert definition.plugin_type == "transformation"
    for key in definition.keys.values():
        assert key.documentation, f"{simple}: {key.name} has no description"
