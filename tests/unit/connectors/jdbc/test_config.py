"""JDBC source config: cross-key rules and Confluent's polling defaults."""

from __future__ import annotations

from dbconnect.connectors.jdbc.config import parse_config
from dbconnect.connectors.jdbc.dialect import get_dialect
from tests.unit.connectors.jdbc.source_samples import _cfg


def test_config_cross_key_rules():
    assert "mode" in _cfg(mode="").errors
    assert "timestamp.column.name" in _cfg(mode="timestamp").errors
    errors = _cfg(**{"table.whitelist": "a", "table.blacklist": "b"}).errors
    assert "table.whitelist" in errors and "table.blacklist" in errors
    assert "table.exclude.list" in _cfg(**{"table.exclude.list": "x"}).errors
    assert "query" in _cfg(query="SELECT 1", **{"table.whitelist": "a"}).errors
    assert _cfg(**{"numeric.precision.mapping": "true"}).numeric_mapping == "precision_only"
    from dbconnect.connectors.jdbc.config import definition
    bad = definition().validate({"connection.url": "x", "dialect.name": "OracleDatabaseDialect"})
    assert "Invalid value OracleDatabaseDialect for configuration dialect.name" in bad["dialect.name"][0]
    assert get_dialect(_cfg(**{"dialect.name": "MariaDbDatabaseDialect"})).quote("x") == "`x`"


def test_polling_defaults_are_confluents():
    # A tutorial config sets neither key: it gets Confluent's BATCH_MAX_ROWS_DEFAULT (100) and
    # POLL_INTERVAL_MS_DEFAULT (5000); the read blocks are sized apart from them (readahead.py).
    cfg = parse_config({"connection.url": "jdbc:postgresql://h/db", "mode": "incrementing"})
    assert (cfg.batch_max_rows, cfg.poll_interval_ms) == (100, 5000)
