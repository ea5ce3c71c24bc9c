"""JSON Schema compatibility, following Confluent's ``JsonSchemaDiff`` (schema-registry 8.x).

``diff(original, update)`` lists the differences between two schema documents, each a
``Difference(type, path)`` named as in ``io.confluent.kafka.schemaregistry.json.diff.Difference``
(the names, ``COMPATIBLE_CHANGES`` and their messages are in ``differences``, re-exported here).
A change is compatible when its type is in ``COMPATIBLE_CHANGES``; compatible means a reader
using ``update`` can read everything written with ``original`` (BACKWARD). ``check`` applies a
compatibility level to a new schema and the earlier versions and returns Confluent's messages
(empty when compatible).

Pure logic, no I/O. Schemas are plain parsed JSON (dicts/bools), read the way Confluent's loader
reads them (``canonical.SchemaReader``: ``{"type": "string", "enum": [...]}`` is
``allOf[string, enum]``), so the same edits give the same difference names.

Deliberate differences from Confluent: ``additionalProperties: {}`` counts as ``true``; when
subschemas of a union cannot be matched (COMBINED_TYPE_SUBSCHEMAS_CHANGED) the differences inside
same-kind pairs are listed too, to say why; a changed ``const`` is ENUM_ARRAY_CHANGED.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any, Iterator, NamedTuple, Sequence

from dbconnect.registry.canonical import SchemaNode, SchemaReader
from dbconnect.registry.differences import COMPATIBLE_CHANGES, Difference, describe

LEVELS = ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE")
DEFAULT_LEVEL = "BACKWARD"


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# -- the comparison ----------------------------------------------------------------------------


class _Context:
    def __init__(self, shared: dict, path: Sequence[str] = ()):
        self.shared = shared            # loaders and the pairs being compared (cycle detection)
        self.path = list(path)
        self.diffs: list[Difference] = []

    def sub(self) -> "_Context":
        return _Context(self.shared, self.path)

    def add(self, type_: str, attribute: str | None = None) -> None:
        parts = self.path + ([attribute] if attribute else [])
        self.diffs.append(Difference(type_, "#/" + "/".join(parts)))

    @property
    def compatible(self) -> bool:
        return all(d.type in COMPATIBLE_CHANGES for d in self.diffs)

    @contextmanager
    def enter(self, segment: str) -> Iterator[None]:
        self.path.append(segment)
        try:
            yield
        finally:
            self.path.pop()


def diff(original: Any, update: Any) -> list[Difference]:
    """Every difference from ``original`` to ``update`` (reader ``update``, writer ``original``)."""
    shared = {"o": SchemaReader(original), "u": SchemaReader(update), "busy": set()}
    ctx = _Context(shared)
    _compare(ctx, original, update)
    return ctx.diffs


def incompatibilities(original: Any, update: Any) -> list[Difference]:
    return [d for d in diff(original, update) if d.type not in COMPATIBLE_CHANGES]


def _compare(ctx: _Context, o_doc: Any, u_doc: Any) -> None:
    if o_doc is None and u_doc is None:
        return
    if o_doc is None:
        ctx.add("SCHEMA_ADDED")
        return
    if u_doc is None:
        ctx.add("SCHEMA_REMOVED")
        return
    o, u = ctx.shared["o"].node(o_doc), ctx.shared["u"].node(u_doc)

    if o.kind != "combined" and u.kind == "combined":
        if len(u.subschemas) == 1:
            sub = ctx.sub()
            _compare(sub, o.doc, u.subschemas[0])
            if sub.compatible:
                ctx.diffs.extend(sub.diffs)
                return
        elif u.criterion in ("anyOf", "oneOf"):
            for candidate in u.subschemas:
                sub = ctx.sub()
                _compare(sub, o.doc, candidate)
                if sub.compatible:
                    ctx.diffs.extend(sub.diffs)
                    ctx.add("SUM_TYPE_EXTENDED")
                    return
    elif o.kind == "combined" and u.kind != "combined":
        if len(o.subschemas) == 1:
            sub = ctx.sub()
            _compare(sub, o.subschemas[0], u.doc)
            if sub.compatible:
                ctx.diffs.extend(sub.diffs)
                return
        elif o.criterion == "allOf":
            for candidate in o.subschemas:
                sub = ctx.sub()
                _compare(sub, candidate, u.doc)
                if sub.compatible:
                    ctx.diffs.extend(sub.diffs)
                    ctx.add("PRODUCT_TYPE_NARROWED")
                    return

    if o.kind != u.kind:
        # Anything may become the empty (accept-all) schema, and "false" may become anything.
        if o.kind != "false" and u.kind != "empty":
            ctx.add("TYPE_CHANGED")
        return

    pair = (id(o.doc), id(u.doc))
    busy = ctx.shared["busy"]
    if pair in busy:
        return  # a recursive schema came back to a pair already being compared
    busy.add(pair)
    try:
        for attribute, change in (("id", "ID_CHANGED"), ("title", "TITLE_CHANGED"),
                                  ("description", "DESCRIPTION_CHANGED"), ("default", "DEFAULT_CHANGED")):
            if _key(o.meta.get(attribute)) != _key(u.meta.get(attribute)):
                ctx.add(change)
        compare_kind = _BY_KIND.get(o.kind)
        if compare_kind is not None:
            compare_kind(ctx, o, u)
    finally:
        busy.discard(pair)


def _limits(ctx: _Context, o: dict, u: dict, keyword: str, stem: str) -> None:
    """``<STEM>_ADDED/REMOVED/INCREASED/DECREASED`` for one numeric keyword."""
    a, b = o.get(keyword), u.get(keyword)
    if isinstance(a, bool) or isinstance(b, bool):
        return  # Draft-04 boolean exclusiveMinimum/Maximum: not a limit of its own
    if a == b or not isinstance(a, (int, float, type(None))) or not isinstance(b, (int, float, type(None))):
        return
    if a is None:
        ctx.add(f"{stem}_ADDED", keyword)
    elif b is None:
        ctx.add(f"{stem}_REMOVED", keyword)
    elif a < b:
        ctx.add(f"{stem}_INCREASED", keyword)
    elif a > b:
        ctx.add(f"{stem}_DECREASED", keyword)


def _compare_string(ctx: _Context, o: SchemaNode, u: SchemaNode) -> None:
    _limits(ctx, o.doc, u.doc, "maxLength", "MAX_LENGTH")
    _limits(ctx, o.doc, u.doc, "minLength", "MIN_LENGTH")
    a, b = o.doc.get("pattern"), u.doc.get("pattern")
    if a != b:
        ctx.add("PATTERN_ADDED" if a is None else "PATTERN_REMOVED" if b is None else "PATTERN_CHANGED", "pattern")


def _compare_number(ctx: _Context, o: SchemaNode, u: SchemaNode) -> None:
    for keyword, stem in (("maximum", "MAXIMUM"), ("minimum", "MINIMUM"),
                          ("exclusiveMaximum", "EXCLUSIVE_MAXIMUM"), ("exclusiveMinimum", "EXCLUSIVE_MINIMUM")):
        _limits(ctx, o.doc, u.doc, keyword, stem)
    a, b = _decimal(o.doc.get("multipleOf")), _decimal(u.doc.get("multipleOf"))
    if a != b:
        if a is None:
            ctx.add("MULTIPLE_OF_ADDED", "multipleOf")
        elif b is None:
            ctx.add("MULTIPLE_OF_REMOVED", "multipleOf")
        elif a and b % a == 0:
            ctx.add("MULTIPLE_OF_EXPANDED", "multipleOf")
        elif b and a % b == 0:
            ctx.add("MULTIPLE_OF_REDUCED", "multipleOf")
        else:
            ctx.add("MULTIPLE_OF_CHANGED", "multipleOf")
    if o.integer != u.integer:
        # integer -> number widens what the reader accepts; number -> integer narrows it.
        ctx.add("TYPE_EXTENDED" if o.integer else "TYPE_NARROWED")


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _compare_enum(ctx: _Context, o: SchemaNode, u: SchemaNode) -> None:
    a = {_key(v) for v in o.doc.get("enum") or []}
    b = {_key(v) for v in u.doc.get("enum") or []}
    if a != b:
        ctx.add("ENUM_ARRAY_EXTENDED" if b >= a else "ENUM_ARRAY_NARROWED" if a >= b else "ENUM_ARRAY_CHANGED", "enum")


def _compare_const(ctx: _Context, o: SchemaNode, u: SchemaNode) -> None:
    # Confluent's ConstSchemaDiff: a different constant is a changed one-value enum.
    if _key(o.doc.get("const")) != _key(u.doc.get("const")):
        ctx.add("ENUM_ARRAY_CHANGED", "const")


def _compare_ref(ctx: _Context, o: SchemaNode, u: SchemaNode) -> None:
    if o.doc.get("$ref") != u.doc.get("$ref"):
        ctx.add("TYPE_CHANGED")


def _compare_not(ctx: _Context, o: SchemaNode, u: SchemaNode) -> None:
    # The reader accepts more when what it rejects shrinks: compare the negated schemas reversed.
    with ctx.enter("not"):
        sub = ctx.sub()
        shared = sub.shared
        shared["o"], shared["u"] = shared["u"], shared["o"]
        try:
            _compare(sub, u.doc["not"], o.doc["not"])
        finally:
            shared["o"], shared["u"] = shared["u"], shared["o"]
        if sub.diffs:
            ctx.add("NOT_TYPE_NARROWED" if sub.compatible else "NOT_TYPE_EXTENDED")


def _compare_combined(ctx: _Context, o: SchemaNode, u: SchemaNode) -> None:
    if o.criterion != u.criterion:
        if u.criterion == "anyOf" or (u.criterion == "oneOf" and len(o.subschemas) == 1) or (
                u.criterion == "allOf" and len(o.subschemas) == 1 and len(u.subschemas) == 1):
            ctx.add("COMBINED_TYPE_EXTENDED")
        else:
            ctx.add("COMBINED_TYPE_CHANGED")
            return
    originals = _distinct(o.subschemas)
    updates = _distinct(u.subschemas)
    if len(originals) < len(updates):
        ctx.add("PRODUCT_TYPE_EXTENDED" if u.criterion == "allOf" else "SUM_TYPE_EXTENDED")
    elif len(originals) > len(updates):
        ctx.add("PRODUCT_TYPE_NARROWED" if u.criterion == "allOf" else "SUM_TYPE_NARROWED")

    edges: dict[tuple[int, int], list[Difference]] = {}
    rejected: dict[tuple[int, int], list[Difference]] = {}
    for i, original in enumerate(originals):
        with ctx.enter(f"{o.criterion}/{i}"):
            here = "#/" + "/".join(ctx.path)
            for j, update in enumerate(updates):
                sub = ctx.sub()
                _compare(sub, original, update)
                if sub.compatible:
                    edges[(i, j)] = sub.diffs
                elif Difference("TYPE_CHANGED", here) not in sub.diffs:
                    rejected[(i, j)] = sub.diffs  # same kind of subschema, changed inside
    matching = _max_matching(edges, len(originals), len(updates))
    for i, j in sorted(matching.items()):
        ctx.diffs.extend(edges[(i, j)])
    if len(matching) < min(len(originals), len(updates)):
        ctx.add("COMBINED_TYPE_SUBSCHEMAS_CHANGED")
        # Not in Confluent's output: also say why subschemas of the same kind did not match
        # (e.g. ENUM_ARRAY_NARROWED inside {"type": "string", "enum": [...]}).
        matched_o, matched_u = set(matching), set(matching.values())
        for (i, j), diffs in sorted(rejected.items()):
            if i not in matched_o and j not in matched_u:
                ctx.diffs.extend(d for d in diffs if d.type not in COMPATIBLE_CHANGES)


def _distinct(subschemas: Sequence[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for s in subschemas:
        seen.setdefault(_key(s), s)
    return list(seen.values())


def _max_matching(edges: dict[tuple[int, int], Any], left: int, right: int) -> dict[int, int]:
    """Maximum bipartite matching (Kuhn's augmenting paths): original index -> update index."""
    adjacency = {i: [j for j in range(right) if (i, j) in edges] for i in range(left)}
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in adjacency[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(left):
        augment(i, set())
    return {i: j for j, i in owner.items()}


def _compare_object(ctx: _Context, o: SchemaNode, u: SchemaNode) -> None:
    od, ud = o.doc, u.doc
    o_props, u_props = _dict(od.get("properties")), _dict(ud.get("properties"))
    o_req, u_req = set(_list(od.get("required"))), set(_list(ud.get("required")))

    with ctx.enter("required"):
        for name in sorted(o_props):
            if name in u_props:
                if name in o_req and name not in u_req:
                    ctx.add("REQUIRED_ATTRIBUTE_REMOVED", name)
                elif name not in o_req and name in u_req:
                    has_default = _has_default(ctx.shared["u"], u_props[name])
                    ctx.add("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED" if has_default else "REQUIRED_ATTRIBUTE_ADDED", name)

    with ctx.enter("properties"):
        for name in sorted(set(o_props) | set(u_props)):
            with ctx.enter(name):
                if name not in u_props:
                    _property_removed(ctx, ud, name, o_props[name])
                elif name not in o_props:
                    _property_added(ctx, od, name, u_props[name], name in u_req)
                else:
                    _compare(ctx, o_props[name], u_props[name])

    with ctx.enter("dependencies"):
        o_arrays, o_schemas = _dependencies(od)
        u_arrays, u_schemas = _dependencies(ud)
        for name in sorted(set(o_arrays) | set(u_arrays)):
            a, b = o_arrays.get(name), u_arrays.get(name)
            if b is None:
                ctx.add("DEPENDENCY_ARRAY_REMOVED", name)
            elif a is None:
                ctx.add("DEPENDENCY_ARRAY_ADDED", name)
            elif a != b:
                ctx.add("DEPENDENCY_ARRAY_EXTENDED" if b >= a else "DEPENDENCY_ARRAY_NARROWED" if a >= b
                        else "DEPENDENCY_ARRAY_CHANGED", name)
        for name in sorted(set(o_schemas) | set(u_schemas)):
            with ctx.enter(name):
                if name not in u_schemas:
                    ctx.add("DEPENDENCY_SCHEMA_REMOVED")
                elif name not in o_schemas:
                    ctx.add("DEPENDENCY_SCHEMA_ADDED")
                else:
                    _compare(ctx, o_schemas[name], u_schemas[name])

    with ctx.enter("additionalProperties"):
        _compare_additional(ctx, "ADDITIONAL_PROPERTIES", _additional(od, "additionalProperties"),
                            _additional(ud, "additionalProperties"))

    _limits(ctx, od, ud, "maxProperties", "MAX_PROPERTIES")
    _limits(ctx, od, ud, "minProperties", "MIN_PROPERTIES")


def _covered(ctx: _Context, original: Any, update: Any, stem: str) -> None:
    """A property/item matched against a partially open content model's schema instead."""
    sub = ctx.sub()
    _compare(sub, original, update)
    ctx.diffs.extend(sub.diffs)
    ctx.add(f"{stem}_{'IS' if sub.compatible else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")


def _compare_additional(ctx: _Context, stem: str, original: tuple[bool, Any], update: tuple[bool, Any]) -> None:
    """additionalProperties / additionalItems: (permits extra entries, their schema or None)."""
    (o_permits, o_extra), (u_permits, u_extra) = original, update
    if o_permits != u_permits:
        ctx.add(f"{stem}_ADDED" if u_permits else f"{stem}_REMOVED")
    elif o_extra is None and u_extra is not None:
        ctx.add(f"{stem}_NARROWED")
    elif u_extra is None and o_extra is not None:
        ctx.add(f"{stem}_EXTENDED")
    elif o_extra is not None:
        _compare(ctx, o_extra, u_extra)


def _property_removed(ctx: _Context, update: dict, name: str, original: Any) -> None:
    # Only the reader's (update's) content model matters when a property disappears.
    if _is_open(update, "additionalProperties"):
        ctx.add("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL")
        return
    partial = _partial_schema(update, name)
    if partial is not None:
        _covered(ctx, original, partial, "PROPERTY_REMOVED")
    elif ctx.shared["o"].resolve(original) is False:
        ctx.add("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
    else:
        ctx.add("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL")


def _property_added(ctx: _Context, original: dict, name: str, added: Any, required: bool) -> None:
    # Only the writer's (original's) content model matters: an open one may already hold `name`.
    has_default = _has_default(ctx.shared["u"], added)
    if _is_open(original, "additionalProperties"):
        if ctx.shared["u"].node(added).kind == "empty":
            ctx.add("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL")
        elif required:
            ctx.add("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL" if has_default
                    else "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
        else:
            ctx.add("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
        return
    partial = _partial_schema(original, name)
    if partial is not None:
        _covered(ctx, partial, added, "PROPERTY_ADDED")
    if required:
        ctx.add("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL" if has_default
                else "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
    else:
        ctx.add("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")


def _has_default(loader: SchemaReader, doc: Any) -> bool:
    return (isinstance(doc, dict) and "default" in doc) or (
        isinstance(resolved := loader.resolve(doc), dict) and "default" in resolved)


def _additional(doc: dict, keyword: str) -> tuple[bool, Any]:
    """(permits extra entries, schema they must match or None). ``{}`` counts as ``true``."""
    value = doc.get(keyword, True)
    if value is False:
        return False, None
    if value is True or value == {} or not isinstance(value, dict):
        return True, None
    return True, value


def _is_open(doc: dict, keyword: str) -> bool:
    permits, schema = _additional(doc, keyword)
    patterns = doc.get("patternProperties") if keyword == "additionalProperties" else None
    return permits and schema is None and not patterns


def _partial_schema(doc: dict, name: str) -> Any:
    for pattern, schema in _dict(doc.get("patternProperties")).items():
        try:
            if re.search(pattern, name):
                return schema
        except re.error:
            continue
    return _additional(doc, "additionalProperties")[1]


def _dependencies(doc: dict) -> tuple[dict[str, set[str]], dict[str, Any]]:
    arrays: dict[str, set[str]] = {}
    schemas: dict[str, Any] = {}
    for source in (doc.get("dependencies"), doc.get("dependentRequired"), doc.get("dependentSchemas")):
        for name, value in _dict(source).items():
            if isinstance(value, list):
                arrays[name] = {str(v) for v in value}
            else:
                schemas[name] = value
    return arrays, schemas


def _compare_array(ctx: _Context, o: SchemaNode, u: SchemaNode) -> None:
    od, ud = o.doc, u.doc
    o_all, o_tuple, o_more = _items(od)
    u_all, u_tuple, u_more = _items(ud)
    with ctx.enter("items"):
        _compare(ctx, o_all, u_all)
    for index in range(max(len(o_tuple), len(u_tuple))):
        with ctx.enter(f"items/{index}"):
            if index < len(o_tuple) and index < len(u_tuple):
                _compare(ctx, o_tuple[index], u_tuple[index])
            elif index < len(o_tuple):
                _item_removed(ctx, u_more, o_tuple[index])
            else:
                _item_added(ctx, o_more, u_tuple[index])
    with ctx.enter("additionalItems"):
        _compare_additional(ctx, "ADDITIONAL_ITEMS", o_more, u_more)
    _limits(ctx, od, ud, "maxItems", "MAX_ITEMS")
    _limits(ctx, od, ud, "minItems", "MIN_ITEMS")
    if bool(od.get("uniqueItems")) != bool(ud.get("uniqueItems")):
        ctx.add("UNIQUE_ITEMS_REMOVED" if od.get("uniqueItems") else "UNIQUE_ITEMS_ADDED", "uniqueItems")


def _items(doc: dict) -> tuple[Any, list[Any], tuple[bool, Any]]:
    """(schema of every item, tuple item schemas, (permits additional items, their schema))."""
    if isinstance(doc.get("prefixItems"), list):  # 2019-09/2020-12 tuples: "items" is the rest
        rest = doc.get("items", True)
        return None, doc["prefixItems"], (rest is not False, rest if isinstance(rest, dict) and rest else None)
    items = doc.get("items")
    if isinstance(items, list):
        return None, items, _additional(doc, "additionalItems")
    return items, [], _additional(doc, "additionalItems")


def _item_removed(ctx: _Context, update_more: tuple[bool, Any], original: Any) -> None:
    permits, schema = update_more
    if permits and schema is None:
        ctx.add("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL")
    elif schema is not None:
        _covered(ctx, original, schema, "ITEM_REMOVED")
    elif original is False:
        ctx.add("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
    else:
        ctx.add("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL")


def _item_added(ctx: _Context, original_more: tuple[bool, Any], added: Any) -> None:
    permits, schema = original_more
    if permits and schema is None:
        empty = ctx.shared["u"].node(added).kind == "empty"
        ctx.add("ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL" if empty else "ITEM_ADDED_TO_OPEN_CONTENT_MODEL")
    elif schema is not None:
        _covered(ctx, schema, added, "ITEM_ADDED")
    else:
        ctx.add("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL")


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


_BY_KIND = {
    "string": _compare_string, "number": _compare_number, "enum": _compare_enum, "const": _compare_const,
    "combined": _compare_combined, "not": _compare_not, "object": _compare_object, "array": _compare_array,
    "ref": _compare_ref,
}


# -- compatibility levels ----------------------------------------------------------------------


class Previous(NamedTuple):
    """An earlier version to check against: its version number, parsed schema and stored text."""

    version: int
    document: Any
    text: str


MAX_SCHEMA_SIZE_FOR_LOGGING = 10 * 1024


def _formatted(diffs: list[Difference], previous: Previous, reader: str, writer: str, trailer: bool) -> list[str]:
    """Confluent's ``SchemaValidatorBuilder.formatErrorMessages``."""
    messages = [describe(d, reader, writer) for d in diffs]
    if messages and trailer:
        messages.append(f"{{oldSchemaVersion: {previous.version}}}")
        text = previous.text
        if len(text) <= MAX_SCHEMA_SIZE_FOR_LOGGING:
            messages.append(f"{{oldSchema: '{text}'}}")
        else:
            messages.append(f"{{oldSchema: <truncated to {MAX_SCHEMA_SIZE_FOR_LOGGING} characters> "
                            f"'{text[:MAX_SCHEMA_SIZE_FOR_LOGGING]}'}}")
    return messages


def _check_one(direction: str, new: Any, previous: Previous) -> list[str]:
    backward = lambda: incompatibilities(previous.document, new)  # noqa: E731 - new reads old data
    forward = lambda: incompatibilities(new, previous.document)  # noqa: E731 - old reads new data
    if direction == "BACKWARD":
        return _formatted(backward(), previous, "new", "old", True)
    if direction == "FORWARD":
        return _formatted(forward(), previous, "old", "new", True)
    return _formatted(forward(), previous, "old", "new", False) + _formatted(backward(), previous, "new", "old", True)


def check(level: str, new: Any, previous_newest_first: Sequence[Previous]) -> list[str]:
    """Messages explaining why ``new`` breaks ``level``; empty when it is compatible.

    Non-transitive levels look at the newest earlier version only; transitive ones go from the
    newest to the oldest and stop at the first failure (Confluent's order). A non-empty result
    ends with ``{compatibility: 'LEVEL'}``.
    """
    level = level.upper()
    if level not in LEVELS:
        raise ValueError(f"Invalid compatibility level {level!r}")
    if level == "NONE" or not previous_newest_first:
        return []
    direction = level.removesuffix("_TRANSITIVE")
    candidates = previous_newest_first if level.endswith("_TRANSITIVE") else previous_newest_first[:1]
    for previous in candidates:
        messages = _check_one(direction, new, previous)
        if messages:
            return messages + [f"{{compatibility: '{level}'}}"]
    return []
