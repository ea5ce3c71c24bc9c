"""The databases the JDBC connectors support, found by name: one package per database.

Each of ``postgresql/`` and ``mariadb/`` holds everything that differs for its database (the
source's reads, the sink's writes, type mapping both ways, connecting) and exports one
``DATABASE``: a :class:`DatabaseDialect` naming its source dialect and sink writer classes. This
module maps a family name (what ``config.family`` holds: from ``dialect.name`` or the URL) to that
package, like an entry point: by module path, imported on first use, so that nothing here imports
a database package (the packages import this module, never the other way) and a worker that only
replicates PostgreSQL never imports PyMySQL. Adding a database is one package and one row below.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DatabaseDialect:
    """One database family: the classes the source and the sink use for it."""

    name: str          # the family name: "postgresql", "mariadb"
    source: type       # a dialect.Dialect subclass: Dialect(spec, config)
    sink: type         # a sink.writers.base.Writer subclass: Writer(config, **kwargs)


@dataclass(frozen=True)
class _Entry:
    module: str                    # the package that exports DATABASE
    dialect_words: tuple[str, ...]  # dialect.name contains one of these (lower case) → this family


# family name → its package. dialect.name values Confluent users type (PostgreSqlDatabaseDialect,
# MySqlDatabaseDialect, MariaDbDatabaseDialect …) are recognised by the words they contain.
_FAMILIES: dict[str, _Entry] = {
    "postgresql": _Entry("dbconnect.connectors.jdbc.postgresql", ("postgres",)),
    "mariadb": _Entry("dbconnect.connectors.jdbc.mariadb", ("mysql", "maria")),
}
UNSUPPORTED = "unsupported"


def families() -> tuple[str, ...]:
    """The family names, in the order above."""
    return tuple(_FAMILIES)


def family_from_dialect_name(name: str) -> str | None:
    """``PostgreSqlDatabaseDialect`` → postgresql, ``MySqlDatabaseDialect``/``MariaDb…`` → mariadb;
    None for an empty name, ``"unsupported"`` for a database we have no package for."""
    low = (name or "").lower()
    if not low:
        return None
    for family, entry in _FAMILIES.items():
        if any(word in low for word in entry.dialect_words):
            return family
    return UNSUPPORTED


def database(family: Any) -> DatabaseDialect | None:
    """The DatabaseDialect of a family name, or None when there is no such family."""
    entry = _FAMILIES.get(family) if isinstance(family, str) else None
    if entry is None:
        return None
    return importlib.import_module(entry.module).DATABASE
