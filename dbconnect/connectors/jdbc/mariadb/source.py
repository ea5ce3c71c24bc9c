"""The MariaDB (and MySQL) source dialect (PyMySQL): unbuffered SSCursor reads, the catalog, and
innodb_trx for open transactions (the bounds). Type mapping is in types.py, connecting in
connection.py."""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

import pymysql
import pymysql.cursors
from pymysql.constants import FLAG

from ..dialect import APPLICATION_NAME, SQL_MARKER, UNKNOWN_TRANSACTIONS, ColumnMapping, Dialect, JsonReady, TableId
from ..tls import tls_policy
from .connection import ensure_encrypted, is_connection_error, is_missing_table, pymysql_tls
from .types import field_mapping, json_ready
from ..catalog import Catalog, CatalogDiscovery, like, relations

log = logging.getLogger(__name__)

_UTC = dt.timezone.utc
_ISOLATION = {"READ_UNCOMMITTED": "READ UNCOMMITTED", "READ_COMMITTED": "READ COMMITTED",
              "REPEATABLE_READ": "REPEATABLE READ", "SERIALIZABLE": "SERIALIZABLE",
              "SQL_SERVER_SNAPSHOT": "REPEATABLE READ"}
# table.types → the inspector's listing (catalog.relations); SYSTEM VIEWs are not its to list.
_TABLE_KINDS = {"TABLE": "table", "VIEW": "view"}
_MARKER_LIKE = SQL_MARKER.strip().replace("*", "*") + "%"
_CACHE_WINDOW_S = 0.11  # InnoDB refreshes the innodb_trx cache after 0.1 s without a read
FRESHNESS_ATTEMPTS = 8
# Each retry waits one cache window plus a random share of attempt × window (≤ 3.9 s in all). The
# randomness is what lets several readers of one server converge: tasks that retried in step (they
# start together, and poll on the same interval) kept each other's reads under 0.1 s apart, so the
# cache never refreshed for any of them (a test with 9 connectors on one server held their bounds back for 60 s).
_RETRY_JITTER_S = _CACHE_WINDOW_S
# time_bound's "oldest writer" when the list could not be proved fresh: before any row, so the
# round reads nothing new (MariaDB's DATETIME starts at 1000-01-01).
_UNKNOWN_OLDEST = dt.datetime(1000, 1, 2, tzinfo=_UTC)


class MariaDbDialect(CatalogDiscovery, Dialect):
    name = "MySqlDatabaseDialect"
    quote_char = "`"

    def __init__(self, spec: Any, config: Any) -> None:
        super().__init__(spec, config)
        # Table, column and key discovery (catalog.py), on connections of its own.
        self.catalog = Catalog("mysql+pymysql://", lambda: self.connect(autocommit=True))
        self.stale_reads = 0  # times innodb_trx could not be proved fresh (reported, see _fresh_trx)
        self._next_stale_log = 0.0

    # -- connections ----------------------------------------------------------------------------
    def connect(self, *, autocommit: bool) -> Any:
        spec = self.spec
        policy = tls_policy(spec)
        # PyMySQL's own connect, not connection.Connection's shared TLS context: with connections
        # 50 ms faster, the innodb_trx freshness proof (time_bound) failed to see a cache refresh
        # (test_jdbc_source_granularity_mapping, timestamp+incrementing on MariaDB, held back).
        conn = pymysql.connect(host=spec.host, port=spec.port, user=spec.user or "", password=spec.password or "",
                               database=spec.database, charset="utf8mb4", autocommit=autocommit,
                               connect_timeout=10, program_name=APPLICATION_NAME,
                               # TIMESTAMP columns then read as UTC; DATETIME stays wall-clock (db.timezone).
                               init_command="SET time_zone = '+00:00'", **pymysql_tls(policy))
        ensure_encrypted(conn, policy)
        if not autocommit:
            level = _ISOLATION.get(self.config.isolation)
            if level:
                with conn.cursor() as cur:
                    cur.execute(f"SET SESSION TRANSACTION ISOLATION LEVEL {level}")
        return conn

    def is_connection_error(self, exc: BaseException) -> bool:
        return is_connection_error(exc)

    def is_missing_table(self, exc: BaseException) -> bool:
        return is_missing_table(exc)

    def begin_read(self, conn: Any) -> None:
        # READ ONLY: other tasks' readers then show trx_is_read_only = 1 and are not waited for.
        with conn.cursor() as cur:
            cur.execute("START TRANSACTION READ ONLY")

    def open_cursor(self, conn: Any, sql: str, params: Sequence[Any] | None, fetch_size: int,
                    json_ready: bool = False) -> Any:
        cursor = conn.cursor(pymysql.cursors.SSCursor)
        cursor.execute(SQL_MARKER + sql, params)
        return cursor

    def end_read(self, conn: Any, cursor: Any) -> None:
        try:
            if cursor is not None:
                cursor.close()  # drains what is left of an unbuffered result
        finally:
            conn.rollback()

    # -- catalog --------------------------------------------------------------------------------
    def _rows(self, conn: Any, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    def list_tables(self, conn: Any) -> list[TableId]:
        cfg = self.config
        with self.catalog.inspect() as insp:
            if cfg.catalog_pattern is not None:  # MariaDB's catalog is the database (schema)
                schemas = [s for s in insp.get_schema_names() if like(cfg.catalog_pattern, s, ignore_case=True)]
            else:
                schemas = [insp.default_schema_name] if insp.default_schema_name else []  # DATABASE()
            found = relations(insp, schemas, (_TABLE_KINDS.get(t, "") for t in cfg.table_types))
        return [TableId(s, None, n) for s, n in found]

    def inspector_schema(self, table: TableId) -> str | None:
        return table.catalog

    # Not the inspector's job: auto_increment_increment is a server variable, not catalog.
    def increment_step(self, conn: Any, table: TableId | None, column: str) -> int:
        row = self._rows(conn, "SELECT @@auto_increment_increment")
        return int(row[0][0]) if row and row[0][0] else 1

    # -- time and transactions ------------------------------------------------------------------
    # information_schema.innodb_trx is served from a cache that InnoDB refreshes only when more
    # than 0.1 s have passed since its last read, so back-to-back readers (other tables, tasks,
    # monitoring) can keep it stale for ever: a transaction begun after the cached copy is then
    # invisible. Freshness is *proved* before the list is trusted: a new connection (its id is
    # new, never reused while the server runs) opens a transaction, and the list is accepted
    # only if it shows that transaction, i.e. was filled after it began. See
    # docs/design/jdbc-source.md, "No missed rows".
    def _fresh_trx(self, conn: Any) -> tuple[dt.datetime, dt.datetime, list[tuple]] | None:
        """(now, probe start, innodb_trx rows of other sessions) from a list proved fresh, or None
        when freshness could not be proved within ``FRESHNESS_ATTEMPTS`` cache windows."""
        for attempt in range(FRESHNESS_ATTEMPTS):
            if attempt:  # let the cache's idle window pass (and other readers' retries drift apart)
                time.sleep(_CACHE_WINDOW_S + random.uniform(0.0, _RETRY_JITTER_S * attempt))
            probe = self.connect(autocommit=True)
            try:
                with probe.cursor() as cur:
                    cur.execute(SQL_MARKER + "SELECT CONNECTION_ID(), NOW(6)")
                    probe_id, probe_start = cur.fetchone()
                    # READ ONLY: other readers' bounds ignore it (trx_is_read_only = 1).
                    cur.execute(SQL_MARKER + "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
                rows = self._rows(conn, SQL_MARKER + (
                    "SELECT NOW(6), trx_mysql_thread_id, trx_id, trx_started, trx_is_read_only, trx_rows_modified "
                    "FROM information_schema.innodb_trx WHERE trx_mysql_thread_id <> CONNECTION_ID()"))
            finally:
                probe.close()
            if any(r[1] == probe_id for r in rows):
                self.untrusted = None
                now = rows[0][0]
                return now, probe_start, [r[1:] for r in rows if r[1] != probe_id]
        return None

    def _report_unproved(self) -> None:
        self.stale_reads += 1
        self.oldest_writer = None
        self.untrusted = ("information_schema.innodb_trx could not be proved fresh (something reads it more often "
                          "than every 0.1 s), so the bound is not advanced")
        if time.monotonic() < self._next_stale_log:
            return
        self._next_stale_log = time.monotonic() + 60  # at most once a minute
        log.warning("information_schema.innodb_trx stayed stale for %d consecutive cache windows (something "
                    "reads it more often than every 0.1 s): the bound is not advanced this round", FRESHNESS_ATTEMPTS)

    def time_bound(self, conn: Any) -> tuple[dt.datetime, dt.datetime | None]:
        # MariaDB's CURRENT_TIMESTAMP is the *statement* start, so only two kinds of writers can
        # still commit a row stamped before now: a transaction that has already modified rows
        # (its rows are stamped no earlier than its start, trx_started, whole seconds), and a
        # statement running right now (stamped at its start = now - TIME_MS). Read-only
        # transactions and SELECTs are ignored; our own statements carry SQL_MARKER.
        fresh = self._fresh_trx(conn)
        if fresh is None:
            self._report_unproved()
            now = self._rows(conn, "SELECT NOW(6)")[0][0]
            # Nothing is known about writers: an oldest start before any row holds the bound back.
            return now.replace(tzinfo=_UTC), _UNKNOWN_OLDEST
        _now, probe_start, trx_rows = fresh
        rows = self._rows(conn, SQL_MARKER + (
            "SELECT NOW(6), "
            "(SELECT MIN(NOW(6) - INTERVAL CAST(time_ms * 1000 AS SIGNED) MICROSECOND) FROM information_schema.processlist "
            " WHERE id <> CONNECTION_ID() AND command IN ('Query', 'Execute') AND info IS NOT NULL "
            " AND info NOT LIKE %s AND TRIM(info) NOT LIKE 'select%%' AND TRIM(info) NOT LIKE 'show%%')"),
            (_MARKER_LIKE,))
        now, stmt = rows[0]
        trx = min((started for _id, _trx, started, read_only, modified in trx_rows
                   if not read_only and modified), default=None)
        # A writer missing from the list began after it was filled, so after probe_start: its
        # rows are stamped no earlier than that.
        oldest = min((t for t in (trx, stmt, probe_start) if t is not None))
        self.oldest_writer = _oldest(now, ((tid, started) for tid, _trx, started, read_only, modified in trx_rows
                                           if not read_only and modified))
        return now.replace(tzinfo=_UTC), oldest.replace(tzinfo=_UTC)

    def open_transactions(self, conn: Any) -> frozenset:
        fresh = self._fresh_trx(conn)
        if fresh is None:
            self._report_unproved()
            return UNKNOWN_TRANSACTIONS
        now, _probe, rows = fresh
        self.oldest_writer = _oldest(now, ((tid, started) for tid, _trx, started, read_only, _mod in rows
                                           if not read_only))
        return frozenset((tid, trx_id, started) for tid, trx_id, started, read_only, _mod in rows if not read_only)

    # -- types ----------------------------------------------------------------------------------
    def result_signature(self, cursor: Any) -> tuple:
        return tuple((f.name, f.type_code, f.length, f.flags, f.scale, f.charsetnr) for f in result_fields(cursor))

    def map_columns(self, conn: Any, cursor: Any, nullable: dict[str, bool] | None) -> list[ColumnMapping]:
        return [self._field(f, nullable) for f in result_fields(cursor)]

    def _field(self, f: Any, nullable: dict[str, bool] | None) -> ColumnMapping:
        return field_mapping(f, nullable, self.config)

    # -- JSON-ready columns (api/payload.py) -----------------------------------------------------
    def json_ready(self, column: ColumnMapping, quoted: str, payload_format: Any) -> JsonReady | None:
        return json_ready(column, quoted, payload_format, self.config)

    def bind_timestamp(self, instant: dt.datetime, zone_less: bool) -> Any:
        # TIMESTAMP columns are compared in the session zone (UTC); DATETIME in db.timezone.
        zone = self.config.timezone if zone_less else _UTC
        return instant.astimezone(zone).replace(tzinfo=None)


def _oldest(now: dt.datetime, writers: Any) -> tuple[int, float] | None:
    """(thread id, age in seconds) of the writer that started first, or None."""
    first = min(writers, key=lambda w: w[1], default=None)
    return None if first is None else (first[0], (now - first[1]).total_seconds())


# -- PyMySQL's per-column metadata, guarded ---------------------------------------------------------

_FIELD_ATTRS = ("name", "type_code", "length", "flags", "scale", "charsetnr")
_fallback_logged = False


class _DescribedField(NamedTuple):
    """A column described by the public DB-API ``cursor.description`` only."""

    name: str
    type_code: int
    length: int
    flags: int
    scale: int
    charsetnr: int  # 0: unknown (the description does not carry it)


def result_fields(cursor: Any) -> Sequence[Any]:
    """The result's column metadata: PyMySQL's PRIVATE ``cursor._result.fields`` (flags: unsigned,
    not null; charset: binary or text) when it has the expected shape, else the public description.

    A PyMySQL that moved or changed ``_result.fields`` degrades the mapping (logged once: unsigned
    integers are mapped as signed, binary strings as text) instead of failing every record.
    """
    fields = getattr(getattr(cursor, "_result", None), "fields", None)
    if fields is not None and all(hasattr(f, a) for f in fields for a in _FIELD_ATTRS):
        return fields
    global _fallback_logged
    if not _fallback_logged:
        _fallback_logged = True
        log.warning("PyMySQL %s has no usable cursor._result.fields: column metadata comes from cursor.description "
                    "(UNSIGNED and binary character sets are not visible: unsigned integers are mapped as "
                    "signed, BINARY/VARBINARY/BLOB as strings)", getattr(pymysql, "__version__", "?"))
    return [_DescribedField(d[0], d[1], d[3] or d[2] or 0, 0 if d[6] else FLAG.NOT_NULL, d[5] or 0, 0)
            for d in cursor.description or ()]
