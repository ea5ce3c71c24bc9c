"""PostgreSQL upserts try the plain INSERT first: the same rows as ON CONFLICT, in every case.

The writer runs ``INSERT … SELECT … FROM stage`` (no ON CONFLICT) inside a savepoint while batches
bring only new keys, and falls back to the upsert on a unique violation. These tests drive the
JdbcSinkTask against real PostgreSQL and check both the rows and which statement wrote them (the
plan's ``InsertFirst`` counts), including the tables where the try must not be made because a
plain INSERT would not fail where ON CONFLICT does.
"""

from __future__ import annotations

import pytest

from dbconnect.api.data import Struct
from dbconnect.api.errors import ConnectError
from dbconnect.api.task import TopicPartition
from dbconnect.connectors.jdbc.postgresql.sink import InsertFirst

from .jdbc_helpers import Db
from .test_jdbc_sink import KEY, VALUE, Sink, keyed, record

pytestmark = pytest.mark.integration

UPSERT = {"insert.mode": "upsert", "pk.mode": "record_key"}


@pytest.fixture
def pg(postgres) -> Db:
    return Db("postgresql", postgres)


def insert_first(sink: Sink) -> InsertFirst | None:
    (plan,) = sink.task.writer._plans.values()
    return plan.sql.get("insert_first")


def written(sink: Sink, *records) -> None:
    sink.put(*records)
    sink.commit()


def test_new_keys_are_inserted_plainly_and_conflicts_fall_back_to_the_upsert(pg: Db):
    sink = Sink(pg, **UPSERT)  # auto.create: the table gets its primary key on id
    written(sink, *(keyed(i, i, "record_key") for i in range(100)))
    first = insert_first(sink)
    assert first is not None and (first.inserts, first.conflicts) == (1, 0)
    # Half of the next batch updates existing keys: the INSERT is undone, the upsert writes it all.
    written(sink, *(keyed(100 + i, i, "record_key", "u") for i in range(50, 150)))
    assert (first.inserts, first.conflicts) == (1, 1)
    assert pg.execute("SELECT count(*), count(*) FILTER (WHERE name LIKE 'u%') FROM orders") == [(150, 100)]
    assert pg.execute("SELECT name FROM orders WHERE id IN (49, 50, 149) ORDER BY id") == [("n49",), ("u50",), ("u149",)]
    # After a conflict the next batch goes straight to the upsert; the one after tries again.
    written(sink, keyed(200, 1, "record_key", "v"))
    assert (first.inserts, first.conflicts) == (1, 1)
    written(sink, keyed(201, 500, "record_key", "w"))
    assert (first.inserts, first.conflicts) == (2, 1)
    assert pg.execute("SELECT id, name FROM orders WHERE id IN (1, 500) ORDER BY id") == [(1, "v1"), (500, "w500")]
    sink.stop()


@pytest.mark.parametrize("table", [
    # No unique index on the key: ON CONFLICT (id) is an error; a plain INSERT would add duplicates.
    "CREATE TABLE orders (id BIGINT NOT NULL, name TEXT, qty INT)",
    # A deferrable key cannot arbitrate ON CONFLICT either; a plain INSERT would only fail at COMMIT.
    "CREATE TABLE orders (id BIGINT NOT NULL, name TEXT, qty INT, "
    "CONSTRAINT orders_pk PRIMARY KEY (id) DEFERRABLE INITIALLY DEFERRED)",
    # A partial unique index is not an arbiter without its predicate.
    "CREATE TABLE orders (id BIGINT NOT NULL, name TEXT, qty INT); "
    "CREATE UNIQUE INDEX orders_id ON orders (id) WHERE qty > 0",
])
def test_tables_without_an_arbiter_fail_as_the_upsert_does_and_write_nothing(pg: Db, table: str):
    pg.execute(table)
    # max.retries=0: the deferrable key's error is one PostgreSQL files as a state, retried like one.
    sink = Sink(pg, **UPSERT, **{"auto.create": "false", "max.retries": "0"})
    with pytest.raises(ConnectError, match="ON CONFLICT"):
        sink.put(keyed(0, 1, "record_key"), keyed(1, 2, "record_key"))
        sink.commit({TopicPartition("orders", 0): 2})
    assert insert_first(sink) is None
    assert pg.execute("SELECT count(*) FROM orders") == [(0,)]
    sink.stop()


def test_a_unique_index_beside_the_key_still_fails_the_batch(pg: Db):
    pg.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, name TEXT UNIQUE, qty INT)")
    sink = Sink(pg, **UPSERT, **{"auto.create": "false"})
    written(sink, keyed(0, 1, "record_key"))
    # id 2 is new but its name collides with id 1's: the INSERT fails, and so does the upsert.
    with pytest.raises(ConnectError, match="orders_name_key"):
        sink.put(record(1, Struct(VALUE).put("id", 2).put("name", "n1").put("qty", 1), Struct(KEY).put("id", 2), KEY))
        sink.commit({TopicPartition("orders", 0): 2})
    assert insert_first(sink).conflicts == 1
    assert pg.execute("SELECT id, name FROM orders") == [(1, "n1")]
    sink.stop()


def test_a_composite_key_in_another_column_order_is_an_arbiter(pg: Db):
    pg.execute("CREATE TABLE orders (name TEXT NOT NULL, id BIGINT NOT NULL, qty INT, PRIMARY KEY (name, id))")
    sink = Sink(pg, **{"insert.mode": "upsert", "pk.mode": "record_value", "pk.fields": "id,name",
                       "auto.create": "false"})
    written(sink, keyed(0, 1, "record_value"), keyed(1, 2, "record_value"))
    written(sink, keyed(2, 2, "record_value"))
    first = insert_first(sink)
    assert (first.inserts, first.conflicts) == (1, 1)
    assert pg.execute("SELECT id, name FROM orders ORDER BY id") == [(1, "n1"), (2, "n2")]
    sink.stop()
