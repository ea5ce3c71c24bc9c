"""MariaDB and MySQL, for the JDBC source and sink (PyMySQL). What each file holds:

- ``connection.py``: PyMySQL's TLS arguments from a ``connection.url``'s policy, the check that a
  connection that must be encrypted is, and which errors mean the connection is gone; the
  source, the sink and migrations connect with it.
- ``types.py``: types both ways. The source: a result column's protocol type and flags →
  Connect schema and converter (``field_mapping``: DATETIME vs TIMESTAMP, tinyint(1), unsigned
  BIGINT, zero dates …) and its JSON-ready SQL (``json_ready``); the sink: Connect schema →
  column type (``ddl_type``).
- ``source.py``: ``MariaDbDialect``, the source's reads: connect for reading, unbuffered cursors,
  the catalog (tables, columns, keys), result metadata (``result_fields``), and the
  time/open-transaction bounds (innodb_trx, proved fresh) the no-missed-rows design relies on.
- ``sink.py``: ``MariaDbWriter``, the sink's writes: multi-row INSERT … ON DUPLICATE KEY UPDATE
  whose VALUES lists are formatted by code generated per row shape (``rows_formatter``),
  reflect and DDL, the exactly-once offsets table.

``DATABASE`` is what ``..registry`` finds for the family name "mariadb".
"""

from ..registry import DatabaseDialect
from .sink import MariaDbWriter
from .source import MariaDbDialect

DATABASE = DatabaseDialect("mariadb", source=MariaDbDialect, sink=MariaDbWriter)

__all__ = ["DATABASE", "MariaDbDialect", "MariaDbWriter"]
