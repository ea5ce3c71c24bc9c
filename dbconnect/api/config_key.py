"""One config key (Kafka's ``ConfigDef.ConfigKey``) and the value rules every key follows.

``ConfigKey.from_schema`` reads one property of a config definition's JSON Schema (see ``config``);
the helpers below are Kafka's ``ConfigDef.parseType`` / ``convertToString`` and its error wording,
which ``ConfigDefinition`` uses too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any

from .masking import HIDDEN

CONNECT_TYPES = ("BOOLEAN", "STRING", "INT", "SHORT", "LONG", "DOUBLE", "LIST", "CLASS", "PASSWORD")
_JSON_TO_CONNECT = {"integer": "INT", "number": "DOUBLE", "boolean": "BOOLEAN", "array": "LIST", "string": "STRING"}
_CONNECT_TO_JSON = {"BOOLEAN": "boolean", "STRING": "string", "INT": "integer", "SHORT": "integer", "LONG": "integer",
                    "DOUBLE": "number", "LIST": "array", "CLASS": "string", "PASSWORD": "string"}
_INT_BITS = {"SHORT": 16, "INT": 32, "LONG": 64}
_INT_RE = re.compile(r"[+-]?[0-9]+")
# Keys whose values are secret even when not declared PASSWORD (converter/client settings pass through).
_SECRET_SUFFIXES = ("password", "basic.auth.user.info", "sasl.jaas.config", "ssl.keystore.key", "secret")


# --------------------------------------------------------------------------- value helpers

class _CoercionError(ValueError):
    pass


def _coerce(value: Any, ctype: str) -> Any:
    """Kafka's ``ConfigDef.parseType``: a supplied value (usually a string) → the typed value."""
    if ctype == "BOOLEAN":
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            if text in ("true", "false"):
                return text == "true"
        raise _CoercionError("Expected value to be either true or false")
    if ctype in _INT_BITS:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
            number = int(value.strip())
        else:
            raise _CoercionError(f"Not a number of type {ctype}")
        limit = 1 << (_INT_BITS[ctype] - 1)
        if not -limit <= number < limit:
            raise _CoercionError(f"Not a number of type {ctype}")
        return number
    if ctype == "DOUBLE":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and "_" not in value:
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise _CoercionError("Not a number of type DOUBLE")
    if ctype == "LIST":
        if isinstance(value, str):
            text = value.strip()
            return [item.strip() for item in text.split(",")] if text else []
        if isinstance(value, (list, tuple)):
            return [item if isinstance(item, str) else _java_str(item) for item in value]
        raise _CoercionError("Expected a comma separated list.")
    # STRING, CLASS, PASSWORD
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return _java_str(value)
    raise _CoercionError(f"Expected value to be a string, but it was a {type(value).__name__}")


def _java_str(value: Any) -> str:
    """``String.valueOf`` of a parsed value, as it appears inside Kafka's error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_java_str(v) for v in value) + "]"
    return str(value)


def _render(value: Any, ctype: str | None = None) -> str | None:
    """Kafka's ``ConfigDef.convertToString``: lists comma-joined, None stays None, passwords hidden."""
    if value is None:
        return None
    if ctype == "PASSWORD":
        return HIDDEN
    if isinstance(value, (list, tuple)):
        return ",".join(_render(v) or "" for v in value)
    return _java_str(value)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], ())


def is_secret_key(name: str) -> bool:
    """True for keys whose values must never be shown (``*password``, ``*basic.auth.user.info``, …)."""
    return name.lower().endswith(_SECRET_SUFFIXES)


def _missing(name: str) -> str:
    return f'Missing required configuration "{name}" which has no default value.'


def _invalid(name: str, value: Any, reason: str, secret: bool = False) -> str:
    shown = HIDDEN if secret and value is not None else _java_str(value)
    return f"Invalid value {shown} for configuration {name}: {reason}"


def _number(n: Any) -> str:
    return str(int(n)) if isinstance(n, float) and n.is_integer() and abs(n) < 1e15 else str(n)


# --------------------------------------------------------------------------- the key

@dataclass(frozen=True)
class ConfigKey:
    """One config key (ConfigDef.ConfigKey), derived from a property of the JSON Schema."""

    name: str
    type: str  # Connect type: BOOLEAN, STRING, INT, SHORT, LONG, DOUBLE, LIST, CLASS, PASSWORD
    json_type: str
    default: Any
    has_default: bool
    required: bool
    importance: str
    documentation: str
    group: str | None
    width: str
    display_name: str
    order: int
    dependents: list[str]
    enum: list[Any] | None
    is_password: bool
    schema: dict = field(repr=False)
    aliases: list[str] = field(default_factory=list)
    case_insensitive: bool = False

    @classmethod
    def from_schema(cls, name: str, schema: Mapping[str, Any], required: bool = False,
                    position: int = -1) -> "ConfigKey":
        json_type = schema.get("type")
        if isinstance(json_type, list):
            json_type = next((t for t in json_type if t != "null"), None)
        ctype = str(schema.get("x-connect-type") or _JSON_TO_CONNECT.get(json_type or "", "STRING")).upper()
        if ctype not in CONNECT_TYPES:
            raise ValueError(f"Unknown x-connect-type {ctype!r} for config key {name!r}")
        has_default = "default" in schema
        default = schema.get("default")
        if default is not None:
            try:
                default = _coerce(default, ctype)
            except _CoercionError as e:
                raise ValueError(f"Invalid default {default!r} for config key {name!r}: {e}") from None
        group = schema.get("x-group")
        enum = schema.get("enum")
        return cls(
            name=name, type=ctype, json_type=json_type or _CONNECT_TO_JSON[ctype], default=default,
            has_default=has_default, required=required,
            importance=str(schema.get("x-importance", "MEDIUM")).upper(),
            documentation=schema.get("description", ""), group=group,
            width=str(schema.get("x-width", "NONE")).upper(),
            display_name=schema.get("x-display-name", name),
            order=int(schema.get("x-order", position if group is not None else -1)),
            dependents=list(schema.get("x-dependents", [])), enum=list(enum) if enum is not None else None,
            is_password=ctype == "PASSWORD", schema=dict(schema), aliases=list(schema.get("x-aliases", [])),
            case_insensitive=bool(schema.get("x-case-insensitive", False)),
        )

    def info(self) -> dict[str, Any]:
        """Connect's ConfigKeyInfo (``GET /connector-plugins/{plugin}/config``)."""
        return {
            "name": self.name, "type": self.type, "required": self.required,
            "default_value": _render(self.default, self.type) if self.has_default else None,
            "importance": self.importance, "documentation": self.documentation, "group": self.group,
            "width": self.width, "display_name": self.display_name, "dependents": list(self.dependents),
            "order": self.order,
        }

    def valid_values(self) -> str:
        """The "valid values" column of the docs (Kafka's validator ``toString``)."""
        s = self.schema
        if "x-valid-values" in s:
            return str(s["x-valid-values"])
        parts = []
        if self.enum:
            parts.append(("(case insensitive) " if self.case_insensitive else "")
                         + ", ".join(_java_str(e) for e in self.enum))
        low, high = s.get("minimum"), s.get("maximum")
        if low is not None or high is not None:  # Kafka's Range.toString
            parts.append("[" + ("..." if low is None else f"{_number(low)},...")
                         + ("" if high is None else f",{_number(high)}") + "]")
        if s.get("minLength") == 1:
            parts.append("non-empty string")
        if "pattern" in s:
            parts.append(f"matches `{s['pattern']}`")
        return "; ".join(parts)
