"""Kafka's ``org.apache.kafka.connect.transforms.field.SingleFieldPath`` (KIP-821): a field path of
one or more steps, read from a Struct (with its schema) or a map.

``field.syntax.version=V1`` (the default) takes the whole text as one field name; ``V2`` splits it on
dots, and a step wrapped in backticks may contain dots (`` `foo.bar`.baz ``). Inside backticks a
backtick that is followed by a dot ends the step unless a backslash precedes it; any other backtick
is part of the name. A path ending in a dot has an empty last step. An opening backtick without its
closing one is a ConfigError with Kafka's message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbconnect.api.data import Field, Schema, Struct, Type
from dbconnect.api.errors import ConfigError, DataError

from .base import require_map, require_struct

__all__ = ["FIELD_SYNTAX_VERSION_CONFIG", "SingleFieldPath", "syntax_version"]

FIELD_SYNTAX_VERSION_CONFIG = "field.syntax.version"
_VERSIONS = ("V1", "V2")
_BACKTICK, _DOT, _BACKSLASH = "`", ".", "\\"


def syntax_version(value: Any) -> str:
    """``V1``/``V2`` from the config's text (case insensitive, as Kafka's validator)."""
    text = str(value or "V1").upper()
    if text not in _VERSIONS:
        raise ConfigError(f"Invalid value {value} for configuration {FIELD_SYNTAX_VERSION_CONFIG}: "
                          "Unrecognized field syntax version")
    return text


class SingleFieldPath:
    def __init__(self, path: str, version: str = "V1") -> None:
        self.version = syntax_version(version)
        self.steps: tuple[str, ...] = (path,) if self.version == "V1" else _split_v2(path)

    # -- schema and values -------------------------------------------------------------------
    def field_from(self, schema: Schema | None) -> Field | None:
        """The field at this path in ``schema``, or None when a step is missing."""
        if schema is None:
            return None
        current = schema
        for step in self.steps[:-1]:
            found = _field(current, step)
            if found is None:
                return None
            current = found.schema
        return _field(current, self.steps[-1])

    def value_from_struct(self, struct: Struct | None, with_default: bool = True) -> Any:
        if struct is None:
            return None
        current = struct
        for step in self.steps[:-1]:
            if current.schema.field(step) is None:
                return None
            sub = current.get(step)
            if sub is None:
                return None
            current = require_struct(sub, "nested field access")
        last = self.steps[-1]
        if current.schema.field(last) is None:
            return None
        return current.get(last) if with_default else current.get_without_default(last)

    def value_from_map(self, mapping: Mapping[str, Any] | None) -> Any:
        if mapping is None:
            return None
        current = mapping
        for step in self.steps[:-1]:
            sub = current.get(step)
            if sub is None:
                return None
            current = require_map(sub, "nested field access")
        return current.get(self.steps[-1])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SingleFieldPath) and other.steps == self.steps

    def __hash__(self) -> int:
        return hash(self.steps)

    def __repr__(self) -> str:
        return f"SingleFieldPath{{version={self.version}, path={'.'.join(self.steps)}}}"


def _field(schema: Schema, name: str) -> Field | None:
    # Kafka's ConnectSchema.field refuses a non-struct schema rather than answering null.
    if schema.type is not Type.STRUCT:
        raise DataError("Cannot look up fields on non-struct type")
    return schema.field(name)


def _split_v2(path: str) -> tuple[str, ...]:
    steps: list[str] = []
    idx, length = 0, len(path)
    while 0 <= idx < length:
        if path[idx] != _BACKTICK:
            dot = path.find(_DOT, idx)
            if dot >= 0:
                steps.append(path[idx:dot])
                idx = dot + 1
            else:
                steps.append(path[idx:])
                idx = -1
            continue
        opened_at = idx
        idx += 1
        start, name = idx, []
        while True:
            idx = path.find(_BACKTICK, idx)
            if idx == -1:
                _incomplete(path, opened_at)
            escaped = path[idx - 1] == _BACKSLASH
            if idx >= length - 1:  # the closing backtick ends the path
                if escaped:
                    _incomplete(path, opened_at)
                name.append(path[start:idx])
                steps.append("".join(name))
                idx += 1
                break
            if path[idx + 1] != _DOT:  # not followed by a dot: part of the name
                idx += 1
                continue
            if escaped:  # \` followed by a dot: a backtick in the name
                name.append(path[start:idx - 1] + _BACKTICK)
                idx += 1
                start = idx
                continue
            name.append(path[start:idx])
            steps.append("".join(name))
            idx += 2  # the backtick and the dot after it
            break
    if path.endswith(_DOT):
        steps.append("")
    return tuple(steps)


def _incomplete(path: str, opened_at: int) -> None:
    raise ConfigError(f"Incomplete backtick pair in path: [{path}], consider adding a backslash before "
                      f"backtick at position {opened_at} to escape it")
