"""JSON Schema compatibility rules (dbconnect.registry.compatibility), checked in both directions.

``diff(old, new)`` is the BACKWARD view (can ``new`` read data written with ``old``);
``diff(new, old)`` is the FORWARD view of the same change. Expected difference names and paths
follow Confluent's JsonSchemaDiff (schema-registry 8.x, json-schema-provider test data).
"""

from __future__ import annotations

import json

import pytest

from dbconnect.registry.compatibility import (
    COMPATIBLE_CHANGES,
    Difference,
    Previous,
    check,
    describe,
    diff,
)


def changes(old, new) -> list[str]:
    return [f"{d.type} {d.path}" for d in diff(old, new)]


def compatible(old, new) -> bool:
    return all(d.type in COMPATIBLE_CHANGES for d in diff(old, new))


def obj(properties: dict, *, required=(), closed=False, **extra) -> dict:
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


STR = {"type": "string"}
INT = {"type": "integer"}


def optional(schema: dict, index: int = 0) -> dict:
    """What the Connect JSON Schema converter writes for an optional field."""
    return {"oneOf": [{"type": "null"}, schema], "connect.index": index}


# -- properties in open and closed content models ---------------------------------------------


class TestOpenContentModel:
    def test_adding_optional_property_is_backward_incompatible(self):
        old, new = obj({"a": STR}), obj({"a": STR, "b": INT})
        assert changes(old, new) == ["OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/b"]
        assert not compatible(old, new)

    def test_removing_optional_property_is_backward_compatible(self):
        old, new = obj({"a": STR, "b": INT}), obj({"a": STR})
        assert changes(old, new) == ["PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL #/properties/b"]
        assert compatible(old, new)

    def test_adding_required_property_is_incompatible_both_ways(self):
        old, new = obj({"a": STR}), obj({"a": STR, "b": INT}, required=["b"])
        assert changes(old, new) == ["REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/b"]
        assert not compatible(old, new)
        # forward: the old (open) reader does not know b and accepts it
        assert changes(new, old) == ["PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL #/properties/b"]
        assert compatible(new, old)

    def test_required_property_with_default_added_to_open_model(self):
        old = obj({"a": STR})
        new = obj({"a": STR, "b": {"type": "integer", "default": 0}}, required=["b"])
        assert changes(old, new) == ["REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL #/properties/b"]
        assert not compatible(old, new)

    def test_property_with_empty_schema_may_be_added_to_open_model(self):
        old, new = obj({"a": STR}), obj({"a": STR, "b": True})
        assert changes(old, new) == ["PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL #/properties/b"]
        assert compatible(old, new)
        assert compatible(new, old)


class TestClosedContentModel:
    def test_adding_optional_property_is_backward_compatible(self):
        old, new = obj({"a": STR}, closed=True), obj({"a": STR, "b": INT}, closed=True)
        assert changes(old, new) == ["OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/b"]
        assert compatible(old, new)

    def test_removing_property_is_backward_incompatible(self):
        # i.e. adding an optional property to a closed model is not FORWARD compatible
        old, new = obj({"a": STR, "b": INT}, closed=True), obj({"a": STR}, closed=True)
        assert changes(old, new) == ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/b"]
        assert not compatible(old, new)

    def test_adding_required_property_is_incompatible(self):
        old, new = obj({"a": STR}, closed=True), obj({"a": STR, "b": INT}, required=["b"], closed=True)
        assert changes(old, new) == ["REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/b"]
        assert not compatible(old, new)
        assert changes(new, old) == ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/b"]
        assert not compatible(new, old)

    def test_adding_required_property_with_default_is_compatible(self):
        old = obj({"a": STR}, closed=True)
        new = obj({"a": STR, "b": {"type": "integer", "default": 1}}, required=["b"], closed=True)
        assert changes(old, new) == ["REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/b"]
        assert compatible(old, new)

    def test_removing_a_false_property_is_compatible(self):
        old, new = {"additionalProperties": False, "properties": {"x": False}}, {"additionalProperties": False}
        assert changes(old, new) == ["PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/x"]
        assert compatible(old, new)


class TestPartiallyOpenContentModel:
    def test_added_property_covered_by_additional_properties_schema(self):
        old = obj({"a": STR}, additionalProperties=STR)
        new = obj({"a": STR, "b": STR}, additionalProperties=STR)
        assert changes(old, new) == ["PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/b",
                                     "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/b"]
        assert compatible(old, new)

    def test_added_property_not_covered(self):
        old = obj({"a": STR}, additionalProperties=STR)
        new = obj({"a": STR, "b": INT}, additionalProperties=STR)
        assert changes(old, new) == ["TYPE_CHANGED #/properties/b",
                                     "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/b",
                                     "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/b"]
        assert not compatible(old, new)

    def test_pattern_properties(self):
        old = obj({"a": STR}, closed=True, patternProperties={"^I_": INT})
        new = obj({"a": STR, "I_1": {"type": "number"}}, closed=True, patternProperties={"^I_": INT})
        assert changes(old, new) == ["TYPE_EXTENDED #/properties/I_1",
                                     "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL #/properties/I_1",
                                     "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/I_1"]
        assert compatible(old, new)


class TestRequired:
    def test_making_a_property_required(self):
        old, new = obj({"a": STR}), obj({"a": STR}, required=["a"])
        assert changes(old, new) == ["REQUIRED_ATTRIBUTE_ADDED #/required/a"]
        assert not compatible(old, new)
        assert changes(new, old) == ["REQUIRED_ATTRIBUTE_REMOVED #/required/a"]
        assert compatible(new, old)

    def test_making_a_property_with_default_required(self):
        old, new = obj({"a": {"type": "string", "default": "x"}}), obj({"a": {"type": "string", "default": "x"}},
                                                                        required=["a"])
        assert changes(old, new) == ["REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED #/required/a"]
        assert compatible(old, new)


# -- types ------------------------------------------------------------------------------------


class TestTypes:
    def test_changing_a_property_type_is_incompatible_both_ways(self):
        old, new = obj({"a": STR}), obj({"a": INT})
        assert changes(old, new) == ["TYPE_CHANGED #/properties/a"]
        assert changes(new, old) == ["TYPE_CHANGED #/properties/a"]
        assert not compatible(old, new) and not compatible(new, old)

    def test_widening_integer_to_number(self):
        old, new = obj({"n": INT}), obj({"n": {"type": "number"}})
        assert changes(old, new) == ["TYPE_EXTENDED #/properties/n"]
        assert compatible(old, new)
        assert changes(new, old) == ["TYPE_NARROWED #/properties/n"]
        assert not compatible(new, old)

    def test_top_level_type_change(self):
        assert changes({"type": "object"}, {"type": "array"}) == ["TYPE_CHANGED #/"]

    def test_anything_may_become_the_empty_schema_but_not_the_reverse(self):
        assert changes(obj({"a": STR}), {}) == []
        assert changes({}, STR) == ["TYPE_CHANGED #/"]

    def test_string_limits(self):
        assert changes({"type": "string", "maxLength": 5}, {"type": "string", "maxLength": 9}) == [
            "MAX_LENGTH_INCREASED #/maxLength"]
        assert not compatible({"type": "string", "maxLength": 9}, {"type": "string", "maxLength": 5})
        assert changes({"type": "string"}, {"type": "string", "pattern": "^a"}) == ["PATTERN_ADDED #/pattern"]
        assert compatible({"type": "string", "pattern": "^a"}, {"type": "string"})

    def test_number_limits(self):
        assert changes({"type": "number", "minimum": 1}, {"type": "number", "minimum": 0}) == [
            "MINIMUM_DECREASED #/minimum"]
        assert not compatible({"type": "number", "minimum": 0}, {"type": "number", "minimum": 1})
        assert changes({"type": "number", "multipleOf": 10}, {"type": "number", "multipleOf": 2}) == [
            "MULTIPLE_OF_REDUCED #/multipleOf"]
        assert changes({"type": "number", "multipleOf": 2}, {"type": "number", "multipleOf": 10}) == [
            "MULTIPLE_OF_EXPANDED #/multipleOf"]

    def test_metadata_changes_are_compatible(self):
        old = {"type": "string", "title": "a", "description": "x", "default": "d"}
        new = {"type": "string", "title": "b", "description": "y", "default": "e"}
        assert changes(old, new) == ["TITLE_CHANGED #/", "DESCRIPTION_CHANGED #/", "DEFAULT_CHANGED #/"]
        assert compatible(old, new)


class TestEnums:
    def test_extending_an_enum(self):
        old, new = {"enum": ["a", "b"]}, {"enum": ["a", "b", "c"]}
        assert changes(old, new) == ["ENUM_ARRAY_EXTENDED #/enum"]
        assert compatible(old, new)
        assert changes(new, old) == ["ENUM_ARRAY_NARROWED #/enum"]
        assert not compatible(new, old)

    def test_changing_an_enum(self):
        assert changes({"enum": ["a", "b"]}, {"enum": ["a", "c"]}) == ["ENUM_ARRAY_CHANGED #/enum"]

    def test_enum_order_does_not_matter(self):
        assert changes({"enum": ["a", "b"]}, {"enum": ["b", "a"]}) == []

    def test_typed_enum_property(self):
        # {"type": "string", "enum": [...]} is allOf[string, enum] for Confluent.
        old = obj({"c": {"type": "string", "enum": ["red"]}})
        new = obj({"c": {"type": "string", "enum": ["red", "blue"]}})
        assert changes(old, new) == ["ENUM_ARRAY_EXTENDED #/properties/c/allOf/1/enum"]
        assert compatible(old, new)
        narrowed = changes(new, old)
        assert "COMBINED_TYPE_SUBSCHEMAS_CHANGED #/properties/c" in narrowed
        assert "ENUM_ARRAY_NARROWED #/properties/c/allOf/1/enum" in narrowed
        assert not compatible(new, old)

    def test_removing_the_enum_keeps_the_type(self):
        assert changes({"type": "string", "enum": ["red"]}, {"type": "string"}) == ["PRODUCT_TYPE_NARROWED #/"]
        assert compatible({"type": "string", "enum": ["red"]}, {"type": "string"})
        assert not compatible({"type": "string"}, {"type": "string", "enum": ["red"]})


class TestAdditionalProperties:
    def test_false_to_true(self):
        old, new = obj({"a": STR}, closed=True), obj({"a": STR})
        assert changes(old, new) == ["ADDITIONAL_PROPERTIES_ADDED #/additionalProperties"]
        assert compatible(old, new)

    def test_true_to_false(self):
        old, new = obj({"a": STR}), obj({"a": STR}, closed=True)
        assert changes(old, new) == ["ADDITIONAL_PROPERTIES_REMOVED #/additionalProperties"]
        assert not compatible(old, new)

    def test_open_to_schema_and_back(self):
        old, new = {"additionalProperties": True}, {"additionalProperties": {"type": "number"}}
        assert changes(old, new) == ["ADDITIONAL_PROPERTIES_NARROWED #/additionalProperties"]
        assert not compatible(old, new)
        assert changes(new, old) == ["ADDITIONAL_PROPERTIES_EXTENDED #/additionalProperties"]
        assert compatible(new, old)

    def test_schema_of_additional_properties_changes_type(self):
        old, new = {"additionalProperties": STR}, {"additionalProperties": {"type": "number"}}
        assert changes(old, new) == ["TYPE_CHANGED #/additionalProperties"]
        assert changes(new, old) == ["TYPE_CHANGED #/additionalProperties"]


# -- nesting and the Connect converter's optional fields --------------------------------------


class TestNested:
    def test_change_inside_a_nested_object_has_its_path(self):
        old = obj({"address": obj({"zip": INT})})
        new = obj({"address": obj({"zip": STR})})
        assert changes(old, new) == ["TYPE_CHANGED #/properties/address/properties/zip"]
        assert changes(new, old) == ["TYPE_CHANGED #/properties/address/properties/zip"]

    def test_property_added_to_nested_closed_and_open_objects(self):
        closed_old = obj({"address": obj({"zip": INT}, closed=True)})
        closed_new = obj({"address": obj({"zip": INT, "city": STR}, closed=True)})
        assert changes(closed_old, closed_new) == [
            "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/address/properties/city"]
        assert compatible(closed_old, closed_new)
        assert not compatible(closed_new, closed_old)
        open_old, open_new = obj({"address": obj({"zip": INT})}), obj({"address": obj({"zip": INT, "city": STR})})
        assert not compatible(open_old, open_new)
        assert compatible(open_new, open_old)

    def test_recursive_schema_terminates(self):
        tree = {"type": "object", "properties": {"value": INT, "children": {"type": "array", "items": {"$ref": "#"}}}}
        assert changes(tree, json.loads(json.dumps(tree))) == []
        widened = json.loads(json.dumps(tree))
        widened["properties"]["value"] = {"type": "number"}
        assert changes(tree, widened) == ["TYPE_EXTENDED #/properties/value"]

    def test_references_are_resolved(self):
        old = {"type": "array", "items": {"$ref": "#/definitions/x"}, "definitions": {"x": STR}}
        new = {"type": "array", "items": {"$ref": "#/definitions/x"}, "definitions": {"x": {"type": "number"}}}
        assert changes(old, new) == ["TYPE_CHANGED #/items"]
        assert changes(STR, {"$ref": "#/$defs/s", "$defs": {"s": STR}}) == []


class TestOneOfNullOptionalFields:
    def test_required_field_becomes_optional(self):
        old, new = obj({"a": STR}), obj({"a": optional(STR)})
        assert changes(old, new) == ["SUM_TYPE_EXTENDED #/properties/a"]
        assert compatible(old, new)
        assert changes(new, old) == ["TYPE_CHANGED #/properties/a"]
        assert not compatible(new, old)

    def test_widening_an_optional_integer(self):
        old, new = obj({"n": optional(INT)}), obj({"n": optional({"type": "number"})})
        assert changes(old, new) == ["TYPE_EXTENDED #/properties/n/oneOf/1"]
        assert compatible(old, new)
        assert changes(new, old) == ["COMBINED_TYPE_SUBSCHEMAS_CHANGED #/properties/n",
                                     "TYPE_NARROWED #/properties/n/oneOf/1"]
        assert not compatible(new, old)

    def test_changing_an_optional_fields_type(self):
        old, new = obj({"n": optional(INT)}), obj({"n": optional(STR)})
        assert changes(old, new) == ["COMBINED_TYPE_SUBSCHEMAS_CHANGED #/properties/n"]
        assert not compatible(old, new) and not compatible(new, old)

    def test_optional_field_added_to_closed_struct(self):
        # object.additional.properties=false in the converter gives closed structs
        old = obj({"a": STR}, closed=True)
        new = obj({"a": STR, "b": optional(INT, 1)}, closed=True)
        assert compatible(old, new)
        assert changes(new, old) == ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/b"]

    def test_optional_field_added_to_open_struct(self):
        old, new = obj({"a": STR}), obj({"a": STR, "b": optional(INT, 1)})
        assert changes(old, new) == ["OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/b"]
        assert compatible(new, old)

    def test_optional_nested_struct_gains_a_field(self):
        old = obj({"inner": optional(obj({"x": INT}, closed=True))})
        new = obj({"inner": optional(obj({"x": INT, "y": optional(STR, 1)}, closed=True))})
        assert changes(old, new) == [
            "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/inner/oneOf/1/properties/y"]
        assert compatible(old, new)
        backward = changes(new, old)
        assert "COMBINED_TYPE_SUBSCHEMAS_CHANGED #/properties/inner" in backward
        assert "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL #/properties/inner/oneOf/1/properties/y" in backward

    def test_adding_a_type_to_a_union(self):
        assert changes({"type": ["object"]}, {"type": ["object", "array"]}) == ["SUM_TYPE_EXTENDED #/"]
        assert changes({"type": ["object", "array"]}, {"type": ["object"]}) == ["SUM_TYPE_NARROWED #/"]
        assert not compatible({"type": ["object", "array"]}, {"type": ["object"]})


class TestArrays:
    def test_items_schema_added_and_removed(self):
        assert changes({"type": "array"}, {"type": "array", "items": STR}) == ["SCHEMA_ADDED #/items"]
        assert changes({"type": "array", "items": STR}, {"type": "array"}) == ["SCHEMA_REMOVED #/items"]
        assert compatible({"type": "array", "items": STR}, {"type": "array"})

    def test_items_type_changed(self):
        assert changes({"type": "array", "items": INT}, {"type": "array", "items": STR}) == ["TYPE_CHANGED #/items"]

    def test_tuple_items_in_closed_and_open_models(self):
        closed = {"type": "array", "items": [STR], "additionalItems": False}
        closed_more = {"type": "array", "items": [STR, INT], "additionalItems": False}
        assert changes(closed, closed_more) == ["ITEM_ADDED_TO_CLOSED_CONTENT_MODEL #/items/1"]
        assert changes(closed_more, closed) == ["ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL #/items/1"]
        assert not compatible(closed_more, closed)
        opened = {"type": "array", "items": [STR]}
        assert changes({"type": "array", "items": [STR, INT]}, opened) == ["ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL #/items/1"]
        assert changes(opened, {"type": "array", "items": [STR, INT]}) == ["ITEM_ADDED_TO_OPEN_CONTENT_MODEL #/items/1"]

    def test_array_limits(self):
        assert changes({"type": "array", "minItems": 2}, {"type": "array", "minItems": 1}) == [
            "MIN_ITEMS_DECREASED #/minItems"]
        assert changes({"type": "array", "uniqueItems": True}, {"type": "array"}) == [
            "UNIQUE_ITEMS_REMOVED #/uniqueItems"]
        assert not compatible({"type": "array"}, {"type": "array", "uniqueItems": True})


class TestCombined:
    def test_not(self):
        assert changes({"not": {"type": "number"}}, {"not": INT}) == ["NOT_TYPE_NARROWED #/not"]
        assert changes({"not": INT}, {"not": {"type": "number"}}) == ["NOT_TYPE_EXTENDED #/not"]

    def test_criterion_changes(self):
        assert changes({"oneOf": [STR, INT]}, {"anyOf": [STR, INT]}) == ["COMBINED_TYPE_EXTENDED #/"]
        assert changes({"anyOf": [STR, INT]}, {"oneOf": [STR, INT]}) == ["COMBINED_TYPE_CHANGED #/"]

    def test_dependencies(self):
        old = {"properties": {"a": STR, "b": STR}, "dependencies": {"a": ["b"]}}
        new = {"properties": {"a": STR, "b": STR}, "dependencies": {"b": ["a"]}}
        assert changes(old, new) == ["DEPENDENCY_ARRAY_REMOVED #/dependencies/a", "DEPENDENCY_ARRAY_ADDED #/dependencies/b"]
        assert not compatible(old, new)


# -- compatibility levels and Confluent's messages --------------------------------------------

V1 = obj({"a": STR}, closed=True)
V2 = obj({"a": STR, "b": INT}, closed=True)       # BACKWARD-compatible with V1, not FORWARD
V3 = obj({"a": STR, "b": INT, "c": STR}, closed=True)


def history(*schemas) -> list[Previous]:
    """Newest first, as the store passes them."""
    out = [Previous(i + 1, s, json.dumps(s, separators=(",", ":"))) for i, s in enumerate(schemas)]
    return list(reversed(out))


class TestLevels:
    def test_none_accepts_anything(self):
        assert check("NONE", {"type": "string"}, history(V1)) == []

    def test_first_version_is_always_compatible(self):
        assert check("FULL_TRANSITIVE", V1, []) == []

    def test_backward_message_format(self):
        new = obj({"a": INT}, closed=True)
        messages = check("BACKWARD", new, history(V1))
        assert messages == [
            '{errorType:"TYPE_CHANGED", description:"A type at path \'#/properties/a\' is different between '
            'the new schema and the old schema"}',
            "{oldSchemaVersion: 1}",
            "{oldSchema: '" + json.dumps(V1, separators=(",", ":")) + "'}",
            "{compatibility: 'BACKWARD'}",
        ]

    def test_backward_and_forward(self):
        assert check("BACKWARD", V2, history(V1)) == []
        forward = check("FORWARD", V2, history(V1))
        assert forward[0].startswith('{errorType:"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"')
        assert "The old schema has a closed content model" in forward[0]
        assert forward[-1] == "{compatibility: 'FORWARD'}"

    def test_full_reports_forward_then_backward(self):
        new = obj({"a": INT}, closed=True)
        messages = check("FULL", new, history(V1))
        assert "between the old schema and the new schema" in messages[0]
        assert "between the new schema and the old schema" in messages[1]
        assert messages[2:] == ["{oldSchemaVersion: 1}", "{oldSchema: '" + json.dumps(V1, separators=(",", ":")) + "'}",
                                "{compatibility: 'FULL'}"]

    def test_transitive_levels_check_every_version(self):
        # v2 was registered under NONE; v3 extends v2 compatibly but cannot read v1's data.
        v1 = obj({"a": STR}, closed=True)
        v2 = obj({"a": INT}, closed=True)
        v3 = obj({"a": INT, "b": optional(STR)}, closed=True)
        assert check("BACKWARD", v3, history(v1, v2)) == []
        messages = check("BACKWARD_TRANSITIVE", v3, history(v1, v2))
        assert any("TYPE_CHANGED" in m for m in messages)
        assert "{oldSchemaVersion: 1}" in messages

    def test_forward_transitive_and_full_transitive(self):
        assert check("FORWARD_TRANSITIVE", V3, history(V1, V2)) != []
        assert check("FULL_TRANSITIVE", obj({"a": STR}), history(obj({"a": STR}))) == []

    def test_level_names_are_case_insensitive_and_validated(self):
        assert check("backward", V2, history(V1)) == []
        with pytest.raises(ValueError):
            check("SIDEWAYS", V2, history(V1))


class TestDescriptions:
    @pytest.mark.parametrize("type_, text", [
        ("REQUIRED_ATTRIBUTE_ADDED", "The keyword at path '#/p' in the new schema is not present in the old schema"),
        ("MIN_LENGTH_INCREASED", "The value at path '#/p' in the new schema is more than its value in the old schema"),
        ("MAXIMUM_DECREASED", "The value at path '#/p' in the new schema is less than its value in the old schema"),
        ("PATTERN_CHANGED", "The value at path '#/p' is different between the new and old schema"),
        ("ENUM_ARRAY_NARROWED", "An array or combined type at path '#/p' has fewer elements in the new schema "
                                "than the old schema"),
        ("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", "The new schema has an open content model and has a "
                                                          "property or item at path '#/p' which is missing in the old schema"),
        ("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", "The new schema has an unopen content model and has a "
                                                            "required property at path '#/p' which is missing in the old schema"),
        ("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", "The new schema has a closed content model and is missing a "
                                                       "property or item present at path '#/p' in the old schema"),
    ])
    def test_confluent_texts(self, type_, text):
        assert describe(Difference(type_, "#/p")) == f'{{errorType:"{type_}", description:"{text}"}}'
