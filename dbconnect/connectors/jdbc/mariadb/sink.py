"""MariaDB / MySQL writer (PyMySQL): multi-row INSERT … ON DUPLICATE KEY UPDATE.

Inserts and upserts are multi-row statements of up to ~1 MB each, so a batch of 10,000 rows costs a
handful of round trips: the SQL text PyMySQL's ``executemany`` would send for
``INSERT … VALUES (%s, …) [ON DUPLICATE KEY UPDATE …]``, formatted by code generated per row shape
(``rows_formatter`` below) instead of three generic calls per value. Deletes are ``DELETE … WHERE key
IN (…)`` in chunks. DDL commits implicitly in MariaDB, which is why tables are created and altered before the data transaction.
"""

from __future__ import annotations

import datetime
import decimal
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pymysql
from pymysql.constants import SERVER_STATUS
from pymysql.converters import escape_string

from ..catalog import Catalog, type_name
from ..dialect import TableId
from ..sink.records import SinkField
from ..sink.writers.base import APPLICATION_NAME, OFFSETS_TABLE, TEXT, Column, TableInfo, TablePlan, Writer
from ..sink.writers.errors import TRANSIENT, classify_errno
from ..tls import tls_policy
from .connection import Connection, ensure_encrypted, pymysql_tls
from .types import CATEGORIES as _CATEGORIES  # the name reflect() reads
from .types import ddl_type, reflected_type_sql

log = logging.getLogger(__name__)

_DELETE_CHUNK = 1000


class MariaDbWriter(Writer):
    max_identifier = 64
    quote_char = "`"
    sort_keys = True  # rows inserted in key order: concurrent tasks do not deadlock (Confluent #385)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._formatters: dict[tuple[tuple[type, ...], bool], RowsFormatter] = {}
        # auto.evolve's reflection (catalog.py), on connections of its own with the writer's settings.
        self.catalog = Catalog("mysql+pymysql://", self._connect)

    # -- connections ----------------------------------------------------------------------------
    def _connect(self) -> Any:
        spec = self.spec
        policy = tls_policy(spec)
        conn = Connection(host=spec.host, port=spec.port, user=spec.user, password=spec.password or "",
                               database=spec.database, autocommit=False, charset="utf8mb4", connect_timeout=10,
                               program_name=APPLICATION_NAME, **pymysql_tls(policy))
        ensure_encrypted(conn, policy)
        with conn.cursor() as cur:
            # Strict mode: a value that does not fit fails (and goes to the DLQ) instead of being
            # silently truncated, whatever the server's default sql_mode is.
            cur.execute("SET SESSION sql_mode = CONCAT_WS(',', @@SESSION.sql_mode, 'STRICT_TRANS_TABLES')")
            offset = self._utc_offset()
            if offset is not None:
                # TIMESTAMP columns convert from the session zone; db.timezone is what we write in.
                cur.execute("SET SESSION time_zone = %s", (offset,))
        conn.commit()
        return conn

    def _utc_offset(self) -> str | None:
        key = getattr(self.cfg.timezone, "key", "UTC")
        return "+00:00" if key in ("UTC", "Etc/UTC") else None

    def is_transient(self, exc: BaseException) -> bool:
        # By error number (errors.MARIADB_ERRNO): PyMySQL raises OperationalError for most server
        # errors, data and limits included. An unknown number falls back on the driver's class.
        if isinstance(exc, pymysql.err.Error):
            errno = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
            kind = classify_errno(errno)
            if kind is not None:
                return kind == TRANSIENT
            return isinstance(exc, (pymysql.err.OperationalError, pymysql.err.InterfaceError,
                                    pymysql.err.InternalError))
        return isinstance(exc, (ConnectionError, OSError))

    def describe_error(self, exc: BaseException) -> str:
        if isinstance(exc, pymysql.err.Error) and len(exc.args) >= 2:
            return self.spec.scrub(f"{type(exc).__name__}: ({exc.args[0]}) {exc.args[1]}")
        return super().describe_error(exc)

    # -- catalog and DDL ------------------------------------------------------------------------
    def _database(self, table: TableId) -> str:
        return table.schema or self.spec.database

    def reflect(self, table: TableId) -> TableInfo | None:
        database = self._database(table)
        with self.catalog.inspect() as insp:
            if not insp.has_table(table.name, database):
                return None
            # A MariaDB SEQUENCE is a table to has_table(): table.types must refuse it by its kind.
            kind = ("VIEW" if table.name in insp.get_view_names(database)
                    else "SEQUENCE" if table.name in insp.get_sequence_names(database) else "TABLE")
            reflected = insp.get_columns(table.name, database)
        columns = {c["name"]: Column(c["name"], _CATEGORIES.get(type_name(c["type"]), TEXT), reflected_type_sql(c["type"]),
                                     bool(c["nullable"]))
                   for c in reflected}
        return TableInfo(table, columns, kind)

    def column_type(self, field: SinkField) -> str:
        return ddl_type(field)

    def default_literal(self, value: Any) -> str:
        return self.conn.escape(value).replace("%", "%%")

    def execute_ddl(self, statements: Iterable[str]) -> None:
        with self.conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement, ())
        self.conn.commit()

    # -- writing --------------------------------------------------------------------------------
    def _insert_rows(self, plan: TablePlan, kind: str, suffix: str, rows: list[Any]) -> None:
        """``INSERT INTO t (…) VALUES (…),(…)…{suffix}``: what PyMySQL's ``executemany`` sends for
        ``… VALUES (%s, …){suffix}``, with the VALUES formatted by code generated per row shape.
        ``suffix`` is run as it is (no parameters: a % in it is single)."""
        if not rows:
            return
        head = plan.sql.get(kind)
        if head is None:
            targets = ", ".join(self.quote(c.name) for c in plan.columns)
            # Run without parameters: the identifiers' doubled % (quote()) are single again, as
            # executemany's `prefix % ()` makes them.
            head = plan.sql[kind] = f"INSERT INTO {self.quote_table(plan.table)} ({targets}) VALUES " % ()
        conn = self.conn
        shape = (row_shape(rows), backslash_escapes(conn))
        formatter = self._formatters.get(shape)
        if formatter is None:
            formatter = self._formatters[shape] = rows_formatter(*shape)
        with conn.cursor() as cur:
            for statement in statements(head, formatter(rows, conn.escape), suffix, conn.encoding,
                                        cur.max_stmt_length):
                cur.execute(statement)

    def insert(self, plan: TablePlan, rows: list[Any]) -> None:
        self._insert_rows(plan, "insert", "", rows)

    def upsert(self, plan: TablePlan, rows: list[Any]) -> None:
        plan.require_keys("UPSERT")
        suffix = plan.sql.get("upsert.suffix")
        if suffix is None:
            rest = plan.columns[len(plan.key_columns):] or plan.key_columns
            updates = ", ".join(f"{self.quote(c.name)}=VALUES({self.quote(c.name)})" for c in rest)
            suffix = plan.sql["upsert.suffix"] = f" ON DUPLICATE KEY UPDATE {updates}" % ()
        self._insert_rows(plan, "insert", suffix, rows)

    def update(self, plan: TablePlan, rows: list[Any]) -> None:
        nk = plan.require_keys("UPDATE")
        if len(plan.columns) == nk:
            return
        sql = plan.sql.get("update")
        if sql is None:
            sets = ", ".join(f"{self.quote(c.name)} = %s" for c in plan.columns[nk:])
            match = " AND ".join(f"{self.quote(c.name)} = %s" for c in plan.key_columns)
            sql = plan.sql["update"] = f"UPDATE {self.quote_table(plan.table)} SET {sets} WHERE {match}"
        with self.conn.cursor() as cur:
            cur.executemany(sql, [list(row[nk:]) + list(row[:nk]) for row in rows])

    def delete(self, plan: TablePlan, keys: list[list[Any]]) -> None:
        if not keys:
            return
        cols = plan.key_columns
        table = self.quote_table(plan.table)
        one = "%s" if len(cols) == 1 else "(" + ", ".join(["%s"] * len(cols)) + ")"
        target = self.quote(cols[0].name) if len(cols) == 1 else "(" + ", ".join(self.quote(c.name) for c in cols) + ")"
        with self.conn.cursor() as cur:
            for start in range(0, len(keys), _DELETE_CHUNK):
                chunk = keys[start:start + _DELETE_CHUNK]
                cur.execute(f"DELETE FROM {table} WHERE {target} IN ({', '.join([one] * len(chunk))})",
                            [v for key in chunk for v in key])

    # -- exactly once ---------------------------------------------------------------------------
    def ensure_offsets_table(self) -> None:
        self.run(lambda: self.execute_ddl([
            f"CREATE TABLE IF NOT EXISTS {OFFSETS_TABLE} (connector VARCHAR(255) NOT NULL, "
            "topic VARCHAR(255) NOT NULL, kafka_partition INT NOT NULL, next_offset BIGINT NOT NULL, "
            "updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), "
            "PRIMARY KEY (connector, topic, kafka_partition))"]))

    def insert_offset(self, topic: str, partition: int, offset: int) -> bool:
        # An existing row is left as it is: 0 affected rows (PyMySQL does not set CLIENT_FOUND_ROWS).
        with self.conn.cursor() as cur:
            return cur.execute(
                f"INSERT INTO {OFFSETS_TABLE} (connector, topic, kafka_partition, next_offset) VALUES (%s, %s, %s, %s) "
                "ON DUPLICATE KEY UPDATE next_offset = next_offset",
                (self.cfg.connector_name, topic, partition, offset)) == 1

    def replace_offset(self, topic: str, partition: int, expected: int, offset: int) -> bool:
        # InnoDB's UPDATE reads the latest committed row (a locking read), whatever the isolation.
        with self.conn.cursor() as cur:
            return cur.execute(
                f"UPDATE {OFFSETS_TABLE} SET next_offset = %s WHERE connector = %s AND topic = %s "
                "AND kafka_partition = %s AND next_offset = %s",
                (offset, self.cfg.connector_name, topic, partition, expected)) == 1

    def read_offsets(self, topics: Iterable[str]) -> dict[tuple[str, int], int]:
        topics = list(topics)

        def load() -> dict[tuple[str, int], int]:
            if not topics:
                return {}
            with self.conn.cursor() as cur:
                cur.execute(f"SELECT topic, kafka_partition, next_offset FROM {OFFSETS_TABLE} WHERE connector = %s "
                            f"AND topic IN ({', '.join(['%s'] * len(topics))})", [self.cfg.connector_name, *topics])
                rows = cur.fetchall()
            self.conn.commit()
            return {(t, p): o for t, p, o in rows}
        return self.run(load)


# -- multi-row VALUES lists, formatted by code generated per row shape ------------------------------
#
# Multi-row ``VALUES`` lists for MariaDB, formatted by code generated per row shape.
#
# PyMySQL's ``executemany`` rewrites ``INSERT … VALUES (%s, …)`` into multi-row statements, but it
# escapes every value through three generic calls (``Connection.escape`` → ``escape_item`` → the
# type's encoder): about 14 µs for a 10-column row, the MariaDB sink writer's largest cost. Here a
# function generated once per shape (the Python types of the row's values) formats a whole batch in
# one comprehension, inlining the encoders of the common types.
#
# Every inlined branch is PyMySQL 2.x's own encoder for exactly that type (``type(v) is T``, so no
# subclass slips through), and anything else — another type, a time zone aware datetime, a float —
# goes to the connection's own ``escape``: the SQL text is byte-for-byte what ``executemany`` sends
# (tests/integration/test_jdbc_sink_mariadb_values.py compares both). Strings are escaped as the
# session wants them: with backslashes, or by doubling quotes under the ``NO_BACKSLASH_ESCAPES``
# sql_mode (PyMySQL's ``_escape_string`` makes the same choice per call).

# What PyMySQL's encoder for each exact type returns, as an expression of the value `{v}`.
_INLINE: dict[type, str] = {
    int: "{v}",                                        # escape_int: str(value), as %s does
    bool: '("1" if {v} else "0")',                     # escape_bool: str(int(value))
    decimal.Decimal: 'format({v}, "f")',               # Decimal2Literal
    datetime.date: "\"'\" + {v}.isoformat() + \"'\"",    # escape_date: '{year:04}-{month:02}-{day:02}'
    # escape_datetime ignores tzinfo; isoformat would append the offset: aware ones go to escape.
    datetime.datetime: "(\"'\" + {v}.isoformat(\" \") + \"'\" if {v}.tzinfo is None else esc({v}))",
}

MAX_STATEMENT_BYTES = 1024000  # PyMySQL's Cursor.max_stmt_length

RowsFormatter = Callable[[Sequence[Sequence[Any]], Callable[[Any], str]], list[str]]


def backslash_escapes(conn: Any) -> bool:
    """Whether the session's strings escape with backslashes (no NO_BACKSLASH_ESCAPES in its sql_mode)."""
    return not conn.server_status & SERVER_STATUS.SERVER_STATUS_NO_BACKSLASH_ESCAPES


def row_shape(rows: Sequence[Sequence[Any]], probe: int = 100) -> tuple[type, ...]:
    """Each column's type: the first value's that is not None among the first ``probe`` rows."""
    width = len(rows[0])
    shape: list[type] = [type(None)] * width
    missing = set(range(width))
    for row in rows[:probe]:
        for i in list(missing):
            if row[i] is not None:
                shape[i] = type(row[i])
                missing.discard(i)
        if not missing:
            break
    return tuple(shape)


# Connection.escape → _escape_string, by the session's NO_BACKSLASH_ESCAPES status.
_STRING = {True: "\"'\" + escape_string({v}) + \"'\"", False: "\"'\" + {v}.replace(\"'\", \"''\") + \"'\""}


def rows_formatter(shape: tuple[type, ...], backslashes: bool = True) -> RowsFormatter:
    """``f(rows, esc) -> ["(v1,v2,…)", …]`` for rows of this shape; esc is ``Connection.escape``
    and ``backslashes`` :func:`backslash_escapes` of the same connection."""
    inlined = {**_INLINE, str: _STRING[backslashes]}
    names = [f"v{i}" for i in range(len(shape))]
    parts = []
    for i, (name, kind) in enumerate(zip(names, shape)):
        inline = inlined.get(kind)
        if inline is None:
            parts.append(f"esc({name})")
        else:
            parts.append(f'("NULL" if {name} is None else {inline.format(v=name)} '
                         f'if type({name}) is T{i} else esc({name}))')
    template = "(" + ",".join(["%s"] * len(shape)) + ")"
    unpack = ", ".join(names) + ("," if len(names) == 1 else "")
    source = (f"def format_rows(rows, esc):\n"
              f"    return [{template!r} % ({', '.join(parts)},) for {unpack} in rows]\n")
    namespace: dict[str, Any] = {"escape_string": escape_string, "format": format, "str": str, "type": type}
    namespace.update({f"T{i}": kind for i, kind in enumerate(shape)})
    exec(compile(source, f"<mariadb rows {','.join(k.__name__ for k in shape)}>", "exec"), namespace)
    return namespace["format_rows"]


def statements(prefix: str, values: list[str], postfix: str, encoding: str,
               limit: int = MAX_STATEMENT_BYTES) -> list[bytes]:
    """``prefix v1,v2,… postfix`` statements of at most ``limit`` bytes (one row may exceed it),
    split where PyMySQL's ``_do_execute_many`` splits them."""
    head, tail = prefix.encode(encoding), postfix.encode(encoding)
    out: list[bytes] = []
    sql = bytearray(head)
    first = True
    for value in values:
        encoded = value.encode(encoding)
        if not first and len(sql) + len(encoded) + len(tail) + 1 > limit:
            out.append(bytes(sql + tail))
            sql = bytearray(head)
            first = True
        if not first:
            sql += b","
        sql += encoded
        first = False
    out.append(bytes(sql + tail))
    return out

