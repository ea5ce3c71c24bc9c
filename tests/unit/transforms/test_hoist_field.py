"""HoistField$Key / $Value against the cases of Kafka's HoistFieldTest and its documentation."""

from __future__ import annotations

import pytest

from dbconnect.api.data import INT32_SCHEMA, OPTIONAL_STRING_SCHEMA, Type
from dbconnect.api.errors import ConfigError
from dbconnect.transforms.hoist_field import HoistFieldKey, HoistFieldValue

from .samples import make, on_side, operated, sink

SIDES = [(HoistFieldKey, "key"), (HoistFieldValue, "value")]


@pytest.mark.parametrize("cls, side", SIDES)
def test_schemaless(cls, side):
    transformed = make(cls, {"field": "magic"}).apply(on_side(side, None, 42, other="other", record=sink))
    assert operated(transformed, side) == (None, {"magic": 42})
    assert operated(transformed, "value" if side == "key" else "key") == (None, "other")


@pytest.mark.parametrize("cls, side", SIDES)
def test_with_schema(cls, side):
    xform = make(cls, {"field": "magic"})
    schema, value = operated(xform.apply(on_side(side, INT32_SCHEMA, 42, record=sink)), side)
    assert schema.type is Type.STRUCT and schema.field("magic").schema == INT32_SCHEMA
    assert value.get("magic") == 42
    assert operated(xform.apply(on_side(side, INT32_SCHEMA, 7, record=sink)), side)[0] is schema  # cached


def test_schemaless_map_is_mutable():
    key = make(HoistFieldKey, {"field": "magic"}).apply(on_side("key", None, 420, record=sink)).key
    key["k"] = "v"
    assert key == {"magic": 420, "k": "v"}


@pytest.mark.parametrize("cls, side", SIDES)
def test_null_is_hoisted_too(cls, side):
    # Kafka's HoistField has no tombstone check: null becomes {"magic": null} (or a Struct with a null field).
    xform = make(cls, {"field": "magic"})
    assert operated(xform.apply(on_side(side, None, None)), side) == (None, {"magic": None})
    schema, value = operated(xform.apply(on_side(side, OPTIONAL_STRING_SCHEMA, None)), side)
    assert schema.field("magic").schema == OPTIONAL_STRING_SCHEMA and value.get("magic") is None


def test_field_is_required():
    with pytest.raises(ConfigError) as caught:
        make(HoistFieldValue, {})
    assert caught.value.errors == {"field": ['Missing required configuration "field" which has no default value.']}
