"""The parsed JDBC source config: typed values from schemas/jdbc-source.json plus cross-key rules."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any

from ...api.config import ConfigDefinition
from .types import GRANULARITIES
from .registry import UNSUPPORTED
from .url import ConnectionSpec, connection_settings

BULK, INCREMENTING, TIMESTAMP, TIMESTAMP_INCREMENTING = "bulk", "incrementing", "timestamp", "timestamp+incrementing"
MODES = (BULK, TIMESTAMP, INCREMENTING, TIMESTAMP_INCREMENTING)
# The task config key carrying a task's tables (JSON), as Confluent's "tables".
TABLES_KEY = "tables"


def definition() -> ConfigDefinition:
    return ConfigDefinition.load("jdbc-source")


@dataclass
class JdbcSourceConfig:
    raw: dict[str, Any]
    spec: ConnectionSpec | None
    family: str | None
    mode: str
    incrementing_column: str
    timestamp_columns: list[str]
    timestamp_initial: int | None
    delay_ms: int
    validate_non_null: bool
    query: str
    query_suffix: str
    quote: bool
    isolation: str
    whitelist: list[str]
    blacklist: list[str]
    include: list[re.Pattern]
    exclude: list[re.Pattern]
    catalog_pattern: str | None
    schema_pattern: str | None
    table_types: list[str]
    poll_interval_ms: int
    batch_max_rows: int
    table_poll_interval_ms: int
    topic_prefix: str
    timezone: zoneinfo.ZoneInfo | Any
    numeric_mapping: str
    key_mode: str
    key_columns: list[str]
    attempts: int
    backoff_ms: int
    timestamp_granularity: str
    # timestamp.columns.mapping / incrementing.column.mapping: (full-match regex, columns), in order.
    timestamp_mapping: list[tuple[re.Pattern, list[str]]] = field(default_factory=list)
    incrementing_mapping: list[tuple[re.Pattern, str]] = field(default_factory=list)
    soft_delete_column: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    # validate refuses a role that cannot see other sessions' open transactions unless this is false.
    visibility_required: bool = True

    @property
    def uses_timestamp(self) -> bool:
        return self.mode in (TIMESTAMP, TIMESTAMP_INCREMENTING)

    @property
    def uses_incrementing(self) -> bool:
        return self.mode in (INCREMENTING, TIMESTAMP_INCREMENTING)

    @property
    def query_mode(self) -> bool:
        return bool(self.query)

    def timestamp_columns_for(self, table: Any) -> list[str] | None:
        """The timestamp columns of ``table`` (a TableId, or None in query mode): from the first
        timestamp.columns.mapping entry whose regex matches its fqn() when that key is set, else
        timestamp.column.name. None: the mapping is set and no entry matches."""
        if not self.timestamp_mapping or table is None:
            return list(self.timestamp_columns)
        name = table.fqn()
        return next((list(cols) for pattern, cols in self.timestamp_mapping if pattern.fullmatch(name)), None)

    def incrementing_column_for(self, table: Any) -> str:
        """The incrementing column of ``table``: from the first incrementing.column.mapping entry
        matching its fqn() when that key is set, else incrementing.column.name; "" = auto-detect."""
        if not self.incrementing_mapping or table is None:
            return self.incrementing_column
        name = table.fqn()
        return next((col for pattern, col in self.incrementing_mapping if pattern.fullmatch(name)), "")


def _lower(value: Any) -> str:
    return (value or "").strip().lower() if isinstance(value, str) else ""


def parse_config(props: Mapping[str, Any], *, strict: bool = True) -> JdbcSourceConfig:
    """Typed config; cross-key problems go to ``.errors`` ({key: [message]}).

    With ``strict`` a definition error raises ConfigError (tasks); validate() passes False
    after the definition's own checks have passed.
    """
    values = definition().parse(props) if strict else {**{k: v.default for k, v in definition().keys.items()},
                                                        **definition().parse(props)}
    errors: dict[str, list[str]] = {}

    def err(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    spec, family = connection_settings(values, err)
    mode = values.get("mode") or ""
    if not mode:
        err("mode", "Invalid value  for configuration mode: String must be one of: bulk, timestamp, "
                    "incrementing, timestamp+incrementing")
    ts_cols = [c for c in (values.get("timestamp.column.name") or []) if c]
    inc_col = (values.get("incrementing.column.name") or "").strip()
    ts_mapping = _column_mapping(values.get("timestamp.columns.mapping"), "timestamp.columns.mapping", True, err)
    inc_mapping = _column_mapping(values.get("incrementing.column.mapping"), "incrementing.column.mapping", False, err)
    ts_mapping_set = any(e.strip() for e in values.get("timestamp.columns.mapping") or [])
    inc_mapping_set = any(e.strip() for e in values.get("incrementing.column.mapping") or [])
    # Confluent's JdbcSourceConnectorValidation messages, reported on both keys.
    if ts_cols and ts_mapping_set:
        for key in ("timestamp.column.name", "timestamp.columns.mapping"):
            err(key, "Cannot use both timestamp.column.name and timestamp.columns.mapping. "
                     "Use timestamp.columns.mapping for new implementations.")
    if inc_col and inc_mapping_set:
        for key in ("incrementing.column.name", "incrementing.column.mapping"):
            err(key, "Cannot use both incrementing.column.name and incrementing.column.mapping. "
                     "Use incrementing.column.mapping for new implementations.")
    if mode in (TIMESTAMP, TIMESTAMP_INCREMENTING) and not ts_cols and not ts_mapping_set:
        err("timestamp.column.name", f"timestamp.column.name must be set when mode is {mode}")
    whitelist = [t for t in values.get("table.whitelist") or [] if t]
    blacklist = [t for t in values.get("table.blacklist") or [] if t]
    include_raw = [t for t in values.get("table.include.list") or [] if t]
    exclude_raw = [t for t in values.get("table.exclude.list") or [] if t]
    if whitelist and blacklist:
        for key in ("table.whitelist", "table.blacklist"):
            err(key, "table.whitelist and table.blacklist are mutually exclusive; set only one")
    if (whitelist or blacklist) and (include_raw or exclude_raw):
        err("table.include.list", "table.include.list/table.exclude.list cannot be combined with "
                                  "table.whitelist/table.blacklist")
    if exclude_raw and not include_raw:
        err("table.exclude.list", "table.exclude.list requires table.include.list")
    include, exclude = [], []
    for key, raw, out in (("table.include.list", include_raw, include), ("table.exclude.list", exclude_raw, exclude)):
        for pattern in raw:
            try:
                out.append(re.compile(pattern))
            except re.error as exc:
                err(key, f"Invalid regex {pattern!r}: {exc}")
    query = (values.get("query") or "").strip()
    if query and (whitelist or blacklist or include_raw or exclude_raw):
        err("query", "Do not specify table filtering (table.whitelist/blacklist/include.list/exclude.list) "
                     "together with query")
    for key, used in (("timestamp.columns.mapping", ts_mapping_set), ("incrementing.column.mapping", inc_mapping_set)):
        if not used:
            continue
        if whitelist or blacklist:
            legacy = "table.whitelist" if whitelist else "table.blacklist"
            message = (f"Cannot use legacy table filtering ({legacy}) with new column mapping ({key}); "
                       "use table.include.list")
            err(legacy, message)
            err(key, message)
        elif not include_raw:
            err(key, f"{key} applies to the tables selected by table.include.list; set table.include.list"
                     + (" (query mode has no tables)" if query else ""))
    try:
        tz = zoneinfo.ZoneInfo(values.get("db.timezone") or "UTC")
    except Exception:
        err("db.timezone", f"Invalid value {values.get('db.timezone')} for configuration db.timezone: "
                           "Invalid time zone identifier")
        tz = zoneinfo.ZoneInfo("UTC")
    mapping = _lower(values.get("numeric.mapping")) or ("precision_only" if values.get("numeric.precision.mapping")
                                                        else "none")
    granularity = _lower(values.get("timestamp.granularity")) or "connect_logical"
    if granularity not in GRANULARITIES:
        err("timestamp.granularity", f"Invalid value {values.get('timestamp.granularity')} for configuration "
                                     f"timestamp.granularity: String must be one of: {', '.join(GRANULARITIES)}")
    soft_delete = (values.get("soft.delete.column.name") or "").strip()
    if soft_delete and _lower(values.get("key.mode")) == "none":
        err("soft.delete.column.name", "soft.delete.column.name publishes deleted rows as tombstones, which need "
                                       "record keys: remove key.mode=none")
    return JdbcSourceConfig(
        raw=dict(props), spec=spec, family=family if family != UNSUPPORTED else None, mode=mode,
        incrementing_column=inc_col,
        timestamp_columns=ts_cols, timestamp_initial=values.get("timestamp.initial"),
        delay_ms=int(values.get("timestamp.delay.interval.ms") or 0),
        validate_non_null=bool(values.get("validate.non.null")), query=query,
        query_suffix=(values.get("query.suffix") or "").strip(),
        quote=_lower(values.get("quote.sql.identifiers")) != "never",
        isolation=(values.get("transaction.isolation.mode") or "DEFAULT").upper(),
        whitelist=whitelist, blacklist=blacklist, include=include, exclude=exclude,
        catalog_pattern=values.get("catalog.pattern"), schema_pattern=values.get("schema.pattern"),
        table_types=[t.upper() for t in values.get("table.types") or ["TABLE"]],
        poll_interval_ms=int(values["poll.interval.ms"]), batch_max_rows=int(values["batch.max.rows"]),
        table_poll_interval_ms=int(values["table.poll.interval.ms"]), topic_prefix=values.get("topic.prefix") or "",
        timezone=tz, numeric_mapping=mapping, key_mode=_lower(values.get("key.mode")) or "primary_key",
        key_columns=[c for c in values.get("key.columns") or [] if c],
        attempts=int(values["connection.attempts"]), backoff_ms=int(values["connection.backoff.ms"]),
        timestamp_granularity=granularity, timestamp_mapping=ts_mapping, incrementing_mapping=inc_mapping,
        soft_delete_column=soft_delete, errors=errors,
        visibility_required=values.get("open.transactions.visibility.required") is not False,
    )


def _column_mapping(entries: Any, key: str, bracketed: bool, err: Any) -> list[tuple[re.Pattern, Any]]:
    """Parse ``<regex>:[c1|c2]`` (timestamp.columns.mapping) or ``<regex>:<col>``
    (incrementing.column.mapping) entries as Confluent does: split at the first ":", regex and
    columns trimmed; the regex must match a table's whole unquoted fully-qualified name."""
    out: list[tuple[re.Pattern, Any]] = []
    shape = "<table regex>:[column1|column2|...]" if bracketed else "<table regex>:<column>"
    for entry in entries or []:
        entry = entry.strip()
        if not entry:
            continue
        regex, sep, rest = entry.partition(":")
        regex, rest = regex.strip(), rest.strip()
        if bracketed:
            ok = len(rest) >= 2 and rest[0] == "[" and rest[-1] == "]"
            value: Any = [c.strip() for c in rest[1:-1].split("|")] if ok else []
            ok = ok and all(value)
        else:
            value = rest
            ok = bool(rest)
        if not sep or not regex or not ok:
            err(key, f"Invalid {key} entry {entry!r}: expected {shape}")
            continue
        try:
            out.append((re.compile(regex), value))
        except re.error as exc:
            err(key, f"Invalid regex {regex!r} in {key} entry {entry!r}: {exc}")
    return out
