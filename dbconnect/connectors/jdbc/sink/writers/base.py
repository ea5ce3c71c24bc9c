"""The writer interface: one subclass per database family, with the same shape.

Everything that differs between PostgreSQL and MariaDB lives in ``postgresql/sink.py`` and
``mariadb/sink.py`` (with their packages' ``types.py`` and ``connection.py``): connecting, error classification, identifier rules, catalog reflection,
Connect → SQL types, value adapters and the bulk statements. This module holds what they share:
connection retries, table create/evolve decisions, column matching and the transaction frame.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .....api.data import Date, Decimal, Schema, Time, Timestamp, Type
from .....api.errors import ConnectError
from .....api.records import SinkRecord
from ...dialect import TableId
from ...identifiers import quote_identifier
from ..buffer import TableOps
from ..config import UPDATE, UPSERT, JdbcSinkConfig
from .. import records as R
from ..records import Layout, RecordError, SinkField

log = logging.getLogger(__name__)

APPLICATION_NAME = "dbconnect-jdbc-sink"
OFFSETS_TABLE = "dbconnect_sink_offsets"

# Column categories: what Python value each column wants (see ``Writer.adapter``).
INT, FLOAT, DECIMAL, BOOL, TEXT, BYTES = "int", "float", "decimal", "bool", "text", "bytes"
DATE, TIME, TIMESTAMP, TIMESTAMPTZ, JSON, UUID, ARRAY, OTHER = (
    "date", "time", "timestamp", "timestamptz", "json", "uuid", "array", "other")


class TransientError(ConnectError):
    """A failure that says nothing about the records (lost connection, deadlock): retry the batch."""


class FencedError(TransientError):
    """Exactly-once: the stored offset of a partition is not the one this writer last read or wrote.

    Another instance of the task (its replacement, or a zombie of it) committed the same
    partition meanwhile. The transaction is rolled back; the task re-reads the stored offsets and
    rewinds, so nothing is written twice and nothing is lost.
    """


@dataclass(frozen=True)
class Column:
    """A reflected table column."""

    name: str
    category: str
    type_sql: str  # the column's type as SQL (casts, stage tables)
    nullable: bool = True
    type_id: int = 0  # PostgreSQL type oid (binary COPY)
    element: str | None = None  # array element category


@dataclass
class TableInfo:
    table: TableId
    columns: dict[str, Column]  # in table order
    kind: str = "TABLE"  # TABLE | VIEW | PARTITIONED TABLE

    def find(self, name: str) -> Column | None:
        """Exact name, else a unique case-insensitive match (as Confluent falls back to)."""
        column = self.columns.get(name)
        if column is not None:
            return column
        folded = [c for n, c in self.columns.items() if n.lower() == name.lower()]
        return folded[0] if len(folded) == 1 else None


class ProjectedPlan:
    """Stands for a TablePlan in projected rows (api/sink_rows.py): their key is the entry key and
    key + value the row, as the plan's ``extract_values`` would give them."""

    __slots__ = ("plan",)

    def __init__(self, plan: TablePlan) -> None:
        self.plan = plan


class TablePlan:
    """How records of one layout are written to one table: columns, adapters, cached SQL."""

    __slots__ = ("table", "layout", "columns", "key_columns", "_adapters", "_key_adapters", "sql", "state",
                 "extract", "extract_values", "row_fields")

    def __init__(self, table: TableId, layout: Layout, columns: list[Column],
                 adapters: list[Callable[[Any], Any] | None]) -> None:
        self.table = table
        self.layout = layout
        self.columns = columns
        self.key_columns = columns[: layout.key_count]
        self._adapters = [(i, f) for i, f in enumerate(adapters) if f is not None]
        self._key_adapters = [(i, f) for i, f in self._adapters if i < layout.key_count]
        self.sql: dict[str, Any] = {}  # statements built once per plan (by the writer)
        self.state: dict[str, Any] = {}  # per-connection things (PostgreSQL stage table)
        # record → (raw key for deduplication, row of column values ready for the driver). The
        # per-record hot path: the layout's own function when no value needs adapting.
        self.extract: Callable[[SinkRecord], tuple[Any, Any]] = (
            self._extract_adapted if self._adapters else layout.extract)
        # The same from the values of a record (the sink fast path), or None (SinkRecords only).
        self.extract_values: Callable[..., tuple[Any, Any]] | None = (
            None if layout.extract_values is None
            else self._extract_values_adapted if self._adapters else layout.extract_values)
        # Projected rows (api/sink_rows.py): the runtime's decoders select the columns themselves
        # when the layout is a plain selection and no value needs adapting.
        self.row_fields: tuple[tuple[int, ...], tuple[int, ...], ProjectedPlan] | None = (
            None if self._adapters or layout.row_fields is None else (*layout.row_fields, ProjectedPlan(self)))

    def _extract_adapted(self, record: SinkRecord) -> tuple[Any, tuple]:
        key, row = self.layout.extract(record)
        row = list(row)
        for i, adapt in self._adapters:
            value = row[i]
            if value is not None:
                row[i] = adapt(value)
        return key, tuple(row)  # a tuple of plain values: the GC stops tracking it

    def _extract_values_adapted(self, key: Any, value: Any, topic: str, partition: int,
                                offset: int) -> tuple[Any, tuple]:
        key, row = self.layout.extract_values(key, value, topic, partition, offset)
        row = list(row)
        for i, adapt in self._adapters:
            value = row[i]
            if value is not None:
                row[i] = adapt(value)
        return key, tuple(row)

    def require_keys(self, mode: str) -> int:
        """The number of key columns, which ``mode`` (UPSERT, UPDATE) cannot do without."""
        if not self.key_columns:
            raise RecordError(f"Write to table '{self.table.name}' in {mode} mode requires key field names to be "
                              "known, check the primary key configuration")
        return len(self.key_columns)

    def adapt_key(self, key: Sequence[Any]) -> list[Any]:
        key = list(key)
        for i, adapt in self._key_adapters:
            if key[i] is not None:
                key[i] = adapt(key[i])
        return key


class Writer(ABC):
    """One database connection plus everything needed to write batches through it."""

    max_identifier = 63
    quote_char = '"'
    # Sort each batch's rows by key in Python (the database cannot be told the order otherwise).
    sort_keys = False

    def __init__(self, cfg: JdbcSinkConfig, sleep: Callable[[float], None] = time.sleep) -> None:
        self.cfg = cfg
        self.spec = cfg.spec
        self.conn: Any = None
        self._sleep = sleep
        self._tables: dict[TableId, TableInfo] = {}
        self._plans: dict[tuple[TableId, Layout], TablePlan] = {}
        # Exactly-once: (topic, partition) → the next offset this writer last read from or
        # committed to the offsets table; the value its next offsets write expects to replace
        # (absent: it expects no row yet).
        self._offsets_seen: dict[tuple[str, int], int] = {}
        # Asked before every commit; False: roll back instead (the task was abandoned).
        self.may_commit: Callable[[], bool] = lambda: True

    # -- connections ----------------------------------------------------------------------------
    @abstractmethod
    def _connect(self) -> Any:
        """A new DB-API connection (autocommit off)."""

    @abstractmethod
    def is_transient(self, exc: BaseException) -> bool:
        """True for failures that say nothing about the data: lost connection, deadlock, ..."""

    def connection(self) -> Any:
        """The open connection, (re)connecting with connection.attempts × connection.backoff.ms."""
        if self.conn is not None:
            return self.conn
        attempts = max(1, self.cfg.attempts)
        for attempt in range(1, attempts + 1):
            try:
                self.conn = self._connect()
                self._on_connect()
                return self.conn
            except Exception as exc:
                detail = self.describe_error(exc)
                if attempt >= attempts:
                    raise TransientError(f"Could not connect to {self.spec.describe()} after {attempts} "
                                         f"attempt(s): {detail}") from None
                log.warning("Connection attempt %d/%d to %s failed (retrying in %d ms): %s", attempt, attempts,
                            self.spec.describe(), self.cfg.backoff_ms, detail)
                self.close()
                self._sleep(self.cfg.backoff_ms / 1000.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def _on_connect(self) -> None:
        """Session setup after connecting; per-connection plan state is forgotten."""
        for plan in self._plans.values():
            plan.state.clear()

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 — the connection is being dropped anyway
                pass

    def describe_error(self, exc: BaseException) -> str:
        """One line for logs and task traces, with the password scrubbed."""
        text = str(exc).strip() or type(exc).__name__
        return self.spec.scrub(f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}")

    def run(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` (which uses ``self.conn``); transient failures drop the connection and
        become TransientError, everything else propagates unchanged."""
        try:
            self.connection()
            return fn()
        except (FencedError, AbandonedError):
            self._rollback()  # the connection is fine: only this transaction must not commit
            raise
        except TransientError:
            self.close()
            raise
        except Exception as exc:
            if self.is_transient(exc):
                self.close()
                raise TransientError(self.describe_error(exc)) from exc
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self.conn is not None:
            try:
                self.conn.rollback()
            except Exception:  # noqa: BLE001 — a broken connection is replaced on next use
                self.close()
        self.after_rollback()

    def after_rollback(self) -> None:
        """Forget per-transaction state after a rollback."""

    # -- identifiers ----------------------------------------------------------------------------
    def quote(self, name: str) -> str:
        """A safe identifier for SQL run WITH parameters (``%`` doubled for the driver).

        Never executes anything it cannot quote: NUL characters, empty or over-long names, and
        (quote.sql.identifiers=never) anything but plain identifiers are rejected.
        """
        if not name or "\x00" in name:
            raise RecordError(f"Invalid identifier {name!r}")
        if self.identifier_length(name) > self.max_identifier:
            raise RecordError(f"Identifier {name!r} is longer than the {self.max_identifier} characters "
                              "the database allows")
        # A plain identifier has no %: only a quoted name can need the doubling.
        return quote_identifier(name, self.quote_char, quoted=self.cfg.quote, error=RecordError).replace("%", "%%")

    def identifier_length(self, name: str) -> int:
        return len(name)

    def quote_table(self, table: TableId) -> str:
        return ".".join(self.quote(p) for p in (table.schema, table.name) if p)

    # -- catalog and DDL ------------------------------------------------------------------------
    @abstractmethod
    def reflect(self, table: TableId) -> TableInfo | None:
        """The table's columns, or None when it does not exist (uses and commits ``self.conn``)."""

    @abstractmethod
    def column_type(self, field: SinkField) -> str:
        """The SQL type for a new column holding ``field`` (the dialect's Connect → SQL mapping)."""

    @abstractmethod
    def default_literal(self, value: Any) -> str:
        """A SQL literal for a column DEFAULT."""

    @abstractmethod
    def execute_ddl(self, statements: Iterable[str]) -> None:
        """Run DDL statements and commit."""

    def column_definition(self, f: SinkField) -> str:
        schema = f.schema
        sql = f"{self.quote(f.name)} {self.column_type(f)}"
        if f.is_key or (schema is not None and not schema.optional):
            sql += " NOT NULL"
        else:
            sql += " NULL"
        if schema is not None and schema.default is not None and schema.type.is_primitive and \
                schema.type is not Type.BYTES:
            sql += " DEFAULT " + self.default_literal(schema.default)
        return sql

    def create_sql(self, table: TableId, layout: Layout) -> str:
        columns = [self.column_definition(f) for f in layout.fields]
        if layout.key_count:
            columns.append("PRIMARY KEY(" + ", ".join(self.quote(n) for n in layout.key_names) + ")")
        return f"CREATE TABLE IF NOT EXISTS {self.quote_table(table)} (\n" + ",\n".join(columns) + ")"

    def alter_sql(self, table: TableId, fields: Sequence[SinkField]) -> list[str]:
        adds = ", ".join(f"ADD COLUMN IF NOT EXISTS {self.column_definition(f)}" for f in fields)
        return [f"ALTER TABLE {self.quote_table(table)} {adds}"]

    def table_info(self, table: TableId, layout: Layout) -> TableInfo:
        """Reflect (create / evolve as configured) ``table`` so that it has ``layout``'s columns."""
        info = self._tables.get(table)
        if info is None or self._missing(info, layout):
            info = self.reflect(table)
            if info is None:
                info = self._create(table, layout)
            missing = self._missing(info, layout)
            if missing:
                info = self._evolve(info, missing)
            self._tables[table] = info
        return info

    def _missing(self, info: TableInfo, layout: Layout) -> list[SinkField]:
        return [f for f in layout.fields if info.find(f.name) is None]

    def _create(self, table: TableId, layout: Layout) -> TableInfo:
        name = table.name if table.schema is None else f"{table.schema}.{table.name}"
        if not self.cfg.auto_create:
            raise RecordError(f"Table {name} is missing and auto-creation is disabled")
        if layout.schemaless or any(f.schema is None for f in layout.fields):
            raise RecordError(f"Table {name} is missing: records without a schema can only be written to an "
                              "existing table (auto.create needs the record schema)")
        if "TABLE" not in self.cfg.table_types:
            raise RecordError(f"Table {name} is missing and table.types does not allow creating a TABLE")
        sql = self.create_sql(table, layout)
        log.info("Creating table %s with SQL: %s", name, sql)
        self.execute_ddl([sql])
        info = self.reflect(table)
        if info is None:
            raise RecordError(f"Table {name} could not be found after CREATE TABLE")
        return info

    def _evolve(self, info: TableInfo, missing: list[SinkField]) -> TableInfo:
        table = info.table
        name = table.name if table.schema is None else f"{table.schema}.{table.name}"
        names = ", ".join(f.name for f in missing)
        if any(f.schema is None for f in missing):
            raise RecordError(f"Table {name} has no column(s) {names} for the fields of a record without a schema "
                              "(add the columns, or use a converter with schemas)")
        if not self.cfg.auto_evolve:
            raise RecordError(f"Table {name} is missing fields ({names}) and auto-evolution is disabled")
        if info.kind == "VIEW":
            raise RecordError(f"{name} is a view and is missing fields ({names}): views are never altered")
        for f in missing:
            if f.is_key:
                raise RecordError(f"Cannot ALTER TABLE {name} to add missing primary key field {f.name}: primary "
                                  "keys are never changed (create the table with its key instead)")
            if not f.schema.optional and f.schema.default is None:
                raise RecordError(f"Cannot ALTER TABLE {name} to add missing field {f.name}, as the field is not "
                                  "optional and does not have a default value")
        statements = self.alter_sql(table, missing)
        log.info("Amending table %s to add missing fields %s with SQL: %s", name, names, statements)
        self.execute_ddl(statements)
        refreshed = self.reflect(table)
        if refreshed is None or any(refreshed.find(f.name) is None for f in missing):
            raise RecordError(f"Table {name} still lacks fields ({names}) after ALTER TABLE")
        return refreshed

    # -- plans ----------------------------------------------------------------------------------
    def plan_for(self, table: TableId, layout: Layout) -> TablePlan:
        plan = self._plans.get((table, layout))
        if plan is None:
            plan = self.run(lambda: self._plan(table, layout))
            self._plans[(table, layout)] = plan
        return plan

    def _plan(self, table: TableId, layout: Layout) -> TablePlan:
        info = self.table_info(table, layout)
        kind = info.kind
        if kind not in self.cfg.table_types:
            raise RecordError(f"{table.name} is a {kind}, which table.types ({', '.join(sorted(self.cfg.table_types))}) "
                              "does not include")
        columns = [info.find(f.name) for f in layout.fields]
        adapters = [self.adapter(c, f.schema) for c, f in zip(columns, layout.fields)]
        return TablePlan(table, layout, columns, adapters)  # type: ignore[arg-type]

    def adapter(self, column: Column, schema: Schema | None) -> Callable[[Any], Any] | None:
        """Function turning a Connect value into what the driver writes to ``column`` (None: as is)."""
        return standard_adapter(column.category, column.element, schema, self.cfg.timezone, self.cfg.date_timezone)

    # -- writing --------------------------------------------------------------------------------
    def write(self, tables: list[TableOps], offsets: dict[tuple[str, int], int] | None, commit: bool = True) -> None:
        """Everything in ONE transaction: per table the deletes, then the writes; then the offsets.

        ``commit=False`` rolls the transaction back instead: a probe that only tells whether the
        rows would be accepted (the sink isolates a failing record this way when it must not
        write the others)."""
        def transaction() -> None:
            mode = self.cfg.insert_mode
            for ops in tables:
                for plan, keys in ops.deletes.items():
                    self.delete(plan, [plan.adapt_key(k) for k in keys])
                for plan, rows in ops.writes.items():
                    if mode == UPSERT:
                        self.upsert(plan, rows)
                    elif mode == UPDATE:
                        self.update(plan, rows)
                    else:
                        self.insert(plan, rows)
            if offsets:
                self.store_offsets(offsets)
            if not commit:
                self._rollback()
                return
            if not self.may_commit():
                raise AbandonedError("The task was abandoned by the worker: its write is rolled back")
            self.conn.commit()

        self.run(transaction)
        if offsets:
            self._offsets_seen.update(offsets)

    @abstractmethod
    def insert(self, plan: TablePlan, rows: list[Any]) -> None: ...

    @abstractmethod
    def upsert(self, plan: TablePlan, rows: list[Any]) -> None: ...

    @abstractmethod
    def update(self, plan: TablePlan, rows: list[Any]) -> None: ...

    @abstractmethod
    def delete(self, plan: TablePlan, keys: list[list[Any]]) -> None: ...

    # -- exactly once ---------------------------------------------------------------------------
    @abstractmethod
    def ensure_offsets_table(self) -> None: ...

    def store_offsets(self, offsets: dict[tuple[str, int], int]) -> None:
        """Compare-and-set (connector, topic, partition) → next offset, inside the current transaction.

        Each row must still hold what this writer last read or committed (``_offsets_seen``), or
        be absent if it saw none: else another task instance wrote the partition meanwhile and
        FencedError rolls this transaction back. Both databases check the latest committed row
        (PostgreSQL re-evaluates an UPDATE's WHERE after waiting for the row lock; InnoDB's UPDATE
        reads the latest version) and a concurrent writer waits for the first one's outcome.
        A partition whose offset does not move has none of its rows in the transaction: skipped.
        """
        seen = self._offsets_seen
        lost = []
        for (topic, partition), offset in offsets.items():
            expected = seen.get((topic, partition))
            if expected == offset:
                continue
            if expected is None:
                ok = self.insert_offset(topic, partition, offset)
            else:
                ok = self.replace_offset(topic, partition, expected, offset)
            if not ok:
                lost.append(f"{topic}-{partition} (expected {'no row' if expected is None else expected})")
        if lost:
            raise FencedError("Exactly-once: this task instance was fenced: the stored offsets of "
                              f"{', '.join(lost)} were changed by another instance of the task; "
                              "rolling back and resuming from the stored offsets")

    def load_offsets(self, topics: Iterable[str]) -> dict[tuple[str, int], int]:
        """(topic, partition) → next offset stored for this connector; what the next writes expect."""
        topics = set(topics)
        stored = self.read_offsets(topics)
        seen = self._offsets_seen
        for tp in [tp for tp in seen if tp[0] in topics]:
            del seen[tp]
        seen.update(stored)
        return stored

    @abstractmethod
    def insert_offset(self, topic: str, partition: int, offset: int) -> bool:
        """Insert the partition's first offsets row; False if one exists (inside the transaction)."""

    @abstractmethod
    def replace_offset(self, topic: str, partition: int, expected: int, offset: int) -> bool:
        """Set next_offset to ``offset`` where it is ``expected``; False if it is not."""

    @abstractmethod
    def read_offsets(self, topics: Iterable[str]) -> dict[tuple[str, int], int]:
        """(topic, partition) → next offset stored for this connector (its own transaction)."""


class AbandonedError(ConnectError):
    """The worker abandoned the task (its graceful stop timed out): it commits nothing any more."""



# -- value adapters --------------------------------------------------------------------------------

_UTC = dt.timezone.utc
_LOGICAL_KINDS = {Decimal.LOGICAL_NAME: "decimal", Date.LOGICAL_NAME: "date", Time.LOGICAL_NAME: "time",
                  Timestamp.LOGICAL_NAME: "timestamp"}
_TYPE_KINDS = {Type.INT8: "int", Type.INT16: "int", Type.INT32: "int", Type.INT64: "int", Type.FLOAT32: "float",
               Type.FLOAT64: "float", Type.BOOLEAN: "bool", Type.STRING: "str", Type.BYTES: "bytes",
               Type.STRUCT: "struct", Type.MAP: "map", Type.ARRAY: "array"}
# Value kinds a column category takes as they are (the driver's own adaptation is right).
_AS_IS = {INT: {"int", "bool"}, FLOAT: {"float"}, DECIMAL: {"decimal"}, BOOL: {"bool"}, TEXT: {"str"},
          BYTES: {"bytes"}, DATE: {"date"}, TIME: {"time"}, TIMESTAMPTZ: {"timestamp"}, JSON: {"str"},
          ARRAY: {"array"}}
_CONVERT: dict[str, Callable[[Any], Any]] = {
    INT: R.to_int, FLOAT: R.to_float, DECIMAL: R.to_decimal, BOOL: R.to_bool, TEXT: R.to_text, BYTES: R.to_bytes,
    DATE: R.parse_date, TIME: R.parse_time, TIMESTAMPTZ: R.parse_instant, JSON: R.to_json_text, UUID: R.to_text,
    OTHER: R.to_text,
}


def value_kind(schema: Schema | None) -> str | None:
    """What Python values records of ``schema`` carry (None: unknown, schemaless)."""
    if schema is None:
        return None
    if schema.name and schema.name in _LOGICAL_KINDS:
        return _LOGICAL_KINDS[schema.name]
    return _TYPE_KINDS.get(schema.type)


def _naive_in(tz: Any) -> Callable[[Any], Any]:
    """Instant → wall-clock time in db.timezone, for zone-less timestamp columns."""
    if getattr(tz, "key", None) in ("UTC", "Etc/UTC"):
        def to_naive_utc(value: Any) -> Any:
            if type(value) is dt.datetime and value.tzinfo is _UTC:  # the Connect Timestamp fast path
                return value.replace(tzinfo=None)
            return R.parse_instant(value).astimezone(_UTC).replace(tzinfo=None)
        return to_naive_utc

    def to_naive(value: Any) -> Any:
        return R.parse_instant(value).astimezone(tz).replace(tzinfo=None)
    return to_naive


def _date_in(tz: Any) -> Callable[[Any], Any]:
    """date.timezone=DB_TIMEZONE: a Connect Date (midnight UTC of its day) → its day in ``tz``."""
    def shift(value: Any) -> Any:
        day = value if type(value) is dt.date else R.parse_date(value)
        return dt.datetime(day.year, day.month, day.day, tzinfo=_UTC).astimezone(tz).date()
    return shift


def standard_adapter(category: str, element: str | None, schema: Schema | None, tz: Any,
                     date_tz: Any = None) -> Callable[[Any], Any] | None:
    kind = value_kind(schema)
    if category == TIMESTAMP:
        return _naive_in(tz)
    if category == DATE and kind == "date" and date_tz is not None:
        return _date_in(date_tz)
    if category == ARRAY:
        if kind != "array":
            return _to_list
        inner = standard_adapter(element, None, schema.value_schema, tz, date_tz) if element else None
        if inner is None:
            return None
        return lambda values: [None if v is None else inner(v) for v in values]
    if kind is not None and kind in _AS_IS.get(category, ()):
        return None
    return _CONVERT.get(category)


def _to_list(value: Any) -> list:
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        import orjson

        parsed = orjson.loads(value)
        if isinstance(parsed, list):
            return parsed
    raise RecordError(f"Cannot write {type(value).__name__} {value!r} into an array column")
