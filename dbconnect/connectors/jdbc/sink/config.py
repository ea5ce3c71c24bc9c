"""The parsed JDBC sink config: typed values from schemas/jdbc-sink.json plus the cross-key rules."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any

from ....api.config import ConfigDefinition
from ....api.errors import ConfigError
from ..registry import UNSUPPORTED
from ..url import ConnectionSpec, connection_settings

INSERT, UPSERT, UPDATE = "insert", "upsert", "update"
PK_NONE, PK_KAFKA, PK_RECORD_KEY, PK_RECORD_VALUE = "none", "kafka", "record_key", "record_value"
KAFKA_PK_DEFAULTS = ("__connect_topic", "__connect_partition", "__connect_offset")
# Confluent's wording, so that tooling matching on it keeps working.
DELETE_NEEDS_RECORD_KEY = "Deletes are only supported for pk.mode record_key"
DELETE_NEEDS_RECORD_KEY_TASK = "Primary key mode must be 'record_key' when delete support is enabled"


def definition() -> ConfigDefinition:
    return ConfigDefinition.load("jdbc-sink")


@dataclass
class JdbcSinkConfig:
    raw: dict[str, Any]
    spec: ConnectionSpec | None
    family: str | None
    connector_name: str
    insert_mode: str
    pk_mode: str
    pk_fields: list[str]
    fields_whitelist: set[str]
    delete_enabled: bool
    batch_size: int
    auto_create: bool
    auto_evolve: bool
    table_name_format: str
    quote: bool
    table_types: set[str]
    replace_null_with_default: bool
    timezone: Any
    # DATE values are shifted into this zone before their day is taken (date.timezone=DB_TIMEZONE
    # with a db.timezone other than UTC, as Confluent does); None writes the day unchanged.
    date_timezone: Any
    timestamp_fields: frozenset[str]
    timestamp_nanos: bool  # timestamp.precision.mode=nanoseconds
    string_value_column: str
    # Keys set by the user that do not apply to records whose value is a plain string.
    string_value_conflicts: tuple[str, ...]
    max_retries: int
    retry_backoff_ms: int
    attempts: int
    backoff_ms: int
    exactly_once: bool
    tolerate_all: bool
    fast_path: bool = True  # fast.path.enabled: accept rows from the runtime (api/sink_rows.py)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def check(self) -> None:
        """Raise ConfigError carrying every cross-key problem (tasks call this at start)."""
        if self.errors:
            messages = [m for msgs in self.errors.values() for m in msgs]
            raise ConfigError("; ".join(dict.fromkeys(messages)), self.errors)


def _lower(value: Any) -> str:
    return value.strip().lower() if isinstance(value, str) else ""


def parse_config(props: Mapping[str, Any], *, task: bool = False) -> JdbcSinkConfig:
    """Typed config. Definition errors raise ConfigError; cross-key problems land in ``.errors``."""
    values = definition().parse(props)
    errors: dict[str, list[str]] = {}

    def err(key: str, message: str) -> None:
        bucket = errors.setdefault(key, [])
        if message not in bucket:
            bucket.append(message)

    spec, family = connection_settings(values, err)
    if family == UNSUPPORTED:
        family = None
    insert_mode = _lower(values.get("insert.mode")) or INSERT
    pk_mode = _lower(values.get("pk.mode")) or PK_NONE
    pk_fields = [f.strip() for f in values.get("pk.fields") or [] if f and f.strip()]
    delete_enabled = bool(values.get("delete.enabled"))
    if delete_enabled and pk_mode != PK_RECORD_KEY:
        message = DELETE_NEEDS_RECORD_KEY_TASK if task else DELETE_NEEDS_RECORD_KEY
        err("pk.mode", message)
        err("delete.enabled", message)
    if insert_mode in (UPSERT, UPDATE) and pk_mode == PK_NONE:
        err("insert.mode", f"insert.mode={insert_mode} needs key columns: set pk.mode to kafka, record_key "
                           "or record_value")
    if pk_mode == PK_KAFKA and pk_fields and len(pk_fields) != 3:
        err("pk.fields", "PK mode for kafka requires exactly 3 pk.fields (topic, partition and offset column "
                         f"names) or none, got {len(pk_fields)}: {', '.join(pk_fields)}")
    if pk_mode == PK_NONE and pk_fields:
        err("pk.fields", "pk.fields is set but pk.mode is none: set pk.mode to record_key or record_value")
    try:
        tz = zoneinfo.ZoneInfo(values.get("db.timezone") or "UTC")
    except Exception:
        err("db.timezone", f"Invalid value {values.get('db.timezone')} for configuration db.timezone: "
                           "Invalid time zone identifier")
        tz = zoneinfo.ZoneInfo("UTC")
    date_tz = None
    if (values.get("date.timezone") or "DB_TIMEZONE").strip().upper() == "DB_TIMEZONE" and \
            tz.key not in ("UTC", "Etc/UTC"):
        date_tz = tz
    timestamp_fields = frozenset(f.strip() for f in values.get("timestamp.fields.list") or [] if f and f.strip())
    fields_whitelist = {f.strip() for f in values.get("fields.whitelist") or [] if f and f.strip()}
    conflicts = tuple(k for k, present in (
        ("fields.whitelist", bool(fields_whitelist)), ("timestamp.fields.list", bool(timestamp_fields)),
        ("timestamp.precision.mode", props.get("timestamp.precision.mode") not in (None, ""))) if present)
    fmt = values.get("table.name.format") or "${topic}"
    if "\x00" in fmt:
        err("table.name.format", "table.name.format must not contain NUL characters")
    return JdbcSinkConfig(
        raw=dict(props), spec=spec, family=family, connector_name=str(props.get("name") or "jdbc-sink"),
        insert_mode=insert_mode, pk_mode=pk_mode, pk_fields=pk_fields,
        fields_whitelist=fields_whitelist,
        delete_enabled=delete_enabled, batch_size=int(values["batch.size"]),
        auto_create=bool(values.get("auto.create")), auto_evolve=bool(values.get("auto.evolve")),
        table_name_format=fmt, quote=_lower(values.get("quote.sql.identifiers")) != "never",
        table_types={t.strip().upper() for t in values.get("table.types") or ["TABLE"]},
        replace_null_with_default=bool(values.get("replace.null.with.default")), timezone=tz,
        date_timezone=date_tz, timestamp_fields=timestamp_fields,
        timestamp_nanos=_lower(values.get("timestamp.precision.mode")) == "nanoseconds",
        string_value_column=(values.get("string.output.value.column.name") or "record_value").strip() or "record_value",
        string_value_conflicts=conflicts,
        max_retries=int(values["max.retries"]), retry_backoff_ms=int(values["retry.backoff.ms"]),
        attempts=int(values["connection.attempts"]), backoff_ms=int(values["connection.backoff.ms"]),
        exactly_once=bool(values.get("exactly.once.enabled")),
        tolerate_all=_lower(props.get("errors.tolerance")) == "all", errors=errors,
        fast_path=bool(values.get("fast.path.enabled", True)),
    )
