"""The database dialect interface (Confluent's DatabaseDialect, dlt's sql_client).

Everything that differs between databases lives behind this class: connecting, quoting,
catalog queries, the "now" + open-transaction queries the no-missed-rows design relies on,
server-side cursors, and the DB → Connect type mapping. ``postgresql/source.py`` and
``mariadb/source.py`` implement it with the same shape (the sink's counterpart is
``sink/writers/base.Writer``); nothing outside those packages asks which database it is talking
to: ``get_dialect`` finds the class through ``registry.py``.
"""

from __future__ import annotations

import datetime as dt
import decimal
from abc import ABC, abstractmethod
from dataclasses import dataclass
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from ...api.data import Decimal, Schema
from .identifiers import PLAIN_IDENTIFIER, quote_identifier
from . import registry

APPLICATION_NAME = "dbconnect-jdbc-source"
# Prefixed to every statement the connector runs, so that its own sessions can be told apart
# from writers in the server's activity views (MariaDB has no application_name).
SQL_MARKER = f"/* {APPLICATION_NAME} */ "
# Subtracted from every timestamp upper bound. It covers (1) the sub-second gap between a
# writer's statement taking its timestamp and the server publishing that statement/transaction
# in its activity views, (2) MariaDB's whole-second innodb_trx.trx_started and (3) columns that
# truncate or round timestamps to whole seconds. See docs/design/jdbc-source.md, "No missed rows".
SAFETY_MARGIN = dt.timedelta(seconds=1)
# What open_transactions() returns when the database's list of open transactions cannot be
# trusted (MariaDB's innodb_trx cache could not be proved fresh): nothing waited for may be
# released on it, and a horizon held on it must wait for the next list that can be trusted.
UNKNOWN = "unknown"
UNKNOWN_TRANSACTIONS = frozenset({UNKNOWN})
# Identifiers that are safe in SQL without quotes (quote.sql.identifiers=never): the same rule as
# the sink's writers (sink/writers/base.py).


@dataclass(frozen=True)
class TableId:
    catalog: str | None
    schema: str | None
    name: str

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(p for p in (self.catalog, self.schema, self.name) if p)

    def fqn(self) -> str:
        """Unquoted ``catalog.schema.table`` (what Confluent puts in the source partition)."""
        return ".".join(self.parts)

    def to_json(self) -> list[str | None]:
        return [self.catalog, self.schema, self.name]

    @classmethod
    def from_json(cls, value: Sequence[str | None]) -> "TableId":
        return cls(value[0], value[1], value[2])  # type: ignore[arg-type]


@dataclass(frozen=True)
class ColumnMeta:
    """Catalog facts about one table column (nullability, key, auto-increment, precision)."""

    name: str
    nullable: bool
    type_name: str
    datetime_precision: int | None = None
    auto_increment: bool = False


@dataclass
class ColumnMapping:
    """How one result column becomes a Connect field: its schema and a value converter.

    ``convert`` is None when the driver's value is already the Connect value (the common case,
    which keeps the per-row loop cheap). ``zone_less`` marks timestamp columns whose values are
    wall-clock times in db.timezone (bound parameters must be converted the same way).
    """

    name: str
    schema: Schema
    convert: Callable[[Any], Any] | None = None
    is_timestamp: bool = False
    zone_less: bool = False
    type_name: str = ""  # the database's type (what json_ready() decides on)


@dataclass(frozen=True)
class JsonReady:
    """A column read as its JSON-ready value (see dbconnect/api/payload.py): the SQL that yields
    it and what the generated encoder still does to it (None, FLOAT, FRAGMENT or BOOL)."""

    sql: str
    kind: str | None = None


def decimal_precision(schema: Schema) -> int:
    """A Decimal schema's precision parameter, 0 when it has none."""
    return int(schema.parameters.get(Decimal.PRECISION_FIELD, "0") or 0) if schema.parameters else 0


def unscaled_byte_bounds(scale: int) -> list[tuple[int, str, str]]:
    """``(n, low, high)`` for n = 1..7: the column values (at ``scale``) whose unscaled value needs
    exactly n bytes in Java's BigInteger.toByteArray() (shortest big-endian two's complement), as
    SQL literals in plain notation — MariaDB reads 1.28E-16 as a DOUBLE, compared inexactly.
    A JSON-ready BASE64 decimal picks its byte count by comparing the column itself with them."""
    def literal(unscaled: int) -> str:
        return format(decimal.Decimal(unscaled).scaleb(-scale), "f")
    return [(n, literal(-(1 << (8 * n - 1))), literal((1 << (8 * n - 1)) - 1)) for n in range(1, 8)]


class TransientDatabaseError(Exception):
    """A connection-level failure: reconnect with backoff rather than fail the task."""


class Dialect(ABC):
    """One database family. Instances are cheap; connections are created per use."""

    name: str = "Generic"
    quote_char = '"'

    def __init__(self, spec: Any, config: Any) -> None:
        self.spec = spec
        self.config = config
        # (session id, age in seconds) of the oldest other open writer that the last
        # time_bound()/open_transactions() saw, or None: what the task reports when it holds a bound back.
        self.oldest_writer: tuple[Any, float] | None = None
        # Why the last time_bound()/open_transactions() could not be trusted (the bound then did not
        # advance), or None: also reported in the task status.
        self.untrusted: str | None = None

    # -- connections ----------------------------------------------------------------------------
    @abstractmethod
    def connect(self, *, autocommit: bool) -> Any:
        """A new DB-API connection (raises the driver's error; see ``is_connection_error``)."""

    @abstractmethod
    def is_connection_error(self, exc: BaseException) -> bool:
        """True when ``exc`` means the connection is gone/unusable (retry after a reconnect)."""

    def is_missing_table(self, exc: BaseException) -> bool:
        return False

    @abstractmethod
    def begin_read(self, conn: Any) -> None:
        """Start the read transaction (isolation level, read-only) on a non-autocommit connection."""

    @abstractmethod
    def open_cursor(self, conn: Any, sql: str, params: Sequence[Any] | None, fetch_size: int,
                    json_ready: bool = False) -> Any:
        """Execute ``sql`` on a server-side (streaming) cursor; rows are pulled with ``fetchmany``.
        ``json_ready``: the query selects json_ready() expressions (the dialect may read them its way)."""

    def end_read(self, conn: Any, cursor: Any) -> None:
        """Close the cursor and end the read transaction."""
        try:
            if cursor is not None:
                cursor.close()
        finally:
            conn.rollback()

    # -- identifiers ----------------------------------------------------------------------------
    def quote(self, ident: str) -> str:
        # Unquoted names go into SQL as they are: only plain identifiers may (see unquotable()).
        return quote_identifier(ident, self.quote_char, quoted=self.config.quote)

    def quote_table(self, table: TableId) -> str:
        return ".".join(self.quote(p) for p in self.table_name_parts(table))

    def unquotable(self, table: TableId) -> list[str]:
        """The parts of ``table``'s SQL name that quote.sql.identifiers=never cannot put into SQL."""
        if self.config.quote:
            return []
        return [p for p in self.table_name_parts(table) if not PLAIN_IDENTIFIER.match(p)]

    def table_name_parts(self, table: TableId) -> tuple[str, ...]:
        """The parts of a table name used in SQL (PostgreSQL drops the catalog)."""
        return table.parts

    # -- catalog --------------------------------------------------------------------------------
    @abstractmethod
    def list_tables(self, conn: Any) -> list[TableId]:
        """Tables and views matching catalog.pattern / schema.pattern / table.types."""

    @abstractmethod
    def describe_columns(self, conn: Any, table: TableId) -> list[ColumnMeta]: ...

    @abstractmethod
    def primary_key(self, conn: Any, table: TableId) -> list[str]: ...

    def catalog_session(self) -> AbstractContextManager[None]:
        """A scope in which the catalog look-ups above share one connection of their own."""
        return nullcontext()

    def increment_step(self, conn: Any, table: TableId | None, column: str) -> int:
        """The auto-increment/sequence step of ``column`` (1 when unknown)."""
        return 1

    # -- time and transactions (the no-missed-rows design) ----------------------------------------
    @abstractmethod
    def time_bound(self, conn: Any) -> tuple[dt.datetime, dt.datetime | None]:
        """(database now, start of the oldest other open transaction that could still write).

        Both are aware UTC datetimes; the second is None when no such transaction is open.
        Runs on an autocommit connection, BEFORE the data query takes its snapshot.
        """

    def visibility_problem(self, conn: Any) -> str | None:
        """Why this role cannot see other sessions' open transactions (which the bounds rely
        on), naming the missing privilege; None when it can."""
        return None

    @abstractmethod
    def open_transactions(self, conn: Any) -> frozenset:
        """Identities of the other open transactions that could still write (autocommit conn)."""

    # -- types ----------------------------------------------------------------------------------
    @abstractmethod
    def result_signature(self, cursor: Any) -> tuple:
        """A hashable description of the cursor's result columns (to cache mappings)."""

    @abstractmethod
    def map_columns(self, conn: Any, cursor: Any, nullable: dict[str, bool] | None) -> list[ColumnMapping]:
        """Connect schema + converter per result column. ``nullable`` from the catalog (table
        mode) decides optionality; None means use what the result metadata says."""

    def json_ready(self, column: ColumnMapping, quoted: str, payload_format: Any) -> JsonReady | None:
        """How to SELECT ``column`` (``quoted``) as the JSON value ``payload_format`` writes for it,
        so that a row becomes JSON with no per-value Python conversion; None when this dialect
        (or this type) cannot, and the table is read the ordinary way."""
        return None

    def bind_timestamp(self, instant: dt.datetime, zone_less: bool) -> Any:
        """An aware UTC instant → the parameter value for a timestamp column."""
        if zone_less:
            return instant.astimezone(self.config.timezone).replace(tzinfo=None)
        return instant


def get_dialect(config: Any) -> Dialect:
    """The dialect for a parsed JdbcSourceConfig (dialect.name, else the URL's database)."""
    database = registry.database(config.family)
    if database is None:
        raise ValueError(f"No dialect for {config.family!r}")
    return database.source(config.spec, config)
