"""Table, column and key discovery by SQLAlchemy's inspector, database-neutral.

The JDBC source (table listing, ``validate()``, task start-up) and the MariaDB sink
(``auto.evolve``'s reflection) ask the catalog through SQLAlchemy's ``Inspector`` instead of
hand-written ``information_schema`` / ``pg_catalog`` queries. The inspector runs on an engine of
its own: ``create_engine(url, creator=<the dialect's or writer's connect function>,
poolclass=NullPool)``, so its connections have exactly the settings of the driver's (URL, TLS
policy, libpq / PyMySQL settings), each lives for one ``inspect()`` block, and no connection of
the hot path (reads, COPY, upserts) ever passes through SQLAlchemy, whose first-connect
initialisation and type adapters would change its state. Nothing stays open between calls:
dropping the ``Catalog`` (with its dialect or writer) is all the disposal it needs.

What the inspector cannot tell stays on the driver, in the database's module, with a comment
saying why (type oids and binary dumpers, arbiter indexes, sequence steps, open transactions).
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.engine.reflection import Inspector
from sqlalchemy.exc import DBAPIError, NoSuchTableError, SAWarning
from sqlalchemy.pool import NullPool

from .dialect import ColumnMeta, TableId

# A type SQLAlchemy does not know (MariaDB's INET6, UUID …) is reflected as NullType, which the
# callers treat as text, as they did with information_schema's names: nothing to warn about.
warnings.filterwarnings("ignore", message="Did not recognize type", category=SAWarning)

# The inspector's listing for each relation kind of table.types (after the database's own names
# for them are translated, see the dialects' TABLE_KINDS).
_LISTERS: dict[str, Callable[[Inspector, str | None], list[str]]] = {
    "table": lambda insp, schema: insp.get_table_names(schema),
    "view": lambda insp, schema: insp.get_view_names(schema),
    "foreign": lambda insp, schema: insp.get_foreign_table_names(schema),  # type: ignore[attr-defined]
}


class Catalog:
    """SQLAlchemy's inspector on connections opened by ``connect`` (one per ``inspect()``)."""

    def __init__(self, url: str, connect: Callable[[], Any]) -> None:
        self._url = url
        self._connect = connect
        self._engine: Engine | None = None
        self._lock = threading.Lock()  # the connector's table monitor and validate() may share a dialect
        self._held = threading.local()  # the connection of this thread's session(), if any

    def _get_engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = sa.create_engine(self._url, creator=self._connect, poolclass=NullPool)
            return self._engine

    @contextmanager
    def session(self) -> Iterator[None]:
        """Every ``inspect()`` of this thread inside the block shares one connection (validate(),
        a table's columns and key): a connection costs more than the look-ups on it."""
        if getattr(self._held, "connection", None) is not None:
            yield
            return
        with self._driver_errors(), self._get_engine().connect() as connection:
            self._held.connection = connection
            try:
                yield
            finally:
                self._held.connection = None

    @contextmanager
    def inspect(self) -> Iterator[Inspector]:
        """An inspector on the session's connection, else on a new one closed at the end of the block."""
        held = getattr(self._held, "connection", None)
        with self._driver_errors():
            if held is not None:
                yield sa.inspect(held)
                return
            with self._get_engine().connect() as connection:
                yield sa.inspect(connection)

    @staticmethod
    @contextmanager
    def _driver_errors() -> Iterator[None]:
        # SQLAlchemy's wrapping of a driver error is undone: callers classify the driver's own
        # exceptions (is_connection_error, is_transient), as for every other statement.
        try:
            yield
        except DBAPIError as exc:
            if isinstance(exc.orig, BaseException):
                raise exc.orig from exc
            raise

    def dispose(self) -> None:
        with self._lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.dispose()


class CatalogDiscovery:
    """The source dialects' column, key and session look-ups through ``self.catalog``, one body for
    both databases: a dialect says only where a table's schema is in its ``TableId``."""

    catalog: Catalog

    def inspector_schema(self, table: TableId) -> str | None:
        """The schema SQLAlchemy's inspector knows ``table`` by (the database on MariaDB)."""
        raise NotImplementedError

    def catalog_session(self) -> Any:
        return self.catalog.session()

    def describe_columns(self, conn: Any, table: TableId) -> list[ColumnMeta]:
        with self.catalog.inspect() as insp:
            return reflected_columns(insp, table.name, self.inspector_schema(table))

    def primary_key(self, conn: Any, table: TableId) -> list[str]:
        with self.catalog.inspect() as insp:
            return reflected_primary_key(insp, table.name, self.inspector_schema(table))


def relations(insp: Inspector, schemas: Iterable[str | None], kinds: Iterable[str]) -> list[tuple[str | None, str]]:
    """(schema, name) of every relation of ``kinds`` ("table", "view", "foreign") in ``schemas``,
    sorted by schema then name."""
    wanted = [k for k in dict.fromkeys(kinds) if k in _LISTERS]
    found: set[tuple[str | None, str]] = set()
    for schema in schemas:
        for kind in wanted:
            found.update((schema, name) for name in _LISTERS[kind](insp, schema))
    return sorted(found, key=lambda r: (r[0] or "", r[1]))


def reflected_columns(insp: Inspector, name: str, schema: str | None) -> list[ColumnMeta]:
    """The table's columns in table order, or [] when it does not exist (or is not visible)."""
    try:
        reflected = insp.get_columns(name, schema)
    except NoSuchTableError:
        return []
    return [ColumnMeta(c["name"], bool(c["nullable"]), type_name(c["type"]),
                       getattr(c["type"], "precision", None) if _is_temporal(c["type"]) else None,
                       bool(c.get("autoincrement")) or bool(c.get("identity")))
            for c in reflected]


def reflected_primary_key(insp: Inspector, name: str, schema: str | None) -> list[str]:
    """The primary key's columns in key order ([] without one, or for a missing table)."""
    try:
        return list(insp.get_pk_constraint(name, schema).get("constrained_columns") or [])
    except NoSuchTableError:
        return []


def type_name(type_: Any) -> str:
    """The reflected type's SQL name, lower case, without parameters ("varchar", "integer", "longtext")."""
    return str(getattr(type_, "__visit_name__", type(type_).__name__)).lower()


def _is_temporal(type_: Any) -> bool:
    return isinstance(type_, (sa.Time, sa.DateTime))


def like(pattern: str, value: str | None, *, ignore_case: bool) -> bool:
    """SQL ``value LIKE pattern`` (``%``, ``_``, backslash escapes), as the database compares names."""
    if value is None:
        return False
    return _like_regex(pattern, ignore_case).fullmatch(value) is not None


def _like_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    out: list[str] = []
    chars: Sequence[str] = pattern
    i = 0
    while i < len(chars):
        ch = chars[i]
        if ch == "\\" and i + 1 < len(chars):
            out.append(re.escape(chars[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))
