"""One dialect per database (issue 13): which database the JDBC connectors talk to is decided once,
by name, in connectors/jdbc/registry.py. Outside the per-database packages nothing compares a
family or dialect name with a database's, and both packages have the same files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dbconnect.connectors.jdbc import registry
from dbconnect.connectors.jdbc.config import parse_config as source_config
from dbconnect.connectors.jdbc.dialect import get_dialect
from dbconnect.connectors.jdbc.sink.config import parse_config as sink_config
from dbconnect.connectors.jdbc.sink.writers import writer_for

JDBC = Path(registry.__file__).resolve().parent  # dbconnect/connectors/jdbc, wherever this test lives
DATABASE_PACKAGES = ("postgresql", "mariadb")
_NAMES = r"(?:postgres\w*|pgsql|mariadb|maria|mysql)"
# A branch on which database it is: a family/dialect name compared with a string, a database's
# name compared with anything, or an isinstance() check against a database's class.
BRANCHES = [
    re.compile(r"\b(?:family|dialect\w*|\w*_name|name)\s*(?:==|!=)\s*[\"']", re.IGNORECASE),
    re.compile(rf"(?:==|!=)\s*[\"']{_NAMES}[\"']", re.IGNORECASE),
    re.compile(rf"[\"']{_NAMES}[\"']\s*(?:==|!=|\bin\b)", re.IGNORECASE),
    re.compile(r"isinstance\([^)]*\b(?:PostgreSql|MariaDb)\w*"),
]


def neutral_modules() -> list[Path]:
    return sorted(p for p in JDBC.rglob("*.py") if p.relative_to(JDBC).parts[0] not in DATABASE_PACKAGES)


def test_no_database_branches_outside_the_database_packages():
    found = []
    for path in neutral_modules():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if any(pattern.search(code) for pattern in BRANCHES):
                found.append(f"{path.relative_to(JDBC)}:{number}: {line.strip()}")
    assert not found, "compare database names only in registry.py's table:\n" + "\n".join(found)


def test_the_database_packages_have_the_same_files():
    files = {name: sorted(p.name for p in (JDBC / name).glob("*.py")) for name in DATABASE_PACKAGES}
    assert files["postgresql"] == files["mariadb"]
    assert {"__init__.py", "connection.py", "types.py", "source.py", "sink.py"} <= set(files["postgresql"])


@pytest.mark.parametrize("dialect_name, family", [
    ("PostgreSqlDatabaseDialect", "postgresql"),
    ("MySqlDatabaseDialect", "mariadb"),
    ("MariaDbDatabaseDialect", "mariadb"),
    ("", None),
    ("SqlServerDatabaseDialect", registry.UNSUPPORTED),
])
def test_dialect_names_confluent_users_type(dialect_name, family):
    assert registry.family_from_dialect_name(dialect_name) == family


@pytest.mark.parametrize("url, source_class, sink_class", [
    ("jdbc:postgresql://h/db", "PostgreSqlDialect", "PostgreSqlWriter"),
    ("jdbc:mysql://h/db", "MariaDbDialect", "MariaDbWriter"),
])
def test_source_and_sink_find_their_database_through_the_registry(url, source_class, sink_class):
    source = get_dialect(source_config({"connection.url": url, "mode": "bulk"}, strict=False))
    family = source.config.family
    database = registry.database(family)
    assert type(source) is database.source and database.source.__name__ == source_class
    assert database.sink.__name__ == sink_class
    assert database.source.__module__ == f"dbconnect.connectors.jdbc.{family}.source"
    assert database.sink.__module__ == f"dbconnect.connectors.jdbc.{family}.sink"


def test_an_unknown_family_gives_the_old_errors():
    cfg = source_config({"connection.url": "jdbc:postgresql://h/db", "mode": "bulk"}, strict=False)
    cfg.family = "oracle"
    with pytest.raises(ValueError, match="No dialect for 'oracle'"):
        get_dialect(cfg)
    scfg = sink_config({"connection.url": "jdbc:postgresql://h/db", "topics": "t"})
    scfg.family = "oracle"
    with pytest.raises(ValueError, match="No JDBC sink writer for 'oracle'"):
        writer_for(scfg)
    assert registry.database("oracle") is None and registry.database(None) is None
