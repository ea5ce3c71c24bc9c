"""PostgreSQL writer (psycopg 3): binary COPY into a temporary stage table, then one set-based statement.

Per batch and table: ``COPY stage FROM STDIN (FORMAT BINARY)`` → ``INSERT INTO t SELECT … FROM stage
ORDER BY key ON CONFLICT (key) DO UPDATE SET c = EXCLUDED.c`` (or a plain INSERT, or UPDATE … FROM
stage), and deletes as ``DELETE … WHERE key = ANY(%s)``. An upsert whose keys are new (replicating
into an empty table) is tried as the plain INSERT first, which the server does in about half the
time (see ``InsertFirst``). The stage is a temp table per plan and
connection, ``ON COMMIT DELETE ROWS``, so it is created once and emptied by every commit.
Types that binary COPY cannot produce from Python values (json, jsonb, uuid, enums, domains …) are
staged as text and cast in the INSERT … SELECT.
"""

from __future__ import annotations

import io
import itertools
import logging
from collections.abc import Iterable
from typing import Any

import psycopg
import psycopg.copy
from psycopg import sql as psql

try:  # psycopg's PRIVATE row formatter (C in psycopg[binary]): whole batches without per-row Python
    # frames. Guarded: fast_copy_problem() self-tests it once per task, and a batch it fails on is
    # formatted again by the public Copy.write_row, which alone decides whether a record is bad.
    from psycopg._copy_base import format_row_binary as _format_row_binary
except ImportError:  # another psycopg layout: the public Copy.write_row per row
    _format_row_binary = None

from ..dialect import TableId
from ..sink import records as R
from ..sink.records import SinkField
from ..sink.writers.base import (
    APPLICATION_NAME, ARRAY, DECIMAL, OFFSETS_TABLE, OTHER, TIMESTAMP, Column, TableInfo, TablePlan, Writer,
    value_kind,
)
from ..sink.writers.errors import TRANSIENT, classify_sqlstate
from .connection import libpq_settings
# The type mapping lives in types.py; the method bodies here keep their module-private names.
from .types import CAST_CATEGORIES as _CAST_CATEGORIES
from .types import CATEGORIES as _CATEGORIES
from .types import DECIMAL_TEXT_OID as _DECIMAL_TEXT_OID
from .types import TEXT_OID as _TEXT_OID
from .types import DecimalTextDumper as _DecimalTextDumper
from .types import array_type as _array_type
from .types import ddl_type
from .types import stage_oid as _stage_oid
from .types import stage_type as _stage_type

log = logging.getLogger(__name__)

_KINDS = {"r": "TABLE", "f": "TABLE", "p": "PARTITIONED TABLE", "v": "VIEW", "m": "VIEW"}
_stage_ids = itertools.count(1)
# pg_advisory_xact_lock's bigint for "dbconnect sink DDL" (distinct from the migrations' key).
DDL_LOCK_KEY = 0x6462_7369_6E6B  # "dbsink"
# PostgreSQL's binary COPY framing: signature, flags, header extension length; the trailer.
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER = b"\xff\xff"
_COPY_CHUNK = 128 * 1024  # bytes handed to libpq at a time


class PostgreSqlWriter(Writer):
    max_identifier = 63  # bytes (NAMEDATALEN - 1); longer names would be truncated silently
    quote_char = '"'

    # -- connections ----------------------------------------------------------------------------
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fast_copy: bool | None = None  # None: not self-tested yet (done on the first connection)
        # Per table, the column sets of its unique indexes that can arbitrate ON CONFLICT (reflect()).
        self._arbiters: dict[TableId, list[frozenset[str]]] = {}

    def _on_connect(self) -> None:
        super()._on_connect()
        if self.fast_copy is None:
            problem = fast_copy_problem(self.conn)
            self.fast_copy = problem is None
            if problem is not None:
                log.warning("psycopg %s: binary COPY fast path unavailable (%s); using the public "
                            "Copy.write_row path (slower, same results)", psycopg.__version__, problem)

    def _connect(self) -> Any:
        spec = self.spec
        kwargs = libpq_settings(spec)
        conn = psycopg.connect(host=spec.host, port=spec.port, dbname=spec.database, user=spec.user,
                               password=spec.password, application_name=APPLICATION_NAME, autocommit=False,
                               **kwargs)
        conn.adapters.register_dumper(None, _DecimalTextDumper)  # found by oid only (see _DECIMAL_TEXT_OID)
        return conn

    def is_transient(self, exc: BaseException) -> bool:
        # By SQLSTATE (errors.POSTGRESQL_SQLSTATE): psycopg's OperationalError also covers 54000
        # (program limit exceeded), which is the record's fault. Without a known code (a dropped
        # connection has none), the driver's class and the connection's state decide.
        kind = classify_sqlstate(getattr(exc, "sqlstate", None)) if isinstance(exc, psycopg.Error) else None
        if kind is not None:
            return kind == TRANSIENT
        if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError, psycopg.InternalError)):
            return True
        return self.conn is not None and bool(getattr(self.conn, "broken", False))

    def identifier_length(self, name: str) -> int:
        return len(name.encode("utf-8"))

    def after_rollback(self) -> None:
        # A rolled-back transaction may have created a stage table: create it again when needed.
        for plan in self._plans.values():
            plan.state.pop("ready", None)

    # -- catalog and DDL ------------------------------------------------------------------------
    def reflect(self, table: TableId) -> TableInfo | None:
        # Not the inspector's job (catalog.py), so it stays on the driver: binary COPY needs each
        # column's type oid and whether psycopg has a binary dumper for it, the stage table
        # format_type()'s exact text, the insert-first upsert the unique indexes that can arbitrate
        # (indimmediate, indisvalid, no predicate), and to_regclass resolves the name exactly as
        # the statements will (search_path, quoting); SQLAlchemy's reflection gives none of these.
        conn = self.conn
        # to_regclass resolves the name exactly as the statements will (search_path, quoting).
        unescaped = self.quote_table(table).replace("%%", "%")
        row = conn.execute("SELECT c.oid::int, c.relkind FROM pg_class c WHERE c.oid = to_regclass(%s)",
                           (unescaped,)).fetchone()
        if row is None:
            conn.commit()
            return None
        oid, relkind = row
        rows = conn.execute(
            "SELECT a.attname, a.atttypid::int, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, "
            "t.typname, t.typcategory, coalesce(e.typname, ''), coalesce(t.typelem, 0)::int "
            "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
            "LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A' "
            "WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum", (oid,)).fetchall()
        # Unique indexes ON CONFLICT (key) can use as its arbiter: plain columns, no predicate, valid,
        # checked at once (a deferrable constraint is not an arbiter). Only with one of them is a
        # unique violation of a plain INSERT the same thing as a conflict the upsert would update.
        arbiters = conn.execute(
            "SELECT array_agg(a.attname::text) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s AND i.indisunique AND i.indimmediate "
            "AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL GROUP BY i.indexrelid", (oid,)).fetchall()
        conn.commit()
        self._arbiters[table] = [frozenset(names) for (names,) in arbiters]
        columns: dict[str, Column] = {}
        for name, type_oid, type_sql, nullable, typname, typcategory, element, _elem_oid in rows:
            category = _CATEGORIES.get(typname, OTHER)
            elem_category = None
            if typcategory == "A":
                elem_category = _CATEGORIES.get(element, OTHER)
                category = ARRAY if elem_category not in _CAST_CATEGORIES else OTHER
            if category not in _CAST_CATEGORIES and not self._has_binary_dumper(type_oid):
                category = OTHER
            columns[name] = Column(name, category, type_sql, nullable, type_oid, elem_category)
        return TableInfo(table, columns, _KINDS.get(relkind, "TABLE"))

    def _has_binary_dumper(self, oid: int) -> bool:
        if oid == _DECIMAL_TEXT_OID:
            return False
        try:
            self.conn.adapters.get_dumper_by_oid(oid, psycopg.pq.Format.BINARY)
            return True
        except Exception:  # noqa: BLE001 — unknown to psycopg: stage it as text
            return False

    def column_type(self, field: SinkField) -> str:
        return ddl_type(field)

    def default_literal(self, value: Any) -> str:
        return psql.Literal(value).as_string(self.conn).replace("%", "%%")

    def execute_ddl(self, statements: Iterable[str]) -> None:
        with self.conn.cursor() as cur:
            # CREATE TABLE / ADD COLUMN IF NOT EXISTS are not atomic on PostgreSQL: two tasks (of one
            # connector, or of connectors started together) creating the same table both pass the
            # existence check, and the loser fails on a catalog unique index (pg_type or pg_class).
            # One transaction-scoped lock serialises dbconnect's DDL in the database; READ COMMITTED
            # gives each statement after it a snapshot that sees the winner's committed table.
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK_KEY,))
            for statement in statements:
                cur.execute(statement, ())
        self.conn.commit()

    # -- writing --------------------------------------------------------------------------------
    def _stage(self, plan: TablePlan) -> str:
        """The plan's temp stage table on this connection, created on first use."""
        state = plan.state
        # The name lives as long as the plan (its statements are cached with it); "ready" only as
        # long as the connection and transaction that created the table.
        name = plan.sql.get("stage")
        if name is None:
            name = plan.sql["stage"] = f"dbconnect_stage_{next(_stage_ids)}"
        if not state.get("ready"):
            cols = ", ".join(f"s{i} {_stage_type(c)}" for i, c in enumerate(plan.columns))
            self.conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({cols}) ON COMMIT DELETE ROWS".replace(
                "%", "%%"), ())
            state["ready"] = True
            state["oids"] = [_stage_oid(c) for c in plan.columns]
        return name

    def _copy(self, plan: TablePlan, rows: list[Any]) -> str:
        stage = self._stage(plan)
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY {stage} FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(plan.state["oids"])
                data, fast_error = None, None
                if self.fast_copy:
                    # Formatted in full before anything is sent: if the private formatter fails,
                    # nothing reached the server and the public path can redo the batch in this COPY.
                    try:
                        data = _format_rows(copy, rows)
                    except Exception as exc:  # noqa: BLE001 — the public path decides (see below)
                        fast_error = exc
                if data is None:
                    write_row = copy.write_row
                    for row in rows:
                        write_row(row)  # a bad record fails here, with psycopg's public error
                    if fast_error is not None:
                        # The public path took rows the fast path refused: the internals changed.
                        self.fast_copy = False
                        log.warning("psycopg %s: binary COPY fast path failed on rows the public path accepts "
                                    "(%s: %s); using the public path from now on", psycopg.__version__,
                                    type(fast_error).__name__, fast_error)
                else:
                    write, view = copy.write, memoryview(data)  # chunks without copying the bytes
                    for start in range(0, len(view), _COPY_CHUNK):
                        write(view[start:start + _COPY_CHUNK])
        return stage

    def _sources(self, plan: TablePlan, alias: str = "") -> list[str]:
        prefix = f"{alias}." if alias else ""
        zone = self.cfg.timezone.key.replace("'", "''")
        sources = []
        for i, c in enumerate(plan.columns):
            if c.category in _CAST_CATEGORIES or c.category == DECIMAL:
                sources.append(f"{prefix}s{i}::{c.type_sql}")
            elif c.category == TIMESTAMP:  # instant → wall clock in db.timezone, by the server
                sources.append(f"({prefix}s{i} AT TIME ZONE '{zone}')::{c.type_sql}")
            else:
                sources.append(f"{prefix}s{i}")
        return sources

    def adapter(self, column: Column, schema: Any) -> Any:
        if column.category == TIMESTAMP:
            # Staged as timestamptz (see _sources): Connect Timestamps (aware) go in as they are.
            return None if value_kind(schema) == "timestamp" else R.parse_instant
        return super().adapter(column, schema)

    def _insert_sql(self, plan: TablePlan, stage: str, conflict: str) -> str:
        targets = ", ".join(self.quote(c.name) for c in plan.columns)
        order = ""
        if plan.key_columns:
            # Lock rows in key order: concurrent tasks on one table do not deadlock (Confluent #385).
            # (numeric keys by value, not by their staged text)
            order = " ORDER BY " + ", ".join(f"s{i}::{c.type_sql}" if c.category == DECIMAL else f"s{i}"
                                             for i, c in enumerate(plan.key_columns))
        return (f"INSERT INTO {self.quote_table(plan.table)} ({targets}) SELECT {', '.join(self._sources(plan))} "
                f"FROM {stage}{order}{conflict}")

    def _plain_insert_sql(self, plan: TablePlan, stage: str) -> str:
        sql = plan.sql.get("insert")
        if sql is None:
            sql = plan.sql["insert"] = self._insert_sql(plan, stage, "")
        return sql

    def insert(self, plan: TablePlan, rows: list[Any]) -> None:
        stage = self._copy(plan, rows)
        self.conn.execute(self._plain_insert_sql(plan, stage), ())

    def upsert(self, plan: TablePlan, rows: list[Any]) -> None:
        plan.require_keys("UPSERT")
        stage = self._copy(plan, rows)
        sql = plan.sql.get("upsert")
        if sql is None:
            keys = ", ".join(self.quote(c.name) for c in plan.key_columns)
            rest = plan.columns[len(plan.key_columns):]
            if rest:
                action = "DO UPDATE SET " + ", ".join(f"{self.quote(c.name)} = EXCLUDED.{self.quote(c.name)}"
                                                      for c in rest)
            else:
                action = "DO NOTHING"
            sql = plan.sql["upsert"] = self._insert_sql(plan, stage, f" ON CONFLICT ({keys}) {action}")
            if frozenset(c.name for c in plan.key_columns) in self._arbiters.get(plan.table, ()):
                plan.sql["insert_first"] = InsertFirst(self._plain_insert_sql(plan, stage))
        first: InsertFirst | None = plan.sql.get("insert_first")
        if first is not None and first.due():
            # The batch's keys are often all new (a table being replicated): the plain INSERT skips
            # ON CONFLICT's speculative insertion and is about twice as fast in the server. A unique
            # violation undoes it (the stage keeps its rows: the savepoint comes after the COPY) and
            # the upsert runs. Any unique violation: if it was another index's, the upsert raises
            # it again, as it would have without the try. One savepoint per table and batch, well
            # under the 64 subtransactions a transaction can have before snapshots get slower.
            self.conn.execute("SAVEPOINT dbconnect_insert_first", ())
            try:
                self.conn.execute(first.sql, ())
            except psycopg.errors.UniqueViolation:
                self.conn.execute("ROLLBACK TO SAVEPOINT dbconnect_insert_first", ())
                first.conflicted()
            else:
                self.conn.execute("RELEASE SAVEPOINT dbconnect_insert_first", ())
                first.inserted()
                return
        self.conn.execute(sql, ())

    def update(self, plan: TablePlan, rows: list[Any]) -> None:
        nk = plan.require_keys("UPDATE")
        if len(plan.columns) == nk:
            return  # nothing but the key: an UPDATE would change nothing
        stage = self._copy(plan, rows)
        sql = plan.sql.get("update")
        if sql is None:
            sources = self._sources(plan, "__dbc_s")
            sets = ", ".join(f"{self.quote(c.name)} = {src}" for c, src in zip(plan.columns[nk:], sources[nk:]))
            match = " AND ".join(f"__dbc_t.{self.quote(c.name)} = {src}"
                                 for c, src in zip(plan.key_columns, sources))
            sql = plan.sql["update"] = (f"UPDATE {self.quote_table(plan.table)} AS __dbc_t SET {sets} "
                                        f"FROM {stage} AS __dbc_s WHERE {match}")
        self.conn.execute(sql, ())

    def _key_param(self, value: Any, column: Column) -> Any:
        if value is None:
            return None
        if column.category in _CAST_CATEGORIES:
            return str(value)
        if column.category == TIMESTAMP:  # the wall clock in db.timezone, as stored
            return R.parse_instant(value).astimezone(self.cfg.timezone).replace(tzinfo=None)
        return value

    def delete(self, plan: TablePlan, keys: list[list[Any]]) -> None:
        if not keys:
            return
        sql = plan.sql.get("delete")
        if sql is None:
            cols = plan.key_columns
            arrays = [f"%s::{_array_type(c)}" for c in cols]
            if len(cols) == 1:
                where = f"{self.quote(cols[0].name)} = ANY({arrays[0]})"
            else:
                names = ", ".join(self.quote(c.name) for c in cols)
                where = f"({names}) IN (SELECT * FROM unnest({', '.join(arrays)}))"
            sql = plan.sql["delete"] = f"DELETE FROM {self.quote_table(plan.table)} WHERE {where}"
        for start in range(0, len(keys), 10_000):
            chunk = keys[start:start + 10_000]
            params = [[self._key_param(k[i], c) for k in chunk] for i, c in enumerate(plan.key_columns)]
            self.conn.execute(sql, params)

    # -- exactly once ---------------------------------------------------------------------------
    def ensure_offsets_table(self) -> None:
        def create() -> None:
            try:
                self.execute_ddl([
                    f"CREATE TABLE IF NOT EXISTS {OFFSETS_TABLE} (connector TEXT NOT NULL, topic TEXT NOT NULL, "
                    "kafka_partition INTEGER NOT NULL, next_offset BIGINT NOT NULL, "
                    "updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (connector, topic, kafka_partition))"])
            except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable, psycopg.errors.DuplicateObject):
                # execute_ddl serialises dbconnect's own DDL; a table created at the same moment by
                # something else can still make IF NOT EXISTS fail. Its table is what we wanted.
                self.conn.rollback()
                if self.conn.execute("SELECT to_regclass(%s)", (OFFSETS_TABLE,)).fetchone()[0] is None:
                    raise
                self.conn.rollback()
        self.run(create)

    def insert_offset(self, topic: str, partition: int, offset: int) -> bool:
        # A concurrent insert of the same key makes this one wait for its outcome.
        cur = self.conn.execute(
            f"INSERT INTO {OFFSETS_TABLE} (connector, topic, kafka_partition, next_offset) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (connector, topic, kafka_partition) DO NOTHING",
            (self.cfg.connector_name, topic, partition, offset))
        return cur.rowcount == 1

    def replace_offset(self, topic: str, partition: int, expected: int, offset: int) -> bool:
        # READ COMMITTED: after waiting for a concurrent writer's row lock the WHERE is checked
        # again against the row it committed.
        cur = self.conn.execute(
            f"UPDATE {OFFSETS_TABLE} SET next_offset = %s, updated_at = now() WHERE connector = %s AND topic = %s "
            "AND kafka_partition = %s AND next_offset = %s",
            (offset, self.cfg.connector_name, topic, partition, expected))
        return cur.rowcount == 1

    def read_offsets(self, topics: Iterable[str]) -> dict[tuple[str, int], int]:
        def load() -> dict[tuple[str, int], int]:
            rows = self.conn.execute(
                f"SELECT topic, kafka_partition, next_offset FROM {OFFSETS_TABLE} WHERE connector = %s "
                "AND topic = ANY(%s)", (self.cfg.connector_name, list(topics))).fetchall()
            self.conn.commit()
            return {(t, p): o for t, p, o in rows}
        return self.run(load)


class InsertFirst:
    """When an upsert tries the plain INSERT first: always while batches insert only new keys; after
    a conflict, only again after 1, 2, 4 … 64 skipped batches, so a stream of updates wastes at
    most one try in 65 batches."""

    __slots__ = ("sql", "skip", "wait", "inserts", "conflicts")
    MAX_WAIT = 64

    def __init__(self, sql: str) -> None:
        self.sql = sql  # INSERT INTO t SELECT … FROM stage ORDER BY key (no ON CONFLICT)
        self.skip = 0  # batches left to upsert directly
        self.wait = 1  # batches to skip after the next conflict
        self.inserts = self.conflicts = 0  # how often each happened (the tests read them)

    def due(self) -> bool:
        if self.skip:
            self.skip -= 1
            return False
        return True

    def inserted(self) -> None:
        self.inserts += 1
        self.wait = 1

    def conflicted(self) -> None:
        self.conflicts += 1
        self.skip, self.wait = self.wait, min(self.wait * 2, self.MAX_WAIT)


def _format_rows(copy: Any, rows: list[Any]) -> bytearray:
    """The whole binary COPY stream, formatted row by row in C (psycopg's private formatter)."""
    fmt, tx = _format_row_binary, copy.formatter.transformer
    out = bytearray(_COPY_SIGNATURE)
    for row in rows:
        fmt(row, tx, out)
    out += _COPY_TRAILER
    return out


# The self-test row: one value of each dumper family the stage tables use, and a NULL.
_PROBE_OIDS = (23, 20, 25, 17, 701, 16, _TEXT_OID)
_PROBE_ROW = (42, -(2 ** 40), "é x", b"\x00\xff", 1.5, True, None)


def fast_copy_problem(conn: Any) -> str | None:
    """Why the private fast path cannot be used with this psycopg, or None when it can.

    It must exist and produce, for a tiny row, exactly the bytes psycopg's public ``Copy.write_row``
    produces (written to memory through the public ``FileWriter``: nothing is sent to the server).
    """
    if _format_row_binary is None:
        return "psycopg._copy_base.format_row_binary is missing"
    try:
        with conn.cursor() as cur:
            expected = io.BytesIO()
            with psycopg.Copy(cur, binary=True, writer=psycopg.copy.FileWriter(expected)) as public:
                public.set_types(list(_PROBE_OIDS))
                public.write_row(_PROBE_ROW)
            probe = psycopg.Copy(cur, binary=True, writer=psycopg.copy.FileWriter(io.BytesIO()))
            probe.set_types(list(_PROBE_OIDS))
            actual = _format_rows(probe, [_PROBE_ROW])
    except Exception as exc:  # noqa: BLE001 — any failure means: do not use it
        return f"self-test failed: {type(exc).__name__}: {exc}"
    if bytes(actual) != expected.getvalue():
        return "self-test row formatted differently from Copy.write_row"
    return None
