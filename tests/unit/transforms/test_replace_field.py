"""ReplaceField$Key / $Value against the cases of Kafka's ReplaceFieldTest and its documentation."""

from __future__ import annotations

import pytest

from dbconnect.api.data import BOOLEAN_SCHEMA, INT32_SCHEMA, STRING_SCHEMA, SchemaBuilder, Struct
from dbconnect.api.errors import ConfigError, DataError
from dbconnect.transforms.replace_field import ReplaceFieldKey, ReplaceFieldValue

from .samples import make, on_side, operated, sink

SIDES = [(ReplaceFieldKey, "key"), (ReplaceFieldValue, "value")]
SCHEMA = (SchemaBuilder.struct().name("row").version(3).field("dont", STRING_SCHEMA).field("abc", INT32_SCHEMA)
          .field("foo", BOOLEAN_SCHEMA).field("etc", STRING_SCHEMA).build())


def row() -> Struct:
    return Struct(SCHEMA).put("dont", "whatever").put("abc", 42).put("foo", True).put("etc", "etc")


@pytest.mark.parametrize("cls, side", SIDES)
@pytest.mark.parametrize("schema", [None, SCHEMA])
def test_tombstones_pass_through(cls, side, schema):
    xform = make(cls, {"include": "abc,foo", "renames": "abc:xyz,foo:bar"})
    record = on_side(side, schema, None, record=sink)
    assert xform.apply(record) is record


@pytest.mark.parametrize("cls, side", SIDES)
def test_schemaless_exclude_and_rename(cls, side):
    xform = make(cls, {"exclude": "dont", "renames": "abc:xyz,foo:bar"})
    value = {"dont": "whatever", "abc": 42, "foo": True, "etc": "etc"}
    assert operated(xform.apply(on_side(side, None, value)), side) == (None, {"xyz": 42, "bar": True, "etc": "etc"})


@pytest.mark.parametrize("cls, side", SIDES)
def test_with_schema_include_and_rename(cls, side):
    xform = make(cls, {"include": "abc,foo", "renames": "abc:xyz,foo:bar"})
    schema, value = operated(xform.apply(on_side(side, SCHEMA, row())), side)
    assert schema.field_names == ("xyz", "bar") and (schema.name, schema.version) == ("row", 3)
    assert (value.get_int32("xyz"), value.get_boolean("bar")) == (42, True)
    assert operated(xform.apply(on_side(side, SCHEMA, row())), side)[0] is schema  # cached per schema


@pytest.mark.parametrize("cls, side", SIDES)
def test_exclude_takes_precedence_over_include(cls, side):
    xform = make(cls, {"include": "abc,foo", "exclude": "foo"})
    assert operated(xform.apply(on_side(side, None, {"abc": 1, "foo": 2, "etc": 3})), side)[1] == {"abc": 1}
    assert operated(xform.apply(on_side(side, SCHEMA, row())), side)[0].field_names == ("abc",)


@pytest.mark.parametrize("alias, key, expected", [
    ("blacklist", "exclude", {"abc": 1, "etc": 3}),
    ("whitelist", "include", {"foo": 2}),
])
def test_deprecated_whitelist_and_blacklist(alias, key, expected):
    assert make(ReplaceFieldValue, {alias: "foo"}).apply(on_side("value", None, {"abc": 1, "foo": 2, "etc": 3})).value \
        == expected
    # the new key wins when both are set
    both = make(ReplaceFieldValue, {alias: "foo", key: "abc"})
    assert both.apply(on_side("value", None, {"abc": 1, "foo": 2, "etc": 3})).value \
        == ({"foo": 2, "etc": 3} if key == "exclude" else {"abc": 1})


@pytest.mark.parametrize("cls, side", SIDES)
@pytest.mark.parametrize("replace, expected", [(False, None), (True, 42)])
def test_replace_null_with_default(cls, side, replace, expected):
    xform = make(cls, {"include": "abc", "renames": "abc:optional_with_default",
                       "replace.null.with.default": str(replace)})
    schema = SchemaBuilder.struct().field("abc", SchemaBuilder.int32().optional().default_value(42)).build()
    updated = operated(xform.apply(on_side(side, schema, Struct(schema).put("abc", None), record=sink)), side)[1]
    assert updated.schema.field_names == ("optional_with_default",)
    assert updated.get_without_default("optional_with_default") == expected


@pytest.mark.parametrize("cls, side", SIDES)
def test_wrong_value_types(cls, side):
    xform = make(cls, {"exclude": "a"})
    with pytest.raises(DataError, match=r"Only Map objects supported in absence of schema for \[field replacement\], "
                                        r"found: str"):
        xform.apply(on_side(side, None, "text"))
    with pytest.raises(DataError, match=r"Only Struct objects supported for \[field replacement\], found: str"):
        xform.apply(on_side(side, STRING_SCHEMA, "text"))


@pytest.mark.parametrize("renames", ["abc", "abc:", "a:b:c", "abc:xyz,foo", ":"])
def test_bad_renames(renames):
    with pytest.raises(ConfigError) as caught:
        make(ReplaceFieldValue, {"renames": renames})
    assert "renames" in caught.value.errors
    assert "Invalid rename mapping" in str(caught.value)


@pytest.mark.parametrize("renames, expected", [("a:b:", {"b": 1}), (":x", {"a": 1})])
def test_renames_split_as_java_does(renames, expected):
    # Java's String.split drops trailing empty strings: "a:b:" is a:b; ":x" renames the field "".
    assert make(ReplaceFieldValue, {"renames": renames}).apply(on_side("value", None, {"a": 1})).value == expected


def test_definition():
    definition = ReplaceFieldValue().config()
    assert list(definition.keys) == ["exclude", "blacklist", "include", "whitelist", "renames",
                                     "replace.null.with.default"]
    assert definition.keys["exclude"].default == [] and definition.keys["blacklist"].importance == "LOW"


@pytest.mark.parametrize("cls, side", SIDES)
def test_null_in_a_required_field_fails_as_kafkas_put_does(cls, side):
    incomplete = Struct(SCHEMA).put("dont", "x").put("foo", True).put("etc", "e")  # "abc" never set
    with pytest.raises(DataError, match='Invalid value: null used for required field: "xyz", schema type: INT32'):
        make(cls, {"renames": "abc:xyz"}).apply(on_side(side, SCHEMA, incomplete))


@pytest.mark.parametrize("renames", ["a:b", "a:b:", "a:b::", ":b", "a", "a:", ":", "a::b", "a:b:c", "a:b,c:d", "a:b,,c:d",
                                     " a : b "])
def test_the_definition_refuses_exactly_what_configure_refuses(renames):
    by_definition = bool(ReplaceFieldValue().config().validate({"renames": renames}))
    try:
        make(ReplaceFieldValue, {"renames": renames})
        by_configure = False
    except ConfigError:
        by_configure = True
    assert by_definition == by_configure
