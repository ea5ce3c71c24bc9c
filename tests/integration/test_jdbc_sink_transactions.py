"""JdbcSinkTask transactions against real databases: several batch.size statements in one transaction.

Records buffered beyond batch.size (a large put(), or puts arriving while a write runs) are written
in ONE transaction, as Confluent's sink writes a whole put() in one, but no statement writes more
than batch.size records. PostgreSQL shows what each statement wrote through a statement-level
trigger with a transition table: its transaction id and its rows' keys.
"""

from __future__ import annotations

import pytest

from .jdbc_helpers import Db
from .test_jdbc_sink import Sink, keyed

pytestmark = pytest.mark.integration

STATEMENT_LOG = """
CREATE TABLE statement_log (seq SERIAL PRIMARY KEY, tx BIGINT, n INT, low BIGINT, high BIGINT);
CREATE FUNCTION log_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO statement_log (tx, n, low, high) SELECT txid_current(), count(*), min(id), max(id) FROM new_rows;
    RETURN NULL;
END $$;
CREATE TRIGGER log_insert AFTER INSERT ON orders REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION log_statement();
"""


@pytest.fixture
def db(postgres) -> Db:
    return Db("postgresql", postgres)


@pytest.mark.parametrize("mode", ["insert", "upsert"])
def test_a_large_put_is_one_transaction_of_batch_size_statements_in_key_order(db: Db, mode: str):
    db.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, name TEXT NOT NULL, qty INT)")
    with db.connect() as conn:
        conn.execute(STATEMENT_LOG)
    sink = Sink(db, **{"insert.mode": mode, "pk.mode": "record_value", "pk.fields": "id", "batch.size": "10"})
    # 25 records in one put(), keys descending: one transaction (at most 4 batches of 10 records),
    # statements of 10, 10 and 5 rows, locking keys in ascending order across the transaction.
    sink.put(*(keyed(offset, 24 - offset, "record_value") for offset in range(25)))
    sink.commit()
    # The same again on new keys: the stage tables of the first transaction are empty and reused.
    sink.put(*(keyed(25 + offset, 49 - offset, "record_value") for offset in range(25)))
    sink.commit()
    sink.stop()
    assert db.execute("SELECT count(*), min(id), max(id) FROM orders") == [(50, 0, 49)]
    log = db.execute("SELECT tx, n, low, high FROM statement_log ORDER BY seq")
    assert [(n, low, high) for _tx, n, low, high in log] == [
        (10, 0, 9), (10, 10, 19), (5, 20, 24), (10, 25, 34), (10, 35, 44), (5, 45, 49)]
    transactions = [tx for tx, *_ in log]
    assert len(set(transactions[:3])) == 1 and len(set(transactions[3:])) == 1
    assert transactions[0] != transactions[3]

