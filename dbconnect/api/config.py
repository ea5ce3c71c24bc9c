"""Config definitions: Kafka Connect's ``ConfigDef``, written as Draft 2020-12 JSON Schema documents.

Built-in definitions live in top-level ``schemas/`` (``dbconnect/_schemas`` in the wheel). ConfigDef's
attributes are ``x-`` annotations on each property (``x-connect-type``, ``x-importance``, ``x-group``,
``x-width``, ``x-display-name``, ``x-order``, ``x-dependents``, ``x-aliases``), plus extensions:
``x-case-insensitive`` (enum ignores case), ``x-messages`` ({keyword: Kafka's wording}) and
``x-valid-values`` (docs text). One document drives parsing, validation with Kafka's exact error
wording, the REST ConfigKeyInfo / ConfigInfos answers and the reference tables in docs/reference/config.md.
"""

from __future__ import annotations

import copy
import functools
import re
import threading
from pathlib import Path
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson
from jsonschema import Draft202012Validator, validators

from .config_key import (  # ConfigKey and is_secret_key are re-exported (__all__)
    CONNECT_TYPES,
    ConfigKey,
    _blank,
    _coerce,
    _CoercionError,
    _invalid,
    _java_str,
    _missing,
    _number,
    _render,
    is_secret_key,
)
from .errors import ConfigError
from .masking import HIDDEN, is_variable_reference, mask_text

__all__ = ["ConfigKey", "ConfigDefinition", "invalid_config_message", "mask_passwords", "is_secret_key",
           "sink_topics_errors", "HIDDEN", "SCHEMA_DIRS"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# The source checkout's schemas/ first, then the copy installed with the wheel.
SCHEMA_DIRS = (Path(__file__).resolve().parents[2] / "schemas", Path(__file__).resolve().parents[1] / "_schemas")
# Top-level keywords that describe the document rather than constrain the config object.
_DOC_KEYWORDS = {"$schema", "$id", "$comment", "$defs", "title", "description", "type", "properties", "required",
                 "default", "examples"}

TOPICS_CONFIG = "topics"
TOPICS_REGEX_CONFIG = "topics.regex"
DLQ_TOPIC_NAME_CONFIG = "errors.deadletterqueue.topic.name"


# --------------------------------------------------------------------------- validation engine

_ENUM = Draft202012Validator.VALIDATORS["enum"]


def _enum_maybe_ci(validator, enums, instance, schema):
    if schema.get("x-case-insensitive") and isinstance(instance, str):
        if any(isinstance(e, str) and e.lower() == instance.lower() for e in enums):
            return
    yield from _ENUM(validator, enums, instance, schema)


_Validator = validators.extend(Draft202012Validator, {"enum": _enum_maybe_ci})


def _reason(err, key: ConfigKey | None, secret: bool = False) -> str:
    """Kafka's wording for a failed JSON Schema keyword (never echoing a secret value)."""
    kw, arg = err.validator, err.validator_value
    custom = (err.schema.get("x-messages") or {}).get(kw) if isinstance(err.schema, Mapping) else None
    if custom is None and key is not None:
        custom = (key.schema.get("x-messages") or {}).get(kw)
    if custom is not None:
        return str(custom)
    if kw == "enum":
        ci = isinstance(err.schema, Mapping) and err.schema.get("x-case-insensitive")
        return ("String must be one of (case insensitive): " if ci else "String must be one of: ") + \
            ", ".join(_java_str(e) for e in arg)
    if kw == "minimum":
        return f"Value must be at least {_number(arg)}"
    if kw == "maximum":
        return f"Value must be no more than {_number(arg)}"
    if kw == "minLength" and arg == 1:
        return "String must be non-empty"
    if kw == "format" and arg != "regex" and err.cause is not None and not secret:
        return str(err.cause)  # a registered format check words its own reason (java-regex, …)
    if kw == "format" and arg == "regex":
        try:
            re.compile(err.instance)
        except (re.error, TypeError) as e:
            return f"Invalid regex: {e}"
    return err.message.replace(repr(err.instance), HIDDEN) if secret else err.message


# --------------------------------------------------------------------------- the definition

class ConfigDefinition:
    """An ordered set of config keys with their groups: a JSON Schema document, parsed.

    Treat instances as immutable: ``load``/``of`` may hand out shared, cached instances.
    """

    def __init__(self, properties: Mapping[str, Mapping[str, Any]] | None = None,
                 required: Iterable[str] = (), groups: Iterable[str] = (), *, title: str | None = None,
                 description: str | None = None, plugin_type: str | None = None,
                 constraints: Iterable[Mapping[str, Any]] = (), defs: Mapping[str, Any] | None = None):
        self.title = title
        self.description = description
        self.plugin_type = plugin_type
        self.constraints: list[dict] = [dict(c) for c in constraints]
        self.defs: dict[str, Any] = dict(defs or {})
        required = set(required)
        positions: dict[str | None, int] = {}
        self.keys: dict[str, ConfigKey] = {}
        for name, schema in (properties or {}).items():
            group = schema.get("x-group")
            positions[group] = positions.get(group, 0) + 1
            self.keys[name] = ConfigKey.from_schema(name, schema, name in required, positions[group])
        self.groups: list[str] = list(dict.fromkeys(groups))
        for key in self.keys.values():
            if key.group is not None and key.group not in self.groups:
                self.groups.append(key.group)
        self._validator = None
        self._lock = threading.Lock()

    # ---- construction

    @classmethod
    def from_json_schema(cls, doc: Mapping[str, Any]) -> "ConfigDefinition":
        Draft202012Validator.check_schema(doc)
        if doc.get("type", "object") != "object":
            raise ValueError("A config definition must be a JSON Schema of type 'object'")
        doc = copy.deepcopy(dict(doc))
        rest = {k: v for k, v in doc.items() if k not in _DOC_KEYWORDS and not k.startswith("x-")}
        return cls(doc.get("properties", {}), doc.get("required", []), doc.get("x-groups", []),
                   title=doc.get("title"), description=doc.get("description"), plugin_type=doc.get("x-plugin-type"),
                   constraints=[rest] if rest else [], defs=doc.get("$defs"))

    @classmethod
    def load(cls, *names: str) -> "ConfigDefinition":
        """Merge ``schemas/<name>.json`` files in order (later files override earlier ones)."""
        return _load_merged(tuple(names))

    @classmethod
    def of(cls, value: Any) -> "ConfigDefinition":
        """A ConfigDefinition from what a plugin's ``config()`` returns: definition, JSON Schema dict or None."""
        if value is None:
            return cls()
        if isinstance(value, ConfigDefinition):
            return value
        if isinstance(value, Mapping):
            try:
                blob = orjson.dumps(dict(value), option=orjson.OPT_SORT_KEYS)
            except TypeError:
                return cls.from_json_schema(value)
            return _from_json_bytes(blob)
        raise TypeError(f"Cannot make a ConfigDefinition from {type(value).__name__}")

    def merge(self, *others: Any) -> "ConfigDefinition":
        """A new definition: this one's keys, then the others'; a later key replaces an earlier one in place."""
        properties = {name: key.schema for name, key in self.keys.items()}
        required = {name for name, key in self.keys.items() if key.required}
        groups, constraints, defs = list(self.groups), list(self.constraints), dict(self.defs)
        title, description, plugin_type = self.title, self.description, self.plugin_type
        for other in map(ConfigDefinition.of, others):
            for name, key in other.keys.items():
                properties[name] = key.schema
                required.discard(name)
                if key.required:
                    required.add(name)
            groups += [g for g in other.groups if g not in groups]
            constraints += other.constraints
            defs.update(other.defs)
            title, description = other.title or title, other.description or description
            plugin_type = other.plugin_type or plugin_type
        return ConfigDefinition(properties, required, groups, title=title, description=description,
                                plugin_type=plugin_type, constraints=constraints, defs=defs)

    def to_json_schema(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"$schema": SCHEMA_DIALECT}
        if self.title:
            doc["title"] = self.title
        if self.description:
            doc["description"] = self.description
        if self.plugin_type:
            doc["x-plugin-type"] = self.plugin_type
        doc["type"] = "object"
        if self.groups:
            doc["x-groups"] = list(self.groups)
        doc["properties"] = {name: key.schema for name, key in self.keys.items()}
        doc["required"] = [name for name, key in self.keys.items() if key.required]
        if self.constraints:
            doc["allOf"] = list(self.constraints)
        if self.defs:
            doc["$defs"] = dict(self.defs)
        return doc

    # ---- mapping conveniences

    def __contains__(self, name: object) -> bool:
        return name in self.keys

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def __repr__(self) -> str:
        return f"ConfigDefinition({self.title or ''!r}, keys={list(self.keys)})"

    def password_keys(self) -> set[str]:
        return {name for name, key in self.keys.items() if key.is_password}

    # ---- parsing and validation

    def _get_validator(self):
        if self._validator is None:
            with self._lock:
                if self._validator is None:
                    self._validator = _Validator(self.to_json_schema(),
                                                 format_checker=Draft202012Validator.FORMAT_CHECKER)
        return self._validator

    def _raw(self, props: Mapping[str, Any], key: ConfigKey) -> Any:
        value = props.get(key.name)
        if value is None:
            value = next((props[a] for a in key.aliases if props.get(a) is not None), None)
        return value

    def _evaluate(self, props: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """(typed values of the defined keys that were supplied, errors per key)."""
        values: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for name, key in self.keys.items():
            raw = self._raw(props, key)
            if raw is None:
                continue
            try:
                values[name] = _coerce(raw, key.type)
            except _CoercionError as e:
                errors[name] = [_invalid(name, raw, str(e), key.is_password)]
        failed = set(errors)
        instance = {k: v for k, v in props.items() if k not in self.keys and v is not None}
        for name, key in self.keys.items():
            if name in values:
                instance[name] = values[name]
            elif name not in failed and key.default is not None:
                instance[name] = key.default
        for err in self._get_validator().iter_errors(instance):
            for name, message in self._messages(err, instance, failed):
                if message not in errors.setdefault(name, []):
                    errors[name].append(message)
        ordered = {name: errors[name] for name in self.keys if name in errors}
        ordered.update((name, msgs) for name, msgs in errors.items() if name not in ordered)
        return values, ordered

    def _messages(self, err, instance: Mapping[str, Any], failed: set[str]) -> Iterator[tuple[str, str]]:
        path = list(err.absolute_path)
        if not path and err.validator in ("required", "dependentRequired") and isinstance(err.instance, Mapping):
            if err.validator == "required":
                wanted = list(err.validator_value)
            else:
                wanted = [d for k, deps in err.validator_value.items() if k in err.instance for d in deps]
            for name in wanted:
                if name not in err.instance and name not in failed:
                    yield name, _missing(name)
            return
        if path:
            name, value = str(path[0]), instance.get(str(path[0]))
        else:
            schema = err.schema if isinstance(err.schema, Mapping) else {}
            name, value = str(schema.get("x-error-key", "")), err.instance
            value = instance.get(name, value) if name else value
        if name in failed:
            return
        key = self.keys.get(name)
        secret = key.is_password if key else is_secret_key(name)
        yield name, _invalid(name, value, _reason(err, key, secret), secret)

    def validate(self, props: Mapping[str, Any]) -> dict[str, list[str]]:
        """Errors per key (only keys with errors), in definition order."""
        return self._evaluate(props or {})[1]

    def parse(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Typed values for every defined key (supplied or default); unknown keys pass through untouched."""
        props = props or {}
        values, errors = self._evaluate(props)
        if errors:
            raise ConfigError(invalid_config_message(errors), errors)
        result = dict(props)
        for name, key in self.keys.items():
            result[name] = values.get(name, key.default)
        return result

    # ---- REST answers

    def config_key_infos(self) -> list[dict[str, Any]]:
        """``GET /connector-plugins/{plugin}/config``: one ConfigKeyInfo per key, in order."""
        return [key.info() for key in self.keys.values()]

    def _value_info(self, name: str, key: ConfigKey | None, props: Mapping[str, Any],
                    errors: list[str]) -> dict[str, Any]:
        raw = self._raw(props, key) if key else props.get(name)
        if raw is None:
            value = _render(key.default, key.type) if key else None
        else:
            value = raw if isinstance(raw, str) else _render(raw)
        if value is not None and ((key is not None and key.is_password) or is_secret_key(name)) \
                and not is_variable_reference(value):
            value = HIDDEN
        elif isinstance(value, str):
            value = mask_value_secrets(value)
        recommended = [_render(e) for e in key.enum] if key and key.enum else []
        return {"name": name, "value": value, "recommended_values": recommended,
                "errors": [mask_text(e) for e in errors], "visible": True}

    def validate_response(self, name: str, props: Mapping[str, Any],
                          extra_errors: Mapping[str, list[str]] | None = None,
                          shown: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``PUT /connector-plugins/{plugin}/config/validate``: Connect's ConfigInfos.

        ``extra_errors`` (e.g. from ``Connector.validate`` or ``sink_topics_errors``) are added to
        the definition's own; undefined keys among them get an entry with a null definition, listed
        first, as Connect does. ``shown`` (the config as submitted, ``${…}`` references unresolved)
        supplies the values reported when ``props`` is the resolved config, as Kafka reports them.
        """
        props = props or {}
        shown = props if shown is None else shown
        errors = {k: list(v) for k, v in self.validate(props).items()}
        for key_name, msgs in (extra_errors or {}).items():
            bucket = errors.setdefault(key_name, [])
            bucket += [m for m in msgs if m not in bucket]
        configs, count = [], 0
        for key_name, msgs in errors.items():
            if key_name not in self.keys:
                configs.append({"definition": None, "value": self._value_info(key_name, None, shown, msgs)})
                count += len(msgs)
        for key_name, key in self.keys.items():
            msgs = errors.get(key_name, [])
            configs.append({"definition": key.info(), "value": self._value_info(key_name, key, shown, msgs)})
            count += len(msgs)
        return {"name": name, "error_count": count, "groups": list(self.groups), "configs": configs}

    # ---- docs

    def to_markdown(self) -> str:
        """A Markdown table: key | type | default | valid values | importance | description."""
        def cell(text: str) -> str:
            return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>").strip()

        lines = ["| Key | Type | Default | Valid values | Importance | Description |",
                 "|---|---|---|---|---|---|"]
        for key in self.keys.values():
            if key.required and not key.has_default:
                default = "*required*"
            elif key.default is None:
                default = "null"
            else:
                rendered = _render(key.default, key.type)
                default = f"`{rendered}`" if rendered else '`""`'
            lines.append("| " + " | ".join([
                f"`{key.name}`", key.type.lower(), cell(default), cell(key.valid_values()),
                key.importance.lower(), cell(key.documentation or ""),
            ]) + " |")
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- loading and caches

def _schema_path(name: str) -> Path:
    candidate = Path(name)
    if candidate.suffix == ".json" and (candidate.is_absolute() or len(candidate.parts) > 1):
        if candidate.is_file():
            return candidate
        raise FileNotFoundError(f"No config schema file {name}")
    filename = name if name.endswith(".json") else f"{name}.json"
    for directory in SCHEMA_DIRS:
        if (directory / filename).is_file():
            return directory / filename
    raise FileNotFoundError(f"No config schema {filename!r} in {', '.join(str(d) for d in SCHEMA_DIRS)}")


@functools.lru_cache(maxsize=None)
def _read_schema(name: str) -> ConfigDefinition:
    path = _schema_path(name)
    try:
        doc = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as e:
        raise ValueError(f"{path}: invalid JSON: {e}") from None
    return ConfigDefinition.from_json_schema(doc)


@functools.lru_cache(maxsize=128)
def _load_merged(names: tuple[str, ...]) -> ConfigDefinition:
    parts = [_read_schema(n) for n in names]
    if not parts:
        return ConfigDefinition()
    return parts[0] if len(parts) == 1 else parts[0].merge(*parts[1:])


@functools.lru_cache(maxsize=256)
def _from_json_bytes(blob: bytes) -> ConfigDefinition:
    return ConfigDefinition.from_json_schema(orjson.loads(blob))


def clear_caches() -> None:
    """Forget parsed schema files (tests, or after editing schemas/ in a running process)."""
    _read_schema.cache_clear()
    _load_merged.cache_clear()
    _from_json_bytes.cache_clear()


# --------------------------------------------------------------------------- module functions

def invalid_config_message(errors: Mapping[str, list[str]]) -> str:
    """The text of Connect's 400 for an invalid connector config (AbstractHerder)."""
    messages = [m for msgs in errors.values() for m in msgs]
    return (f"Connector configuration is invalid and contains the following {len(messages)} error(s):"
            + "".join("\n" + m for m in messages)
            + "\nYou can also find the above list of errors at the endpoint "
              "`/connector-plugins/{connectorType}/config/validate`")


def mask_value_secrets(value: str) -> str:
    """``value`` with passwords embedded in URLs (JDBC ``password=`` parameters, ``user:pw@``) and
    every secret value this process knows hidden (masking.mask_text)."""
    return mask_text(value)


def mask_passwords(config: Mapping[str, Any], definition: Any = None) -> dict[str, Any]:
    """A copy of ``config`` with PASSWORD keys and secret-looking keys (``*password``, …) shown as
    [hidden], and passwords embedded in URL values (``connection.url``) hidden too. A value that
    is a ``${provider:path:key}`` reference is shown as written: it is not the secret."""
    secret = ConfigDefinition.of(definition).password_keys()
    return {
        k: (HIDDEN if v is not None and (k in secret or is_secret_key(k)) and not is_variable_reference(v)
            else mask_text(v) if isinstance(v, str) else v)
        for k, v in config.items()
    }


def sink_topics_errors(props: Mapping[str, Any]) -> dict[str, list[str]]:
    """Kafka's ``SinkConnectorConfig.validate``: exactly one of topics / topics.regex; DLQ not consumed."""
    topics, regex = props.get(TOPICS_CONFIG), props.get(TOPICS_REGEX_CONFIG)
    dlq = props.get(DLQ_TOPIC_NAME_CONFIG)
    dlq = dlq.strip() if isinstance(dlq, str) else ""
    has_topics, has_regex = not _blank(topics), not _blank(regex)
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if has_topics and has_regex:
        message = f"{TOPICS_CONFIG} and {TOPICS_REGEX_CONFIG} are mutually exclusive options, but both are set."
        add(TOPICS_CONFIG, message)
        add(TOPICS_REGEX_CONFIG, message)
    if not has_topics and not has_regex:
        message = f"Must configure one of {TOPICS_CONFIG} or {TOPICS_REGEX_CONFIG}"
        add(TOPICS_CONFIG, message)
        add(TOPICS_REGEX_CONFIG, message)
    if dlq:
        if has_topics:
            try:
                listed = list(dict.fromkeys(t for t in _coerce(topics, "LIST") if t))
            except _CoercionError:
                listed = []
            if dlq in listed:
                add(TOPICS_CONFIG, f"The DLQ topic '{dlq}' may not be included in the list of topics "
                                   f"('{TOPICS_CONFIG}={_java_str(listed)}') consumed by the connector")
        if has_regex and isinstance(regex, str):
            try:
                matched = re.fullmatch(regex, dlq) is not None
            except re.error:
                matched = False  # reported by the definition's own regex check
            if matched:
                add(TOPICS_REGEX_CONFIG, f"The DLQ topic '{dlq}' may not be matched by the regex for the topics "
                                         f"('{TOPICS_REGEX_CONFIG}={regex}') consumed by the connector")
    return errors
