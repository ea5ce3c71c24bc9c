"""Parsing, validation, the canonical form, and how Confluent reads a JSON Schema document.

Two strings are "the same schema" for the registry when their canonical forms are equal:
the JSON parsed, keys sorted, printed compactly. That makes ids independent of whitespace and
key order, which is what clients that pretty-print or re-serialise schemas expect (Confluent
only ignores key order with ``normalize=true``; being more lenient never hands out a second id
for a schema a client considers identical).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple, Sequence
from urllib.parse import unquote

import jsonschema
from jsonschema.exceptions import SchemaError

# Draft-07 is what Confluent assumes when ``$schema`` is absent.
DEFAULT_VALIDATOR = jsonschema.Draft7Validator


class InvalidSchemaError(ValueError):
    """The text is not JSON, or not a valid JSON Schema; the message is the parser's."""


def parse_schema(text: Any) -> Any:
    """Parse and validate a schema string; return the parsed document.

    Accepts any JSON Schema the ``$schema`` keyword selects (Draft-04 to 2020-12, Draft-07 by
    default). A schema is an object or a boolean; anything else is rejected.
    """
    if not isinstance(text, str):
        raise InvalidSchemaError(f"the schema must be a string holding JSON, not {type(text).__name__}")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSchemaError(f"Invalid JSON: {exc}") from None
    check_schema(document)
    return document


def check_schema(document: Any) -> None:
    """Raise InvalidSchemaError unless ``document`` is a valid JSON Schema for its draft."""
    if not isinstance(document, (dict, bool)):
        raise InvalidSchemaError(
            f"A JSON Schema must be an object or a boolean, not {_json_kind(document)}"
        )
    validator = DEFAULT_VALIDATOR
    if isinstance(document, dict) and "$schema" in document:
        if not isinstance(document["$schema"], str):
            raise InvalidSchemaError("$schema must be a string")
        validator = jsonschema.validators.validator_for(document, default=None)
        if validator is None:
            raise InvalidSchemaError(f"Unknown JSON Schema dialect in $schema: {document['$schema']!r}")
    try:
        validator.check_schema(document)
    except SchemaError as exc:
        path = "/".join(str(p) for p in exc.path)
        where = f" at #/{path}" if path else ""
        raise InvalidSchemaError(f"{exc.message}{where}") from None


def canonical(document: Any) -> str:
    """Sorted keys, no whitespace: the identity of a schema."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compact(document: Any) -> str:
    """Key order kept, no whitespace: how the registry prints a schema it stores (like Jackson)."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


# -- reading a schema the way Confluent's loader (everit) does ------------------------------------
#
# A schema object is one or more "parts": a typed schema (``type`` or the keywords of one type),
# ``enum``, ``const``, ``not`` and each of ``allOf``/``anyOf``/``oneOf``. Several parts behave as
# an ``allOf`` of them, and a ``type`` array as an ``anyOf``: ``{"type": "string", "enum": [...]}``
# is ``allOf[string, enum]``, exactly as Confluent's compatibility checker sees it.

_OBJECT_KW = ("properties", "required", "additionalProperties", "patternProperties", "dependencies",
              "dependentRequired", "dependentSchemas", "minProperties", "maxProperties", "propertyNames")
_ARRAY_KW = ("items", "additionalItems", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains")
_STRING_KW = ("minLength", "maxLength", "pattern", "format")
_NUMBER_KW = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_TYPE_KW = {"object": _OBJECT_KW, "array": _ARRAY_KW, "string": _STRING_KW, "number": _NUMBER_KW,
            "integer": _NUMBER_KW, "boolean": (), "null": ()}
_COMBINERS = ("allOf", "anyOf", "oneOf")


class SchemaNode(NamedTuple):
    """One schema as Confluent's loader sees it: a kind and the document it came from."""

    kind: str            # empty false null boolean string number enum const object array combined not ref
    doc: Any
    criterion: str = ""  # combined: allOf / anyOf / oneOf
    subschemas: Sequence[Any] = ()
    integer: bool = False
    meta: dict = {}      # noqa: RUF012 - never mutated


class SchemaReader:
    """Turns (sub)documents of one schema into SchemaNodes, resolving local ``$ref``s.

    Synthetic parts are cached per document so that the same document always yields the same
    objects: cycle detection keys on object identity.
    """

    def __init__(self, root: Any):
        self.root = root
        self._parts: dict[int, tuple[Any, list[Any]]] = {}

    def resolve(self, doc: Any, depth: int = 0) -> Any:
        while isinstance(doc, dict) and isinstance(doc.get("$ref"), str) and depth < 64:
            target = self._pointer(doc["$ref"])
            if target is None:
                return doc
            doc, depth = target, depth + 1
        return doc

    def _pointer(self, ref: str) -> Any:
        if not ref.startswith("#"):
            return None  # remote references are not resolved (references are not supported)
        node = self.root
        for raw in ref[1:].split("/")[1:] if ref != "#" else []:
            key = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return None
        return node

    def node(self, doc: Any) -> SchemaNode:
        doc = self.resolve(doc)
        if doc is True or (isinstance(doc, dict) and not self._parts_of(doc) and "$ref" not in doc):
            return SchemaNode("empty", doc, meta=_meta(doc))
        if doc is False:
            return SchemaNode("false", doc)
        if not isinstance(doc, dict):
            return SchemaNode("empty", doc)
        if "$ref" in doc:  # unresolvable reference: only equality is known
            return SchemaNode("ref", doc)
        parts = self._parts_of(doc)
        if len(parts) == 1:
            return self._single(parts[0], _meta(doc))
        return SchemaNode("combined", doc, criterion="allOf", subschemas=parts, meta=_meta(doc))

    def _parts_of(self, doc: dict) -> list[Any]:
        if "__type__" in doc or "__part__" in doc:
            return [doc]  # already one synthetic part
        cached = self._parts.get(id(doc))
        if cached is not None and cached[0] is doc:
            return cached[1]
        parts: list[Any] = []
        declared = doc.get("type")
        if isinstance(declared, list):
            parts.append({"anyOf": [_typed(doc, t) for t in declared if isinstance(t, str)], "__part__": "types"})
        elif isinstance(declared, str):
            parts.append(_typed(doc, declared))
        else:
            for name in ("object", "array", "string", "number"):
                if any(k in doc for k in _TYPE_KW[name]):
                    parts.append(_typed(doc, name))
        if "enum" in doc:
            parts.append({"enum": doc["enum"]})
        if "const" in doc:
            parts.append({"const": doc["const"]})
        if "not" in doc:
            parts.append({"not": doc["not"]})
        for criterion in _COMBINERS:
            if isinstance(doc.get(criterion), list):
                parts.append({criterion: doc[criterion]})
        if len(parts) == 1 and "__part__" not in parts[0] and "__type__" not in parts[0]:
            parts = [doc]  # a lone enum/const/not/combiner keeps its own document (and metadata)
        self._parts[id(doc)] = (doc, parts)
        return parts

    def _single(self, part: dict, meta: dict) -> SchemaNode:
        if "__part__" in part:
            return SchemaNode("combined", part, criterion="anyOf", subschemas=part["anyOf"], meta=meta)
        if "__type__" in part:
            kind = part["__type__"]
            return SchemaNode("number" if kind == "integer" else kind, part, integer=kind == "integer", meta=meta)
        for criterion in _COMBINERS:
            if criterion in part:
                return SchemaNode("combined", part, criterion=criterion, subschemas=part[criterion], meta=meta)
        kind = next(k for k in ("enum", "const", "not") if k in part)  # parts are always one of these
        return SchemaNode(kind, part, meta=meta)


def _typed(doc: dict, name: str) -> dict:
    part = {k: doc[k] for k in _TYPE_KW.get(name, ()) if k in doc}
    part["__type__"] = name if name in _TYPE_KW else "unknown"
    return part


def _meta(doc: Any) -> dict:
    if not isinstance(doc, dict):
        return {}
    out = {k: doc[k] for k in ("title", "description", "default") if k in doc}
    if "$id" in doc or "id" in doc:
        out["id"] = doc.get("$id", doc.get("id"))
    return out
