"""The PostgreSQL source dialect (psycopg 3): named (server-side) cursors, the catalog, and
pg_stat_activity for open transactions (the bounds). Type mapping is in types.py, connecting in
connection.py."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import IsolationLevel
from psycopg.types.string import TextLoader

from ..dialect import APPLICATION_NAME, SQL_MARKER, ColumnMapping, Dialect, JsonReady, TableId
from .. import types as T
from .connection import is_connection_error, is_missing_table, libpq_settings
from .types import TEXT_TYPES as _TEXT_TYPES
from .types import json_ready, scalar_mapping
from ..catalog import Catalog, CatalogDiscovery, like, relations

log = logging.getLogger(__name__)

_ISOLATION = {"READ_UNCOMMITTED": IsolationLevel.READ_UNCOMMITTED, "READ_COMMITTED": IsolationLevel.READ_COMMITTED,
              "REPEATABLE_READ": IsolationLevel.REPEATABLE_READ, "SERIALIZABLE": IsolationLevel.SERIALIZABLE,
              "SQL_SERVER_SNAPSHOT": IsolationLevel.REPEATABLE_READ}
# table.types (information_schema's names) → the inspector's listing (catalog.relations).
_TABLE_KINDS = {"TABLE": "table", "PARTITIONED TABLE": "table", "VIEW": "view", "FOREIGN": "foreign"}
# Sessions that cannot insert user rows, whatever their transaction state.
_OTHER_SESSIONS = ("pid <> pg_backend_pid() AND datname = current_database() AND xact_start IS NOT NULL "
                   "AND backend_type NOT IN ('autovacuum worker', 'autovacuum launcher', 'walsender') "
                   "AND application_name IS DISTINCT FROM %s")
_cursor_ids = itertools.count(1)


class PostgreSqlDialect(CatalogDiscovery, Dialect):
    name = "PostgreSqlDatabaseDialect"
    quote_char = '"'

    def __init__(self, spec: Any, config: Any) -> None:
        super().__init__(spec, config)
        self._checked_visibility = False
        # Table, column and key discovery (catalog.py), on connections of its own.
        self.catalog = Catalog("postgresql+psycopg://", lambda: self.connect(autocommit=True))

    # -- connections ----------------------------------------------------------------------------
    def connect(self, *, autocommit: bool) -> Any:
        spec = self.spec
        kwargs = libpq_settings(spec)
        # ISO-8601 intervals ("P1DT2H") and ISO dates whatever the server's defaults.
        options = (kwargs.pop("options", "") + " -c IntervalStyle=iso_8601 -c DateStyle=ISO").strip()
        conn = psycopg.connect(host=spec.host, port=spec.port, dbname=spec.database, user=spec.user,
                               password=spec.password, application_name=APPLICATION_NAME, autocommit=autocommit,
                               options=options, **kwargs)
        for name in _TEXT_TYPES:
            conn.adapters.register_loader(name, TextLoader)
        if not autocommit:
            level = _ISOLATION.get(self.config.isolation)
            if level is not None:
                conn.isolation_level = level
            conn.read_only = True
        elif not self._checked_visibility:
            self._checked_visibility = True
            self._warn_if_blind(conn)
        return conn

    def visibility_problem(self, conn: Any) -> str | None:
        # Without pg_read_all_stats, pg_stat_activity hides other roles' xact_start, and the
        # open-transaction bound could not see their transactions.
        row = conn.execute("SELECT rolsuper OR pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') "
                           "FROM pg_roles WHERE rolname = current_user").fetchone()
        if row and row[0]:
            return None
        user = self.spec.user or "the connecting role"
        return (f"Role {user} lacks the pg_read_all_stats privilege (and is not superuser): pg_stat_activity hides "
                "the xact_start of other roles' sessions, so rows their open transactions commit late can be "
                f"missed. GRANT pg_read_all_stats TO {user}, or set open.transactions.visibility.required=false "
                "to accept that risk")

    def _warn_if_blind(self, conn: Any) -> None:
        problem = self.visibility_problem(conn)
        if not problem:
            return
        if getattr(self.config, "visibility_required", True):
            log.warning("%s", problem)
        else:
            # The user set open.transactions.visibility.required=false: the risk is accepted, and a
            # warning telling them to set it would be noise. Say once what it means.
            log.info("Role %s lacks pg_read_all_stats; open.transactions.visibility.required=false accepts that "
                     "rows committed late by other roles' open transactions can be missed",
                     self.spec.user or "the connecting role")

    def is_connection_error(self, exc: BaseException) -> bool:
        return is_connection_error(exc)

    def is_missing_table(self, exc: BaseException) -> bool:
        return is_missing_table(exc)

    def begin_read(self, conn: Any) -> None:
        pass  # psycopg opens the transaction at the first statement; isolation/read-only set at connect

    def open_cursor(self, conn: Any, sql: str, params: Sequence[Any] | None, fetch_size: int,
                    json_ready: bool = False) -> Any:
        # JSON-ready rows (ints, floats, booleans, text) are read in binary: cheaper to send and
        # to parse. json_ready() casts every value to a type whose binary form loads the same.
        cursor = conn.cursor(name=f"dbconnect_{next(_cursor_ids)}", binary=json_ready)
        cursor.itersize = fetch_size
        cursor.execute(SQL_MARKER + sql, params)
        return cursor

    # -- identifiers / catalog ------------------------------------------------------------------
    def table_name_parts(self, table: TableId) -> tuple[str, ...]:
        # The catalog is the connected database; PostgreSQL rejects cross-database names.
        return tuple(p for p in (table.schema, table.name) if p)

    def list_tables(self, conn: Any) -> list[TableId]:
        cfg = self.config
        database = conn.info.dbname  # the catalog is the connected database (current_database())
        if cfg.catalog_pattern is not None and not like(cfg.catalog_pattern, database, ignore_case=False):
            return []
        with self.catalog.inspect() as insp:
            schemas = [s for s in insp.get_schema_names() if s != "information_schema" and not s.startswith("pg_")
                       and (cfg.schema_pattern is None or like(cfg.schema_pattern, s, ignore_case=False))]
            found = relations(insp, schemas, (_TABLE_KINDS.get(t, "") for t in cfg.table_types))
        return [TableId(database, s, n) for s, n in self._usable(conn, found)]

    def _usable(self, conn: Any, found: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
        # Not the inspector's job: it lists every relation in pg_class, while information_schema
        # (and so the JDBC driver's getTables, and dbconnect before SQLAlchemy) lists only those
        # the role owns or holds a privilege on. Keep that: a table the role cannot touch is not
        # one to read.
        if not found:
            return found
        rows = conn.execute(
            "SELECT pg_has_role(c.relowner, 'USAGE') OR has_table_privilege(c.oid, "
            "'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') OR has_any_column_privilege(c.oid, "
            "'SELECT, INSERT, UPDATE, REFERENCES') FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS r(s, n, i) "
            "LEFT JOIN pg_namespace ns ON ns.nspname = r.s LEFT JOIN pg_class c ON c.relnamespace = ns.oid "
            "AND c.relname = r.n ORDER BY r.i", ([s for s, _ in found], [n for _, n in found])).fetchall()
        return [f for f, (usable,) in zip(found, rows) if usable]

    def inspector_schema(self, table: TableId) -> str | None:
        return table.schema

    # Not the inspector's job: it gives a serial column's sequence name at most, not its step.
    def increment_step(self, conn: Any, table: TableId | None, column: str) -> int:
        if table is None:
            return 1
        row = conn.execute(
            "SELECT s.seqincrement FROM pg_sequence s WHERE s.seqrelid = "
            "pg_get_serial_sequence(quote_ident(%s) || '.' || quote_ident(%s), %s)::regclass",
            (table.schema, table.name, column)).fetchone()
        return int(row[0]) if row and row[0] and row[0] > 0 else 1

    # -- time and transactions ------------------------------------------------------------------
    def time_bound(self, conn: Any) -> tuple[dt.datetime, dt.datetime | None]:
        # now() is the start of this (autocommit) statement. Another session's now() — what its
        # DEFAULT now() / CURRENT_TIMESTAMP columns get — is its transaction start, so the oldest
        # xact_start of the other open transactions bounds every timestamp still to be committed.
        row = conn.execute(f"{SQL_MARKER}SELECT now(), o.xact_start, o.pid, extract(epoch FROM now() - o.xact_start) "
                           f"FROM (SELECT 1) one LEFT JOIN (SELECT pid, xact_start FROM pg_stat_activity "
                           f"WHERE {_OTHER_SESSIONS} ORDER BY xact_start LIMIT 1) o ON true",
                           (APPLICATION_NAME,)).fetchone()
        self.oldest_writer = (row[2], float(row[3])) if row[1] is not None else None
        return row[0], row[1]

    def open_transactions(self, conn: Any) -> frozenset:
        rows = conn.execute(f"{SQL_MARKER}SELECT pid, xact_start, extract(epoch FROM now() - xact_start) "
                            f"FROM pg_stat_activity WHERE {_OTHER_SESSIONS}", (APPLICATION_NAME,)).fetchall()
        self.oldest_writer = max(((pid, float(age)) for pid, _start, age in rows), key=lambda w: w[1], default=None)
        return frozenset((pid, start) for pid, start, _age in rows)

    # -- types ----------------------------------------------------------------------------------
    def result_signature(self, cursor: Any) -> tuple:
        return tuple((c.name, c.type_code, c.precision, c.scale) for c in cursor.description)

    def _type_info(self, conn: Any, oids: list[int]) -> dict[int, tuple]:
        # Not the inspector's job (catalog.py): it reflects tables by name, while a result's
        # columns are type oids (of a query, too), whose array element / domain base types only
        # pg_type knows.
        rows = conn.execute(
            "SELECT t.oid::int, t.typname, t.typtype, t.typcategory, e.typname, e.typtype, b.typname "
            "FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A' "
            "LEFT JOIN pg_type b ON b.oid = t.typbasetype AND t.typtype = 'd' "
            "WHERE t.oid = ANY(%s)", (oids,)).fetchall()
        return {r[0]: r[1:] for r in rows}

    def map_columns(self, conn: Any, cursor: Any, nullable: dict[str, bool] | None) -> list[ColumnMapping]:
        desc = cursor.description
        info = self._type_info(conn, sorted({c.type_code for c in desc}))
        out = []
        for c in desc:
            optional = True if nullable is None else nullable.get(c.name, True)
            typname, typtype, category, elem, elem_type, base = info.get(c.type_code, ("text", "b", "S", None, None, None))
            if typtype == "d" and base:
                typname = base
            if category == "A" and elem:
                element, conv = self._scalar(elem, "e" if elem_type == "e" else "b", None, None, True)
                inner = element.convert
                if element.is_timestamp:  # elements follow timestamp.granularity as scalar columns do
                    inner = T.apply_granularity([element], self.config.timestamp_granularity,
                                                self.config.timezone).get(0, inner)
                mapping = ColumnMapping(c.name, T.array_schema(element.schema, optional))
                if inner is not None:
                    mapping.convert = lambda v, f=inner: None if v is None else [None if x is None else f(x) for x in v]
                out.append(mapping)
                continue
            mapping, _ = self._scalar(typname, typtype, c.precision, c.scale, optional)
            mapping.name = c.name
            mapping.type_name = "enum" if typtype == "e" else typname
            out.append(mapping)
        return out

    def _scalar(self, typname: str, typtype: str, precision: int | None, scale: int | None,
                optional: bool) -> tuple[ColumnMapping, None]:
        return scalar_mapping(typname, typtype, precision, scale, optional, self.config), None

    # -- JSON-ready columns (api/payload.py) -----------------------------------------------------
    def json_ready(self, column: ColumnMapping, quoted: str, payload_format: Any) -> JsonReady | None:
        return json_ready(column, quoted, payload_format, self.config)
