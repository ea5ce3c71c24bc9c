"""The JDBC source's table, column and key discovery (SQLAlchemy's inspector, connectors/jdbc/catalog.py)
against the real databases: table.types, schema.pattern / catalog.pattern, nullability,
auto-increment columns, key order, missing tables, and validate() on top of them."""

from __future__ import annotations

import uuid

import pytest

from dbconnect.connectors.jdbc.catalog import Catalog
from dbconnect.connectors.jdbc.config import parse_config
from dbconnect.connectors.jdbc.dialect import TableId, get_dialect
from dbconnect.connectors.jdbc.source import JdbcSourceConnector, JdbcSourceTask

from .jdbc_helpers import Db, db  # noqa: F401

pytestmark = pytest.mark.integration


def _dialect(db: Db, **extra: str):
    return get_dialect(parse_config(db.config(mode="bulk", **extra)))


def _names(dialect) -> list[tuple]:
    conn = dialect.connect(autocommit=True)
    try:
        return [(t.schema, t.name) if dialect.config.family == "postgresql" else (t.catalog, t.name)
                for t in dialect.list_tables(conn)]
    finally:
        conn.close()


def _tables(db: Db) -> None:
    db.execute("CREATE TABLE b_items (id INT NOT NULL, name VARCHAR(40), PRIMARY KEY (id))")
    db.execute("CREATE TABLE a_pairs (x INT NOT NULL, y INT NOT NULL, note TEXT, PRIMARY KEY (y, x))")
    db.execute("CREATE VIEW c_view AS SELECT id, name FROM b_items")


def test_table_types_and_order(db: Db):
    _tables(db)
    home = "public" if db.pg else db.name
    assert _names(_dialect(db)) == [(home, "a_pairs"), (home, "b_items")]
    assert _names(_dialect(db, **{"table.types": "VIEW"})) == [(home, "c_view")]
    assert _names(_dialect(db, **{"table.types": "TABLE,VIEW"})) == [(home, "a_pairs"), (home, "b_items"),
                                                                      (home, "c_view")]


def test_columns_nullability_auto_increment_and_key_order(db: Db):
    _tables(db)
    db.execute(f"CREATE TABLE counted ({db.serial}, label VARCHAR(10) NOT NULL, at {db.ts_type} NULL)")
    dialect = _dialect(db)
    conn = dialect.connect(autocommit=True)
    try:
        tables = {t.name: t for t in dialect.list_tables(conn)}
        counted = dialect.describe_columns(conn, tables["counted"])
        assert [(c.name, c.nullable, c.auto_increment) for c in counted] == [
            ("id", False, True), ("label", False, False), ("at", True, False)]
        pairs = dialect.describe_columns(conn, tables["a_pairs"])
        assert [(c.name, c.nullable, c.auto_increment) for c in pairs] == [
            ("x", False, False), ("y", False, False), ("note", True, False)]
        assert dialect.primary_key(conn, tables["a_pairs"]) == ["y", "x"]  # key order, not column order
        assert dialect.primary_key(conn, tables["b_items"]) == ["id"]
        known = tables["b_items"]
        gone = TableId(known.catalog, known.schema, "no_such_table")
        assert dialect.describe_columns(conn, gone) == []
        assert dialect.primary_key(conn, gone) == []
    finally:
        conn.close()


def test_schema_and_catalog_patterns(db: Db, request):
    if db.pg:
        db.execute('CREATE SCHEMA "sales_eu"')
        db.execute('CREATE SCHEMA "sales_us"')
        db.execute('CREATE SCHEMA "salesXeu"')
        for schema in ("sales_eu", "sales_us", "salesXeu"):
            db.execute(f'CREATE TABLE "{schema}".orders (id INT PRIMARY KEY)')
        db.execute("CREATE TABLE public.other (id INT PRIMARY KEY)")
        assert _names(_dialect(db, **{"schema.pattern": "sales%"})) == [
            ("salesXeu", "orders"), ("sales_eu", "orders"), ("sales_us", "orders")]
        # LIKE's escape: only the underscore itself, not any character.
        assert _names(_dialect(db, **{"schema.pattern": "sales\\_%"})) == [("sales_eu", "orders"),
                                                                            ("sales_us", "orders")]
        assert _names(_dialect(db, **{"schema.pattern": "SALES%"})) == []  # PostgreSQL's LIKE is case-sensitive
        assert _names(_dialect(db, **{"catalog.pattern": db.name[:4] + "%", "schema.pattern": "public"})) == [
            ("public", "other")]
        assert _names(_dialect(db, **{"catalog.pattern": "nomatch%"})) == []
    else:
        other = Db("mariadb", db.server)  # a second database: MariaDB's catalog
        db.execute("CREATE TABLE orders (id INT PRIMARY KEY)")
        other.execute("CREATE TABLE refunds (id INT PRIMARY KEY)")
        # Without catalog.pattern: the connected database only (DATABASE()).
        assert _names(_dialect(db)) == [(db.name, "orders")]
        # catalog.pattern: LIKE over every database, case-insensitive as MariaDB compares names.
        both = sorted([(db.name, "orders"), (other.name, "refunds")])
        assert [n for n in _names(_dialect(db, **{"catalog.pattern": "T\\_%"})) if n in both] == both
        assert _names(_dialect(db, **{"catalog.pattern": other.name})) == [(other.name, "refunds")]


def test_postgresql_lists_only_relations_the_role_may_use(db: Db):
    if not db.pg:
        pytest.skip("MariaDB's SHOW TABLES (the inspector's listing) already hides tables without privileges")
    role = f"r_{uuid.uuid4().hex[:8]}"
    db.execute("CREATE TABLE granted (id INT PRIMARY KEY)")
    db.execute("CREATE TABLE hidden (id INT PRIMARY KEY)")
    db.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'")
    db.execute(f"GRANT SELECT ON granted TO {role}")
    config = db.config(mode="bulk", **{"connection.user": role, "connection.password": "pw"})
    dialect = get_dialect(parse_config(config))
    assert _names(dialect) == [("public", "granted")]


def test_validate_finds_the_view_its_key_and_a_missing_table(db: Db):
    _tables(db)
    connector = JdbcSourceConnector()
    ok = connector.validate(db.config(mode="incrementing", **{
        "table.types": "VIEW", "table.whitelist": "c_view", "incrementing.column.name": "id",
        "validate.non.null": "false"}))
    assert ok == {}
    missing = connector.validate(db.config(mode="bulk", **{"table.whitelist": "nope"}))
    assert list(missing) == ["table.whitelist"]
    # No auto-increment column in a_pairs: the inspector must say so (and find b_items' none either).
    auto = connector.validate(db.config(mode="incrementing", **{"table.whitelist": "a_pairs"}))
    assert list(auto) == ["incrementing.column.name"]


def test_a_task_start_asks_the_catalog_on_one_connection_for_all_its_tables(db: Db, monkeypatch):
    _tables(db)
    db.execute("CREATE TABLE d_more (id INT NOT NULL, PRIMARY KEY (id))")
    opened: list[str] = []
    catalog_init = Catalog.__init__

    def counting(self, url, connect):  # the real catalog, its connections counted
        catalog_init(self, url, lambda: opened.append(url) or connect())

    monkeypatch.setattr(Catalog, "__init__", counting)
    connector = JdbcSourceConnector()
    connector.start(db.config(mode="bulk", **{"table.poll.interval.ms": "0"}))
    try:
        [task_config] = connector.task_configs(1)
    finally:
        connector.stop()
    opened.clear()
    task = JdbcSourceTask()
    task.start(task_config)
    try:
        assert sorted(q.name.split(".")[-1].strip('"`') for q in task._queriers) == ["a_pairs", "b_items", "d_more"]
        assert len(opened) == 1  # one per table before
    finally:
        task.stop()
    # query mode asks no catalog: its start opens no catalog connection.
    opened.clear()
    task = JdbcSourceTask()
    task.start(db.config(mode="bulk", query="SELECT id FROM b_items"))
    try:
        assert len(task._queriers) == 1 and opened == []
    finally:
        task.stop()
