"""Reading Java ``.properties`` files and connector JSON files the way Kafka's scripts do."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import orjson

from ..api.errors import ConfigError

log = logging.getLogger(__name__)

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_SEPARATOR = re.compile(r"(?<!\\)[=:]|(?<!\\)\s")


def parse_properties(text: str, strip_inline_comments: bool = True) -> dict[str, str]:
    """Parse java.util.Properties text: comments, ``=``/``:``/space separators, continuations.

    Tutorials often annotate values with a trailing `` # comment``. Java keeps that text as
    part of the value and then fails on it; we drop it (whitespace, ``#``, rest of line) and
    log that we did, so a file copied from a tutorial works unchanged. ``strip_inline_comments=False``
    keeps Java's reading exactly (a secrets file read by FileConfigProvider: `` #`` may be in a password).
    """
    props: dict[str, str] = {}
    logical: list[str] = []
    for raw in text.splitlines():
        line = raw.lstrip()
        if not logical and (not line or line[0] in "#!"):
            continue
        # A line ending in an odd number of backslashes continues on the next line.
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:
            logical.append(line[:-1])
            continue
        logical.append(line)
        key, value = _split_entry("".join(logical))
        logical = []
        props[key] = _strip_inline_comment(key, value) if strip_inline_comments else value
    if logical:
        key, value = _split_entry("".join(logical))
        props[key] = value
    return props


_INLINE_COMMENT = re.compile(r"\s+#.*$")


def _strip_inline_comment(key: str, value: str) -> str:
    stripped = _INLINE_COMMENT.sub("", value)
    if stripped != value:
        log.warning("Ignoring the inline comment after the value of %s", key)
    return stripped


def _split_entry(line: str) -> tuple[str, str]:
    match = _SEPARATOR.search(line)
    if not match:
        return _unescape(line), ""
    key = line[: match.start()]
    rest = line[match.end():].lstrip()
    if match.group().isspace() and rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip()
    return _unescape(key), _unescape(rest)


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "u" and i + 5 < len(text):
                out.append(chr(int(text[i + 2: i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def load_properties(path: str | Path) -> dict[str, str]:
    try:
        return parse_properties(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"Could not read {path}: {exc.strerror or exc}") from exc


def stringify_config(config: Any, where: str) -> dict[str, str]:
    """Connect configs are string maps; JSON numbers and booleans become their string form."""
    if not isinstance(config, dict):
        raise ConfigError(f"{where}: the connector config must be a JSON object")
    out: dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (int, float, str)):
            out[key] = str(value)
        elif value is None:
            continue
        else:
            raise ConfigError(f"{where}: the value of {key!r} must be a string, number or boolean")
    return out


def load_connector_file(path: str | Path) -> tuple[str, dict[str, str], str | None]:
    """A connector file: ``.properties``, or JSON shaped as the ``POST /connectors`` body
    (``{"name", "config", "initial_state"}``) or as a flat config map.

    Returns ``(name, config, initial_state)``.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        try:
            doc = orjson.loads(path.read_bytes())
        except OSError as exc:
            raise ConfigError(f"Could not read {path}: {exc.strerror or exc}") from exc
        except orjson.JSONDecodeError as exc:
            raise ConfigError(f"{path} is not valid JSON: {exc}") from exc
        if isinstance(doc, dict) and isinstance(doc.get("config"), dict):
            config = stringify_config(doc["config"], str(path))
            name = doc.get("name") or config.get("name")
            initial_state = doc.get("initial_state")
        else:
            config = stringify_config(doc, str(path))
            name, initial_state = config.get("name"), None
    else:
        config = load_properties(path)
        name, initial_state = config.get("name"), None
    if not name:
        raise ConfigError(f"{path}: the connector has no name")
    config.setdefault("name", name)
    return name, config, initial_state


ENV_PREFIX = "CONNECT_"


def env_to_property(name: str) -> str:
    """``CONNECT_VALUE_CONVERTER_SCHEMA_REGISTRY_URL`` → ``value.converter.schema.registry.url``.

    The Confluent images' rule: strip the prefix, lower-case, ``___`` → ``-``, ``__`` → ``_``,
    ``_`` → ``.``.
    """
    key = name[len(ENV_PREFIX):].lower()
    return key.replace("___", "\0").replace("__", "\1").replace("_", ".").replace("\0", "-").replace("\1", "_")


# Variables of the Confluent image that configure the container, not the worker.
_ENV_NOT_WORKER = {"CONNECT_LOG4J_LOGGERS", "CONNECT_LOG4J_ROOT_LOGLEVEL", "CONNECT_LOG4J_APPENDER_STDOUT_LAYOUT_CONVERSIONPATTERN"}


def properties_from_env(environ: dict[str, str]) -> dict[str, str]:
    """Worker settings given as ``CONNECT_*`` environment variables (docker-compose files)."""
    return {
        env_to_property(name): value
        for name, value in environ.items()
        if name.startswith(ENV_PREFIX) and name not in _ENV_NOT_WORKER and len(name) > len(ENV_PREFIX)
    }
