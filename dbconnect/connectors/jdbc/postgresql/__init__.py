"""PostgreSQL, for the JDBC source and sink (psycopg 3). What each file holds:

- ``connection.py``: the libpq settings a ``connection.url`` carries (JDBC spellings, TLS), and
  which errors mean the connection is gone; the source, the sink and migrations connect with it.
- ``types.py``: types both ways. The source: a result column's type → Connect schema and
  converter (``scalar_mapping``: timestamp vs timestamptz, numeric, bytea …) and its JSON-ready
  SQL (``json_ready``); the sink: Connect schema → column type (``ddl_type``) and how each column
  category is staged for binary COPY.
- ``source.py``: ``PostgreSqlDialect``, the source's reads: connect for reading, named cursors,
  the catalog (tables, columns, keys), result → Connect mapping, and the time/open-transaction
  bounds (pg_stat_activity) the no-missed-rows design relies on.
- ``sink.py``: ``PostgreSqlWriter``, the sink's writes: binary COPY into a stage table then one
  set-based INSERT/UPDATE/DELETE, reflect and DDL, the exactly-once offsets table.

``DATABASE`` is what ``..registry`` finds for the family name "postgresql".
"""

from ..registry import DatabaseDialect
from .sink import PostgreSqlWriter
from .source import PostgreSqlDialect

DATABASE = DatabaseDialect("postgresql", source=PostgreSqlDialect, sink=PostgreSqlWriter)

__all__ = ["DATABASE", "PostgreSqlDialect", "PostgreSqlWriter"]
