"""The JDBC source with a tutorial's config (no batch.max.rows: 100-row polls): a fresh start reads
the table with one query, and every row arrives."""

from __future__ import annotations

import pytest

from .jdbc_helpers import Db, db, payloads, wait_until  # noqa: F401

pytestmark = pytest.mark.integration

ROWS = 3000


def _rows_read_by_index(db: Db, table: str) -> int:
    """Server-side count of table reads: PostgreSQL scans of the table (pg_stat_user_tables), MariaDB
    rows read in key order server-wide (Handler_read_next: the connector's ORDER BY id range scans;
    catalog queries read their temporary tables with Handler_read_rnd_next instead)."""
    if db.pg:
        row = db.execute("SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
                         "WHERE relname = %s", (table,))
        return int(row[0][0])
    return int(db.execute("SHOW GLOBAL STATUS LIKE 'Handler_read_next'")[0][1])


def _connector_sessions(db: Db) -> int:
    if db.pg:
        return db.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbconnect-jdbc-source' "
                          "AND datname = current_database()")[0][0]
    return db.execute("SELECT count(*) FROM information_schema.processlist WHERE db = DATABASE() "
                      "AND id <> CONNECTION_ID()")[0][0]


def test_a_fresh_start_reads_the_table_with_one_query(db: Db, start_worker, broker, topic_name):
    # Without an offset the first id (1) follows the initial -1 with a "gap": the first query used to
    # stop right there, look for open transactions and query again — a wasted query, and on MariaDB
    # a drain of the whole unbuffered result. Now the horizon is taken before the first query.
    # No autovacuum on PostgreSQL: once an auto-ANALYZE has given the table a histogram, the planner
    # probes the index for the range's real end (get_actual_variable_range), which counts as one
    # more index scan, at a moment that depends on the autovacuum launcher.
    db.execute(f"CREATE TABLE fresh ({db.serial}, name VARCHAR(40) NOT NULL)"
               + (" WITH (autovacuum_enabled = false)" if db.pg else ""))
    db.execute(f"INSERT INTO fresh (name) SELECT concat('n', g) FROM generate_series(1, {ROWS}) g" if db.pg else
               f"INSERT INTO fresh (name) SELECT concat('n', seq) FROM seq_1_to_{ROWS}")
    before = _rows_read_by_index(db, "fresh")
    worker = start_worker()
    # A tutorial's config: no batch.max.rows (100 rows per poll) and, here, no second round soon.
    config = db.config(mode="incrementing", **{"incrementing.column.name": "id", "table.whitelist": "fresh",
                                               "topic.prefix": f"{topic_name}-", "poll.interval.ms": "600000"})
    assert worker.put("/connectors/src/config", json=config).status_code == 201
    messages = broker.consume(f"{topic_name}-fresh", ROWS, timeout=90, partition=None)
    assert sorted(p["id"] for p in payloads(messages)) == list(range(1, ROWS + 1))
    # Stop the connector: its sessions end (PostgreSQL publishes their statistics as they exit).
    assert worker.delete("/connectors/src").status_code == 204
    wait_until(lambda: _connector_sessions(db) == 0, what="the connector's sessions to close")
    read = _rows_read_by_index(db, "fresh") - before
    if db.pg:
        assert read == 2, f"{read} scans of the table: max(id) and one query expected"
    else:
        assert read < 1.5 * ROWS, f"{read} rows read in key order for {ROWS} rows: the table was read twice"
