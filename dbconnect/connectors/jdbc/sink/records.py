"""SinkRecord → destination table, columns and row values (pk modes, fields.whitelist, defaults).

A ``Layout`` is computed once per (topic, key schema, value schema) — or per key set for
schemaless maps — and turns a record into ``(key, row)`` with a few C-level ``itemgetter``
calls: this is the per-record hot path of the connector. Values stay Connect values here
(Struct, Decimal, aware datetime, list, dict); the writer adapts them to its column types.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass
from operator import itemgetter
from collections.abc import Callable, Sequence
from typing import Any

from ....api.data import (
    BOOLEAN_SCHEMA, FLOAT64_SCHEMA, INT32_SCHEMA, INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, Schema, Struct,
    Timestamp, Type,
)
from ....api.errors import DataError
from ....api.records import SinkRecord
from ..dialect import TableId
from .config import KAFKA_PK_DEFAULTS, PK_KAFKA, PK_NONE, PK_RECORD_KEY, PK_RECORD_VALUE, JdbcSinkConfig

_TOPIC_PLACEHOLDER = "${topic}"


class RecordError(DataError):
    """A record that cannot be written as it is (missing key fields, wrong shape): never retried."""


@dataclass(frozen=True)
class SinkField:
    """One destination column: its name, its Connect schema (None when schemaless), key or not."""

    name: str
    schema: Schema | None
    is_key: bool
    # A timestamp.fields.list field: microsecond values (MariaDB creates DATETIME(6), not DATETIME(3)).
    precise: bool = False


@dataclass(frozen=True, eq=False)  # identity hash: layouts are cached and looked up per record
class Layout:
    """How records of one shape map onto columns: key columns first, then value columns."""

    fields: tuple[SinkField, ...]
    key_count: int
    extract: Callable[[SinkRecord], tuple[Any, tuple]]  # → (key tuple or None, row tuple)
    extract_key: Callable[[SinkRecord], tuple]  # tombstones: the key only
    schemaless: bool = False
    # The sink fast path (api/sink_rows.py): (key, value, topic, partition, offset) → what
    # ``extract`` gives for the record they came from; ``key`` and ``value`` are the structs'
    # values lists (a primitive key as it is). None: this layout needs SinkRecords.
    extract_values: Callable[[Any, Any, str, int, int], tuple[Any, tuple]] | None = None
    # When ``extract_values`` is a plain selection — key = the key struct's fields at the first
    # indices, row = key + the value struct's fields at the second (no defaults, no conversions) —
    # those indices: the runtime may then decode rows projected to them (api/sink_rows.py).
    row_fields: tuple[tuple[int, ...], tuple[int, ...]] | None = None

    @property
    def key_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields[: self.key_count])

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


def table_id_for(fmt: str, topic: str) -> TableId:
    """``table.name.format`` → TableId. Dots of the *format* separate schema and table; the topic is
    substituted inside one part, so a topic's dots, quotes or semicolons stay inside one identifier
    (quoted later by the writer) and can never select another schema or end the statement."""
    parts = [p.replace(_TOPIC_PLACEHOLDER, topic) for p in fmt.split(".")]
    if any(not p for p in parts) or len(parts) > 2:
        raise RecordError(f"table.name.format {fmt!r} gives an invalid table name for topic {topic!r}: use "
                          "'[schema.]name' where name may contain ${topic}")
    if any("\x00" in p for p in parts):
        raise RecordError(f"Topic {topic!r} gives a table name containing a NUL character")
    return TableId(None, parts[0] if len(parts) == 2 else None, parts[-1])


def _getter(indices: Sequence[int]) -> Callable[[Sequence[Any]], tuple]:
    """``itemgetter`` that always returns a tuple (it returns a bare item for one index)."""
    if not indices:
        return lambda values: ()
    if len(indices) == 1:
        i = indices[0]
        return lambda values: (values[i],)
    return itemgetter(*indices)


def _with_defaults(get: Callable[[Any], tuple], fields: Sequence[SinkField], offset: int,
                   enabled: bool) -> Callable[[Any], tuple]:
    """Wrap ``get`` so that None becomes the field's default (replace.null.with.default)."""
    defaults = [(i, f.schema.default) for i, f in enumerate(fields)
                if enabled and f.schema is not None and f.schema.default is not None]
    if not defaults:
        return get

    def get_with_defaults(values: Any) -> tuple:
        row = get(values)
        if None in row:
            row = list(row)
            for i, default in defaults:
                if row[i] is None:
                    row[i] = default
            row = tuple(row)
        return row

    return get_with_defaults


def _converting(get: Callable[[Any], tuple], fields: Sequence[SinkField], names: Any,
                convert: Callable[[Any], Any]) -> Callable[[Any], tuple]:
    """Wrap ``get`` so that the values of ``fields`` named in ``names`` go through ``convert``."""
    positions = [i for i, f in enumerate(fields) if f.name in names]
    if not positions:
        return get

    def get_converted(values: Any) -> tuple:
        row = list(get(values))
        for i in positions:
            if row[i] is not None:
                row[i] = convert(row[i])
        return tuple(row)

    return get_converted


def _infer_schema(value: Any) -> Schema | None:
    """The schema of a schemaless primitive key (only used to create its column)."""
    if isinstance(value, bool):
        return BOOLEAN_SCHEMA
    if isinstance(value, int):
        return INT64_SCHEMA
    if isinstance(value, float):
        return FLOAT64_SCHEMA
    if isinstance(value, str):
        return STRING_SCHEMA
    return None


def _coordinates(record: SinkRecord) -> tuple:
    return (record.topic, record.kafka_partition, record.kafka_offset)


def where(record: SinkRecord) -> str:
    return f"(topic='{record.topic}',partition={record.kafka_partition},offset={record.kafka_offset})"


class RecordMapper:
    """Caches tables per topic and layouts per record shape."""

    def __init__(self, cfg: JdbcSinkConfig) -> None:
        self.cfg = cfg
        self._tables: dict[str, TableId] = {}
        self._layouts: dict[tuple, Layout] = {}
        self._kafka_names = tuple(cfg.pk_fields) if cfg.pk_mode == PK_KAFKA and cfg.pk_fields else KAFKA_PK_DEFAULTS
        self._to_timestamp = timestamp_converter(cfg.timestamp_nanos, cfg.timezone)

    def table_for(self, topic: str) -> TableId:
        table = self._tables.get(topic)
        if table is None:
            table = self._tables[topic] = table_id_for(self.cfg.table_name_format, topic)
        return table

    # -- layouts ---------------------------------------------------------------------------------
    def layout_for(self, record: SinkRecord) -> Layout:
        value = record.value
        if value is None:
            shape: Any = None
        elif record.value_schema is not None:
            shape = record.value_schema
        elif isinstance(value, dict):
            shape = tuple(value)
        elif isinstance(value, str):
            shape = str  # a schemaless string: written to string.output.value.column.name
        else:
            raise RecordError(f"Record {where(record)} has a schemaless {type(value).__name__} value: the sink "
                              "needs a struct (with a schema), a string, or a JSON object (a map, written to an "
                              "existing table)")
        key = record.key
        key_shape = record.key_schema if record.key_schema is not None else (
            tuple(key) if isinstance(key, dict) else type(key))
        cache_key = (record.topic, key_shape, shape)
        layout = self._layouts.get(cache_key)
        if layout is None:
            layout = self._layouts[cache_key] = self._build(record)
        return layout

    def _key_part(self, record: SinkRecord) -> tuple[list[SinkField], Callable[[SinkRecord], tuple]]:
        """Key columns taken from the Kafka coordinates or the record key (not record_value)."""
        fields, key_fn, _ = self._key_parts(record)
        return fields, key_fn

    def _key_parts(self, record: SinkRecord) -> tuple[list[SinkField], Callable[[SinkRecord], tuple], Any]:
        """``_key_part`` plus the key function of the fast path (key values, topic, partition,
        offset → key tuple), or None where it needs SinkRecords (schemaless keys)."""
        cfg = self.cfg
        if cfg.pk_mode == PK_KAFKA:
            schemas = (STRING_SCHEMA, INT32_SCHEMA, INT64_SCHEMA)
            return ([SinkField(n, s, True) for n, s in zip(self._kafka_names, schemas)], _coordinates,
                    lambda k, t, p, o: (t, p, o))
        if cfg.pk_mode != PK_RECORD_KEY:
            return [], lambda r: (), lambda k, t, p, o: ()
        schema, key = record.key_schema, record.key
        if key is None:
            raise RecordError(f"Record {where(record)} has a null key but pk.mode is record_key")
        if schema is not None and schema.type is Type.STRUCT:
            names = cfg.pk_fields or list(schema.field_names)
            missing = [n for n in names if schema.field(n) is None]
            if missing:
                raise RecordError(f"PK mode for record_key: the key of record {where(record)} has no field(s) "
                                  f"{', '.join(missing)} (key fields: {', '.join(schema.field_names)})")
            get = _getter([schema.field(n).index for n in names])
            fields = [SinkField(n, schema.field(n).schema, True) for n in names]
            return fields, lambda r: get(r.key.values), lambda k, t, p, o: get(k)
        if schema is None and isinstance(key, dict):
            names = cfg.pk_fields or list(key)
            missing = [n for n in names if n not in key]
            if missing:
                raise RecordError(f"PK mode for record_key: the key of record {where(record)} has no field(s) "
                                  f"{', '.join(missing)}")
            fields = [SinkField(n, _infer_schema(key[n]), True) for n in names]
            return fields, lambda r: tuple(r.key.get(n) for n in names), None
        if schema is not None and not schema.type.is_primitive:
            raise RecordError(f"PK mode for record_key needs a primitive or struct key, got {schema.type} "
                              f"in record {where(record)}")
        if len(cfg.pk_fields) != 1:
            raise RecordError("Need exactly one PK column defined since the key schema for records is a primitive "
                              f"type, defined columns are: [{', '.join(cfg.pk_fields)}]")
        key_values = (lambda k, t, p, o: (k,)) if schema is not None else None
        return [SinkField(cfg.pk_fields[0], schema or _infer_schema(key), True)], lambda r: (r.key,), key_values

    def _build(self, record: SinkRecord) -> Layout:
        cfg = self.cfg
        key_fields, key_fn, key_values = self._key_parts(record)
        value, schema = record.value, record.value_schema
        replace = cfg.replace_null_with_default
        whitelist = cfg.fields_whitelist

        if value is None:  # a tombstone: only the key matters
            return Layout(tuple(key_fields), len(key_fields), lambda r: (key_fn(r), ()), key_fn)

        if (schema is None and isinstance(value, str)) or (schema is not None and schema.type is Type.STRING):
            return self._string_layout(record, key_fields, key_fn)
        ts_names: set[str] = set()
        if schema is not None:
            if schema.type is not Type.STRUCT:
                raise RecordError(f"Value schema must be of type Struct or String, got {schema.type} in record "
                                  f"{where(record)}")
            all_names = list(schema.field_names)
            field_schema = {n: schema.field(n).schema for n in all_names}
            index = {n: schema.field(n).index for n in all_names}
            for n in cfg.timestamp_fields:
                s = field_schema.get(n)
                if s is not None and s.name is None and s.type in (Type.INT64, Type.STRING):
                    field_schema[n] = self._timestamp_schema(s)
                    ts_names.add(n)
        else:
            all_names = list(value)
            field_schema = {n: None for n in all_names}
            index = {}

        if cfg.pk_mode == PK_RECORD_VALUE:
            names = cfg.pk_fields or all_names
            missing = [n for n in names if n not in field_schema]
            if missing:
                raise RecordError(f"PK mode for record_value: the value of record {where(record)} has no field(s) "
                                  f"{', '.join(missing)} (fields: {', '.join(all_names)})")
            key_fields = [SinkField(n, field_schema[n], True) for n in names]
        key_names = {f.name for f in key_fields}
        rest = [n for n in all_names if n not in key_names and (not whitelist or n in whitelist)]
        value_fields = [SinkField(n, field_schema[n], False, n in ts_names) for n in rest]
        if ts_names and cfg.pk_mode == PK_RECORD_VALUE:
            key_fields = [SinkField(f.name, f.schema, True, f.name in ts_names) for f in key_fields]
        fields = key_fields + value_fields
        nk = len(key_fields)
        to_ts = self._to_timestamp
        row_fields = None

        if schema is not None:
            if cfg.pk_mode == PK_RECORD_VALUE:
                get = _with_defaults(_getter([index[f.name] for f in fields]), fields, 0, replace)
                get = _converting(get, fields, ts_names, to_ts)

                def extract(r: SinkRecord) -> tuple[Any, tuple]:
                    row = get(r.value.values)
                    return row[:nk], row

                def extract_values(k: Any, v: Any, t: str, p: int, o: int) -> tuple[Any, tuple]:
                    row = get(v)
                    return row[:nk], row
            elif cfg.pk_mode == PK_NONE:
                get = _with_defaults(_getter([index[n] for n in rest]), value_fields, 0, replace)
                get = _converting(get, value_fields, ts_names, to_ts)

                def extract(r: SinkRecord) -> tuple[Any, tuple]:
                    return None, get(r.value.values)

                def extract_values(k: Any, v: Any, t: str, p: int, o: int) -> tuple[Any, tuple]:
                    return None, get(v)
            else:
                selection = _getter([index[n] for n in rest])
                get = _with_defaults(selection, value_fields, 0, replace)
                get = _converting(get, value_fields, ts_names, to_ts)

                def extract(r: SinkRecord) -> tuple[Any, tuple]:
                    key = key_fn(r)
                    return key, key + get(r.value.values)

                key_schema = record.key_schema
                if (cfg.pk_mode == PK_RECORD_KEY and key_schema is not None and key_schema.type is Type.STRUCT
                        and len(key_fields) == 1):
                    # One key field (the usual {id} key): its value taken inline, two calls fewer per row.
                    i = key_schema.field(key_fields[0].name).index
                    if get is selection:
                        row_fields = ((i,), tuple(index[n] for n in rest))

                    def extract_values(k: Any, v: Any, t: str, p: int, o: int) -> tuple[Any, tuple]:
                        key = (k[i],)
                        return key, key + get(v)
                elif key_values is not None:
                    if (get is selection and cfg.pk_mode == PK_RECORD_KEY and key_schema is not None
                            and key_schema.type is Type.STRUCT):
                        row_fields = (tuple(key_schema.field(f.name).index for f in key_fields),
                                      tuple(index[n] for n in rest))

                    def extract_values(k: Any, v: Any, t: str, p: int, o: int) -> tuple[Any, tuple]:
                        key = key_values(k, t, p, o)
                        return key, key + get(v)
                else:
                    extract_values = None
        else:
            extract_values = None
            value_names = [f.name for f in fields[nk:]] if cfg.pk_mode != PK_RECORD_VALUE else [f.name for f in fields]
            prefix = cfg.pk_mode in (PK_KAFKA, PK_RECORD_KEY)
            # Listed fields of a schemaless map: epoch numbers and ISO text become timestamps.
            listed = [i for i, n in enumerate(value_names) if n in cfg.timestamp_fields]

            def extract(r: SinkRecord) -> tuple[Any, tuple]:
                get = r.value.get
                row = tuple(get(n) for n in value_names)
                if listed:
                    row = list(row)
                    for i in listed:
                        v = row[i]
                        if isinstance(v, (int, str)) and not isinstance(v, bool):
                            row[i] = to_ts(v)
                    row = tuple(row)
                if prefix:
                    key = key_fn(r)
                    return key, key + row
                return (row[:nk] if nk else None), row

        if cfg.pk_mode == PK_RECORD_VALUE:
            def extract_key(r: SinkRecord) -> tuple:
                return extract(r)[0]
        else:
            extract_key = key_fn
        return Layout(tuple(fields), nk, extract, extract_key, schemaless=schema is None,
                      extract_values=extract_values, row_fields=row_fields)

    def _timestamp_schema(self, schema: Schema) -> Schema:
        """The Timestamp schema a timestamp.fields.list field is written with (its default converted)."""
        builder = Timestamp.builder()
        if schema.optional:
            builder.optional()
        if schema.default is not None:
            try:
                builder.default_value(self._to_timestamp(schema.default))
            except Exception:  # noqa: BLE001 — a default that is no timestamp is dropped, not fatal
                pass
        return builder.build()

    def _string_layout(self, record: SinkRecord, key_fields: list[SinkField],
                       key_fn: Callable[[SinkRecord], tuple]) -> Layout:
        """A plain string value: one column, string.output.value.column.name, after the key columns."""
        cfg = self.cfg
        if cfg.string_value_conflicts:
            raise RecordError(f"Record {where(record)} has a String value: {', '.join(cfg.string_value_conflicts)} "
                              f"{'is' if len(cfg.string_value_conflicts) == 1 else 'are'} not applicable to String "
                              "values")
        if cfg.pk_mode == PK_RECORD_VALUE:
            raise RecordError(f"PK mode for record_value needs a struct value, but record {where(record)} has a "
                              "String value (use pk.mode record_key, kafka or none)")
        column = SinkField(cfg.string_value_column, record.value_schema or OPTIONAL_STRING_SCHEMA, False)
        fields = tuple(key_fields) + (column,)
        nk = len(key_fields)
        if cfg.pk_mode == PK_NONE:
            def extract(r: SinkRecord) -> tuple[Any, tuple]:
                return None, (r.value,)
        else:
            def extract(r: SinkRecord) -> tuple[Any, tuple]:
                key = key_fn(r)
                return key, key + (r.value,)
        return Layout(fields, nk, extract, key_fn, schemaless=False)


# -- JSON for nested values (struct/map/array columns) -----------------------------------------------

def json_default(value: Any) -> Any:
    """orjson ``default``: Connect values orjson does not know natively."""
    if isinstance(value, Struct):
        return value.to_dict()
    if isinstance(value, decimal.Decimal):
        return float(value) if not value.is_finite() else _fragment(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        import base64

        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def _fragment(value: decimal.Decimal) -> Any:
    import orjson

    # An exact JSON number (orjson would otherwise need float(), which rounds).
    return orjson.Fragment(str(value))


def to_json_text(value: Any) -> str:
    """Struct/map/array (or any value) → JSON text for a json/jsonb/JSON column."""
    import orjson

    if isinstance(value, str):
        return value  # already JSON text (a string field written into a JSON column)
    option = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
    return orjson.dumps(value, default=json_default, option=option).decode()


# -- value coercion for columns whose type differs from the value's (schemaless, existing tables) -------

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_EPOCH_DATE = dt.date(1970, 1, 1)
_ISO_Z = re.compile(r"Z$")


def parse_instant(value: Any) -> dt.datetime:
    """ISO-8601 text, epoch milliseconds or a datetime/date → aware datetime (naive means UTC)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _EPOCH + dt.timedelta(milliseconds=value)
    if isinstance(value, str):
        parsed = dt.datetime.fromisoformat(_ISO_Z.sub("+00:00", value.strip()))
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.timezone.utc)
    raise DataError(f"Cannot convert {type(value).__name__} {value!r} to a timestamp")


_EXCESS_FRACTION = re.compile(r"(\.\d{6})\d+")


def timestamp_converter(nanos: bool, tz: Any) -> Callable[[Any], dt.datetime]:
    """timestamp.fields.list values → aware datetime: INT64 epoch micros (or nanos, truncated to the
    microsecond), ISO-8601 text (without an offset: wall clock in ``tz``, db.timezone)."""
    def convert(value: Any) -> dt.datetime:
        if isinstance(value, int) and not isinstance(value, bool):
            return _EPOCH + dt.timedelta(microseconds=value // 1000 if nanos else value)
        if isinstance(value, str):
            text = _EXCESS_FRACTION.sub(r"\1", _ISO_Z.sub("+00:00", value.strip()))
            try:
                parsed = dt.datetime.fromisoformat(text)
            except ValueError:
                raise DataError(f"Cannot convert {value!r} to a timestamp: not an ISO-8601 timestamp") from None
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)
        if isinstance(value, dt.datetime):
            return value if value.tzinfo is not None else value.replace(tzinfo=tz)
        raise DataError(f"Cannot convert {type(value).__name__} {value!r} to a timestamp")
    return convert


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return _EPOCH_DATE + dt.timedelta(days=value)
    if isinstance(value, str):
        return dt.date.fromisoformat(value.strip()[:10])
    raise DataError(f"Cannot convert {type(value).__name__} {value!r} to a date")


def parse_time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, int) and not isinstance(value, bool):
        seconds, ms = divmod(value, 1000)
        minutes, second = divmod(seconds, 60)
        return dt.time(minutes // 60 % 24, minutes % 60, second, ms * 1000)
    if isinstance(value, str):
        return dt.time.fromisoformat(value.strip())
    raise DataError(f"Cannot convert {type(value).__name__} {value!r} to a time")


def to_decimal(value: Any) -> decimal.Decimal:
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, bool):
        return decimal.Decimal(int(value))
    if isinstance(value, (int, str)):
        return decimal.Decimal(value)
    if isinstance(value, float):
        return decimal.Decimal(repr(value))
    raise DataError(f"Cannot convert {type(value).__name__} {value!r} to a decimal")


def to_int(value: Any) -> int:
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str):
        return int(value.strip())
    raise DataError(f"Cannot convert {type(value).__name__} {value!r} to an integer")


def to_float(value: Any) -> float:
    if isinstance(value, (int, float, decimal.Decimal, str)) and not isinstance(value, bool):
        return float(value)
    raise DataError(f"Cannot convert {type(value).__name__} {value!r} to a number")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "t", "f"):
        return value.strip().lower() in ("true", "1", "t")
    raise DataError(f"Cannot convert {type(value).__name__} {value!r} to a boolean")


def to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (Struct, dict, list, tuple)):
        return to_json_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8")
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def to_bytes(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    raise DataError(f"Cannot convert {type(value).__name__} {value!r} to bytes")
