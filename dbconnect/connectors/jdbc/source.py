"""JdbcSourceConnector and JdbcSourceTask (Confluent's io.confluent.connect.jdbc.JdbcSourceConnector)."""

from __future__ import annotations

import contextvars
import logging
import re
import threading
import time
from collections.abc import Mapping
from contextlib import ExitStack, nullcontext
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson

from ...api.config import ConfigDefinition
from ...api.connector import SourceConnector
from ...api.errors import ConnectError
from ...api.records import SourceRecord
from ...api.task import SourceTask, inherit_context
from .config import BULK, TABLES_KEY, JdbcSourceConfig, definition, parse_config
from .dialect import Dialect, TableId, get_dialect
from .querier import EPOCH, Querier, QuerierSpec

log = logging.getLogger(__name__)

VERSION = "10.8.0-dbconnect"


# ------------------------------------------------------------------------------ helpers

def connect(dialect: Dialect, *, autocommit: bool) -> Any:
    """A connection, or ConnectError naming the server (never the password)."""
    try:
        return dialect.connect(autocommit=autocommit)
    except Exception as exc:
        raise ConnectError(connection_failure(dialect, exc)) from None


def connection_failure(dialect: Dialect, exc: BaseException) -> str:
    spec = dialect.spec
    detail = spec.scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    return f"Could not connect to {spec.describe()} (host {spec.host}, port {spec.port}): {detail}"


def _names(table: TableId) -> set[str]:
    """Every spelling a table.whitelist/blacklist entry may use for ``table``."""
    parts = table.parts
    names = set()
    for start in range(len(parts)):
        tail = parts[start:]
        names.add(".".join(tail))
        for q in ('"', "`"):
            names.add(".".join(q + p.replace(q, q + q) + q for p in tail))
    return names


def select_tables(tables: list[TableId], cfg: JdbcSourceConfig) -> list[TableId]:
    if cfg.whitelist:
        wanted = set(cfg.whitelist)
        return [t for t in tables if _names(t) & wanted]
    if cfg.blacklist:
        unwanted = set(cfg.blacklist)
        return [t for t in tables if not _names(t) & unwanted]
    if cfg.include:
        return [t for t in tables if any(p.fullmatch(t.fqn()) for p in cfg.include)
                and not any(p.fullmatch(t.fqn()) for p in cfg.exclude)]
    return list(tables)


_TOPIC_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def topic_for(prefix: str, table: TableId) -> str:
    """prefix + table name; characters Kafka forbids in topic names become "_" (Confluent would
    fail on them at produce time)."""
    return _TOPIC_UNSAFE.sub("_", prefix + table.name)[:249]


def duplicate_topics(tables: list[TableId], prefix: str) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    for t in tables:
        seen.setdefault(topic_for(prefix, t), []).append(t.fqn())
    return {topic: fqns for topic, fqns in seen.items() if len(fqns) > 1}


def group_partitions(elements: list[Any], groups: int) -> list[list[Any]]:
    """Kafka's ConnectorUtils.groupPartitions: contiguous, near-equal slices."""
    per, leftover = divmod(len(elements), groups)
    out, i = [], 0
    for g in range(groups):
        n = per + 1 if g < leftover else per
        out.append(elements[i:i + n])
        i += n
    return out


def partition_for(cfg: JdbcSourceConfig, table: TableId | None) -> dict[str, str] | None:
    if cfg.mode == BULK:
        return None  # bulk never resumes (Confluent stores a null offset)
    if table is None:
        return {"query": "query"}
    return {"protocol": "1", "table": table.fqn()}


def table_spec(dialect: Dialect, conn: Any, cfg: JdbcSourceConfig, table: TableId | None,
               problems: dict[str, list[str]] | None = None) -> QuerierSpec:
    """Gather a table's columns, key and incremental columns; violations go to ``problems``
    (validate) or raise ConnectError (tasks)."""
    def problem(key: str, message: str) -> None:
        if problems is None:
            raise ConnectError(message)
        problems.setdefault(key, []).append(message)

    name = table.fqn() if table is not None else "query"
    nullable: dict[str, bool] | None = None
    key_columns = list(cfg.key_columns) if cfg.key_mode != "none" else []
    # Per table with incrementing.column.mapping / timestamp.columns.mapping (config.py).
    inc = cfg.incrementing_column_for(table) or None
    ts_columns = cfg.timestamp_columns_for(table) if cfg.uses_timestamp else []
    if ts_columns is None:
        problem("timestamp.columns.mapping", f"No timestamp.columns.mapping entry matches table {name}")
        ts_columns = []
    step = 1
    if table is not None:
        with dialect.catalog_session():  # one catalog connection for the columns and the key
            columns = dialect.describe_columns(conn, table)
            table_key = dialect.primary_key(conn, table) if cfg.key_mode != "none" and not key_columns else []
        if not columns:
            problem("table.whitelist", f"Table {name} was not found (or has no columns visible to "
                                       f"{dialect.spec.user})")
        nullable = {c.name: c.nullable for c in columns}
        if cfg.key_mode != "none" and not key_columns:
            key_columns = table_key
        if cfg.uses_incrementing:
            inc_key = "incrementing.column.mapping" if cfg.incrementing_mapping else "incrementing.column.name"
            if inc is None:
                auto = [c.name for c in columns if c.auto_increment]
                if not auto:
                    problem(inc_key, f"Cannot find an auto-increment column in table {name}; set {inc_key}")
                inc = auto[0] if auto else None
            if inc is not None and inc not in nullable:
                problem(inc_key, f"Incrementing column {inc} not found in table {name}")
            elif inc is not None and cfg.validate_non_null and nullable[inc]:
                problem(inc_key, f"Cannot make incremental queries using incrementing column "
                                 f"{inc} on {name} because this column is nullable.")
            if inc is not None:
                step = dialect.increment_step(conn, table, inc)
        if cfg.uses_timestamp and ts_columns:
            ts_key = "timestamp.columns.mapping" if cfg.timestamp_mapping else "timestamp.column.name"
            missing = [c for c in ts_columns if c not in nullable]
            for c in missing:
                problem(ts_key, f"Timestamp column {c} not found in table {name}")
            if not missing and cfg.validate_non_null and all(nullable[c] for c in ts_columns):
                problem(ts_key, f"Cannot make incremental queries using timestamp columns "
                                f"{ts_columns} on {name} because all of these columns are nullable.")
        for k in key_columns:
            if k not in nullable:
                problem("key.columns", f"Key column {k} not found in table {name}")
        if cfg.soft_delete_column:
            if cfg.soft_delete_column not in nullable:
                problem("soft.delete.column.name", f"Soft-delete column {cfg.soft_delete_column} not found in "
                                                   f"table {name}")
            if not key_columns:
                problem("soft.delete.column.name", f"Table {name} has no primary key, and tombstones need record "
                                                   "keys: set key.columns")
    elif cfg.uses_incrementing and inc is None:
        problem("incrementing.column.name", "incrementing.column.name must be set in query mode")
    topic = topic_for(cfg.topic_prefix, table) if table is not None else cfg.topic_prefix
    return QuerierSpec(table, cfg.query, topic, partition_for(cfg, table), inc,
                       list(ts_columns) if cfg.uses_timestamp else [], key_columns, nullable, step,
                       cfg.soft_delete_column or None)


# ------------------------------------------------------------------------------ connector

class JdbcSourceConnector(SourceConnector):
    aliases = ("JdbcSourceConnector", "io.confluent.connect.jdbc.JdbcSourceConnector", "JdbcSource")

    def __init__(self) -> None:
        super().__init__()
        self._props: dict[str, str] = {}
        self._cfg: JdbcSourceConfig | None = None
        self._dialect: Dialect | None = None
        self._tables: list[TableId] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None

    def version(self) -> str:
        return VERSION

    def config(self) -> ConfigDefinition:
        return definition()

    def task_class(self) -> type[SourceTask]:
        return JdbcSourceTask

    # -- validation ---------------------------------------------------------------------------
    def validate(self, props: Mapping[str, str]) -> dict[str, list[str]]:
        cfg = parse_config(props, strict=False)
        problems = {k: list(v) for k, v in cfg.errors.items()}
        if problems or cfg.spec is None or cfg.family is None:
            return problems
        dialect = get_dialect(cfg)
        try:
            conn = dialect.connect(autocommit=True)
        except Exception as exc:
            return {"connection.url": [connection_failure(dialect, exc)]}
        catalog = ExitStack()
        try:
            catalog.enter_context(dialect.catalog_session())  # one catalog connection for every look-up
            blind = dialect.visibility_problem(conn) if cfg.visibility_required else None
            if blind:
                problems.setdefault("open.transactions.visibility.required", []).append(blind)
            if cfg.query_mode:
                spec = table_spec(dialect, conn, cfg, None, problems)
                try:
                    Querier(dialect, cfg, spec, None).describe(conn)
                except Exception as exc:
                    problems.setdefault("query", []).append(f"The query failed: {dialect.spec.scrub(str(exc).strip())}")
                return problems
            tables = select_tables(dialect.list_tables(conn), cfg)
            found = {n for t in tables for n in _names(t)}
            for entry in cfg.whitelist:
                if entry not in found:
                    problems.setdefault("table.whitelist", []).append(
                        f"Table {entry} was not found in {dialect.spec.describe()} (table.types={','.join(cfg.table_types)})")
            for topic, fqns in duplicate_topics(tables, cfg.topic_prefix).items():
                problems.setdefault("topic.prefix", []).append(
                    f"Tables {', '.join(fqns)} would all be written to topic {topic}; restrict the table selection")
            for table in tables:
                bad = dialect.unquotable(table)
                if bad:
                    problems.setdefault("quote.sql.identifiers", []).append(
                        f"Table {table.fqn()}: {', '.join(repr(p) for p in bad)} cannot be used unquoted in SQL "
                        "(only letters, digits, _ and $, not starting with a digit); set quote.sql.identifiers=always "
                        "or narrow the table selection")
                table_spec(dialect, conn, cfg, table, problems)
        except Exception as exc:
            problems.setdefault("connection.url", []).append(
                f"Checking {dialect.spec.describe()} failed: {dialect.spec.scrub(str(exc).strip())}")
        finally:
            catalog.close()
            conn.close()
        return problems

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self, props: Mapping[str, str]) -> None:
        self._props = dict(props)
        cfg = self._cfg = parse_config(props)
        if cfg.errors:
            raise ConnectError("; ".join(m for msgs in cfg.errors.values() for m in msgs))
        self._dialect = get_dialect(cfg)
        self._stop.clear()
        if cfg.query_mode:
            return
        self._tables = self._list_tables()
        if cfg.table_poll_interval_ms > 0:
            # In the connector's log context ([name|worker]), as the lines of start() are.
            self._monitor = threading.Thread(target=contextvars.copy_context().run, args=(self._monitor_tables,),
                                             name="jdbc-table-monitor", daemon=True)
            self._monitor.start()

    def _list_tables(self) -> list[TableId]:
        assert self._dialect is not None and self._cfg is not None
        conn = connect(self._dialect, autocommit=True)
        try:
            tables = select_tables(self._dialect.list_tables(conn), self._cfg)
        finally:
            conn.close()
        duplicates = duplicate_topics(tables, self._cfg.topic_prefix)
        if duplicates:
            topic, fqns = next(iter(duplicates.items()))
            raise ConnectError(f"Tables {', '.join(fqns)} would all be written to topic {topic}: two tables cannot "
                               "share a topic; narrow table.whitelist/table.include.list or the schema.pattern")
        return tables

    def _monitor_tables(self) -> None:
        assert self._cfg is not None
        interval = self._cfg.table_poll_interval_ms / 1000.0
        while not self._stop.wait(interval):
            try:
                tables = self._list_tables()
            except ConnectError as exc:
                if "share a topic" in str(exc):
                    self.context.raise_error(exc)
                    return
                log.warning("Could not list tables: %s", exc)
                continue
            except Exception:
                log.warning("Could not list tables", exc_info=True)
                continue
            with self._lock:
                changed = tables != self._tables
                if changed:
                    log.info("Tables changed from %s to %s: reconfiguring tasks",
                             [t.fqn() for t in self._tables], [t.fqn() for t in tables])
                    self._tables = tables
            if changed:
                self.context.request_task_reconfiguration()

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        assert self._cfg is not None
        if self._cfg.query_mode:
            return [dict(self._props)]
        with self._lock:
            tables = list(self._tables)
        if not tables:
            log.warning("No tables match the configuration of this JDBC source; no tasks until one appears")
            return []
        groups = group_partitions(tables, min(len(tables), max(1, max_tasks)))
        return [{**self._props, TABLES_KEY: orjson.dumps([t.to_json() for t in g]).decode()} for g in groups]

    def stop(self) -> None:
        self._stop.set()
        monitor, self._monitor = self._monitor, None
        if monitor is not None:
            monitor.join(timeout=5)


# ------------------------------------------------------------------------------ task

class JdbcSourceTask(SourceTask):
    def __init__(self) -> None:
        super().__init__()
        self._stopped = threading.Event()
        self._queriers: list[Querier] = []
        self._current: Querier | None = None
        self._meta: Any = None
        self._data: Any = None
        self._failures = 0
        self._hold_note: str | None = None  # what the task status shows (_note_holds)
        self._next_hold_log = 0.0
        # poll() holds it while it uses the connections; stop() takes it to close them.
        self._busy = threading.Lock()
        self._read_ahead: ThreadPoolExecutor | None = None

    def version(self) -> str:
        return VERSION

    def start(self, props: Mapping[str, str]) -> None:
        cfg = self._cfg = parse_config(props)
        if cfg.errors:
            raise ConnectError("; ".join(m for msgs in cfg.errors.values() for m in msgs))
        self._dialect = get_dialect(cfg)
        self._open()
        # One helper thread fetches the next batch while poll()'s caller sends the last (readahead.py).
        self._read_ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jdbc-read-ahead",
                                              initializer=inherit_context, initargs=(contextvars.copy_context(),))
        tables: list[TableId | None] = [None] if cfg.query_mode else \
            [TableId.from_json(t) for t in orjson.loads(props.get(TABLES_KEY) or "[]")]
        reader = self.context.offset_storage_reader if self.context else None
        # JSON-ready rows when the value converter writes JSON payloads as they are (api/payload.py).
        advertised = getattr(self.context, "json_payload_format", None)
        payload_format = advertised() if callable(advertised) else None
        key_payload_format = advertised(True) if callable(advertised) else None
        # One catalog connection for every table's columns and key, not one per table (none in
        # query mode: the catalog is not asked).
        catalog = self._dialect.catalog_session() if any(t is not None for t in tables) else nullcontext()
        with catalog:
            for table in tables:
                spec = table_spec(self._dialect, self._meta, cfg, table)
                offset = None
                if reader is not None and spec.partition is not None:
                    offset = reader.offset(spec.partition)
                    if offset is None and table is not None:  # Confluent's legacy (V0) partition
                        offset = reader.offset({"table": table.name})
                querier = Querier(self._dialect, cfg, spec, offset, payload_format, key_payload_format)
                querier.read_ahead = self._read_ahead
                querier.describe(self._meta)
                self._queriers.append(querier)
                log.info("JDBC source task reads %s in %s mode from offset %s", querier.name, cfg.mode, offset)
                self._report(querier, 0)

    def _open(self) -> None:
        self._close()
        meta = connect(self._dialect, autocommit=True)
        try:
            self._data = connect(self._dialect, autocommit=False)
        except Exception:
            meta.close()
            raise
        self._meta = meta

    def _close(self) -> None:
        for querier in self._queriers:
            if querier.in_round:
                querier.abort_round()  # waits for a read-ahead fetch: nothing uses the connections now
        for conn in (self._data, self._meta):
            if conn is not None:
                try:
                    conn.close()
                except Exception:
                    pass
        self._meta = self._data = None

    def _due(self) -> Querier | None:
        now = time.monotonic()
        ready = [q for q in self._queriers if q.next_run <= now]
        return min(ready, key=lambda q: q.next_run) if ready else None

    def poll(self) -> list[SourceRecord] | None:
        with self._busy:
            if self._stopped.is_set():
                return None
            return self._poll()

    def _poll(self) -> list[SourceRecord] | None:
        if self._meta is None:
            try:
                self._open()
                self._failures = 0
            except ConnectError as exc:
                self._failed(exc)
                return None
        querier = self._current or self._due()
        if querier is None:
            wait = min(q.next_run for q in self._queriers) - time.monotonic() if self._queriers else 1.0
            self._stopped.wait(max(0.0, min(wait, 0.25)))
            return None
        try:
            if not querier.in_round:
                querier.start_round(self._meta, self._data)
                self._note_holds()
            records, done = querier.fetch(self._meta, self._cfg.batch_max_rows)
        except Exception as exc:
            self._current = None
            if self._dialect.is_connection_error(exc):
                for q in self._queriers:
                    q.abort_round()
                self._close()
                self._failed(exc)
                return None
            querier.end_round(self._data)
            if self._dialect.is_missing_table(exc):
                log.warning("Table %s is gone; skipping it until the connector reconfigures", querier.name)
                querier.next_run = time.monotonic() + self._cfg.poll_interval_ms / 1000.0
                return None
            raise ConnectError(f"Query on {querier.name} failed: {self._dialect.spec.scrub(str(exc).strip())}") from exc
        self._failures = 0
        if records:
            self._report(querier, len(records))
        if done:
            querier.end_round(self._data)
            self._current = None
            querier.next_run = time.monotonic() + (0.0 if querier.rerun_soon else self._cfg.poll_interval_ms / 1000.0)
        else:
            self._current = querier
        return records

    def _report(self, querier: Querier, rows: int) -> None:
        """The table's figures for the worker's GET /metrics (docs/metrics.md), once per batch:
        rows read, the current offset and the replication lag (now − the newest timestamp read)."""
        metrics = getattr(self.context, "metrics", None)
        if metrics is None:
            return
        table = querier.name
        metrics.counter("jdbc_source_rows_read_total", rows, table=table)
        if querier.ts is not None:
            seconds = (querier.ts - EPOCH).total_seconds()
            metrics.gauge("jdbc_source_offset_timestamp_seconds", seconds, table=table)
            metrics.since("jdbc_source_replication_lag_seconds", seconds, table=table)
        if querier.inc is not None and querier.inc >= 0:
            metrics.gauge("jdbc_source_offset_incrementing", querier.inc, table=table)

    def _note_holds(self) -> None:
        """Old open transactions holding a bound back: in the task status while they last, and
        in the log at most once a minute."""
        note = "; ".join(q.held_by for q in self._queriers if q.held_by) or None
        report = getattr(self.context, "report_status", None)
        if note != self._hold_note and report is not None:
            report(note)
        self._hold_note = note
        if note and time.monotonic() >= self._next_hold_log:
            self._next_hold_log = time.monotonic() + 60
            log.warning("%s", note)

    def _failed(self, exc: BaseException) -> None:
        self._failures += 1
        message = exc if isinstance(exc, ConnectError) else connection_failure(self._dialect, exc)
        if self._failures >= self._cfg.attempts:
            raise ConnectError(f"Giving up after {self._failures} consecutive failed attempt(s) to reach "
                               f"{self._dialect.spec.describe()} (host {self._dialect.spec.host}): {message}")
        log.warning("Database %s unreachable (attempt %d of %d), retrying in %d ms: %s",
                    self._dialect.spec.describe(), self._failures, self._cfg.attempts, self._cfg.backoff_ms, message)
        self._stopped.wait(self._cfg.backoff_ms / 1000.0)

    def stop(self) -> None:
        # Called from another thread: signal, then close the connections once poll() is out.
        self._stopped.set()
        if self._busy.acquire(timeout=10):
            try:
                self._close()
            finally:
                self._busy.release()
        if self._read_ahead is not None:
            self._read_ahead.shutdown(wait=False)
