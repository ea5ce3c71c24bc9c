"""PostgreSQL → Kafka → MariaDB through JdbcSourceConnector and JdbcSinkConnector in one worker."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from .jdbc_helpers import Db, wait_until

pytestmark = pytest.mark.integration


def test_postgresql_to_mariadb_round_trip(postgres, mariadb, worker, broker, topic_name):
    source, target = Db("postgresql", postgres), Db("mariadb", mariadb)
    source.execute("CREATE TABLE items (id SERIAL PRIMARY KEY, name VARCHAR(40) NOT NULL, price NUMERIC(10,2), "
                   "updated_at TIMESTAMP(3) NOT NULL DEFAULT now(), note TEXT)")
    source.execute("INSERT INTO items (name, price, note) SELECT 'item ' || g, g * 1.25, "
                   "CASE WHEN g % 3 = 0 THEN NULL ELSE 'note ' || g END FROM generate_series(1, 200) g")
    prefix = f"{topic_name}-"
    broker.create_topic(prefix + "items")
    src = source.config(mode="timestamp+incrementing", **{
        "incrementing.column.name": "id", "timestamp.column.name": "updated_at", "topic.prefix": prefix,
        "table.whitelist": "items", "timestamp.delay.interval.ms": "0"})
    sink = {"connector.class": "JdbcSinkConnector", "topics": prefix + "items", "tasks.max": "1",
            "connection.url": mariadb.jdbc_url(target.name), "connection.user": mariadb.user,
            "connection.password": mariadb.password, "insert.mode": "upsert", "pk.mode": "record_key",
            "auto.create": "true", "auto.evolve": "true", "table.name.format": "items_copy"}
    assert worker.put("/connectors/rt-source/config", json=src).status_code == 201
    assert worker.put("/connectors/rt-sink/config", json=sink).status_code == 201

    def copied() -> list[tuple]:
        try:
            return target.execute("SELECT id, name, price, updated_at, note FROM items_copy ORDER BY id")
        except Exception:
            return []

    def original() -> list[tuple]:
        return source.execute("SELECT id, name, price, updated_at, note FROM items ORDER BY id")

    wait_until(lambda: len(copied()) == 200, timeout=90, what="200 rows in MariaDB")
    assert copied() == original()
    source.execute("UPDATE items SET name = name || ' (changed)', updated_at = now() + interval '1 second' "
                   "WHERE id % 50 = 0")
    source.execute("INSERT INTO items (name, price) VALUES ('late', 9.99)")
    wait_until(lambda: copied() == original(), timeout=90, what="updates and the new row replicated")
    row = target.execute("SELECT name, price FROM items_copy WHERE id = 201")
    assert row == [("late", decimal.Decimal("9.99"))]
    assert isinstance(copied()[0][3], dt.datetime)
