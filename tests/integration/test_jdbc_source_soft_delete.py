"""soft.delete.column.name: soft-deleted rows are published as tombstones (key, null value)."""

from __future__ import annotations

import orjson
import pytest

from .jdbc_helpers import Db, db  # noqa: F401

pytestmark = pytest.mark.integration


def _table(db: Db, name: str = "accounts", flag: str | None = None) -> None:
    default = "now()" if db.pg else "CURRENT_TIMESTAMP(6)"
    on_update = "" if db.pg else " ON UPDATE CURRENT_TIMESTAMP(6)"
    marker = flag or f"deleted_at {db.ts_type} NULL"
    db.execute(f"CREATE TABLE {name} ({db.serial}, name VARCHAR(40) NOT NULL, {marker}, "
               f"updated_at {db.ts_type} NOT NULL DEFAULT {default}{on_update})")


@pytest.mark.parametrize("mode", ["timestamp+incrementing", "incrementing", "bulk"])
def test_soft_deleted_rows_become_tombstones(db: Db, mode, start_worker, broker, topic_name):
    _table(db)
    db.execute("INSERT INTO accounts (name) VALUES ('a'), ('b'), ('c')")
    db.execute(f"UPDATE accounts SET deleted_at = {db.now} WHERE id = 2")
    topic = f"{topic_name}-accounts"
    broker.create_topic(topic, partitions=1)
    worker = start_worker()
    extra = {"timestamp.column.name": "updated_at", "incrementing.column.name": "id"} if mode.startswith("timestamp") \
        else {"incrementing.column.name": "id"} if mode == "incrementing" else {}
    config = db.config(mode=mode, **{"topic.prefix": f"{topic_name}-", "soft.delete.column.name": "deleted_at"},
                       **extra)
    assert worker.put("/connectors/src/config", json=config).status_code == 201
    messages = broker.consume(topic, 3, timeout=60)
    by_key = {orjson.loads(m.key())["payload"]["id"]: m.value() for m in messages}
    assert by_key[2] is None  # a tombstone: the key, no value
    assert orjson.loads(by_key[1])["payload"]["name"] == "a" and orjson.loads(by_key[3])["payload"]["name"] == "c"
    if mode == "timestamp+incrementing":  # a later soft delete is seen as the update it is
        db.execute(f"UPDATE accounts SET deleted_at = {db.now}, updated_at = {db.now} WHERE id = 3")
        fourth = broker.consume(topic, 4, timeout=60)[3]
        assert orjson.loads(fourth.key())["payload"] == {"id": 3} and fourth.value() is None


def test_a_boolean_soft_delete_flag(db: Db, start_worker, broker, topic_name):
    _table(db, flag="is_deleted BOOLEAN NOT NULL DEFAULT FALSE")
    db.execute("INSERT INTO accounts (name, is_deleted) VALUES ('a', FALSE), ('b', TRUE)")
    topic = f"{topic_name}-accounts"
    broker.create_topic(topic, partitions=1)
    worker = start_worker()
    config = db.config(mode="incrementing", **{"topic.prefix": f"{topic_name}-",
                                               "soft.delete.column.name": "is_deleted"})
    assert worker.put("/connectors/src/config", json=config).status_code == 201
    messages = broker.consume(topic, 2, timeout=60)
    assert [m.value() is None for m in messages] == [False, True]


def test_soft_delete_needs_the_column_and_keys(db: Db, start_worker):
    _table(db)
    db.execute(f"CREATE TABLE nokey (id INT NOT NULL, deleted_at {db.ts_type} NULL)")
    worker = start_worker()

    def errors(**extra: str) -> list[str]:
        body = worker.put("/connector-plugins/JdbcSourceConnector/config/validate",
                          json={"name": "src", **db.config(mode="bulk", **extra)}).json()
        return [e for c in body["configs"] if c["value"]["name"] == "soft.delete.column.name"
                for e in c["value"]["errors"]]

    assert errors(**{"table.whitelist": "accounts", "soft.delete.column.name": "gone_at"}) == [
        f"Soft-delete column gone_at not found in table {db.fqn_prefix}accounts"]
    assert any("has no primary key, and tombstones need record keys: set key.columns" in e
               for e in errors(**{"table.whitelist": "nokey", "soft.delete.column.name": "deleted_at"}))
    assert errors(**{"table.whitelist": "nokey", "soft.delete.column.name": "deleted_at", "key.columns": "id"}) == []
    assert errors(**{"table.whitelist": "accounts", "soft.delete.column.name": "deleted_at", "key.mode": "none"}) == [
        "soft.delete.column.name publishes deleted rows as tombstones, which need record keys: remove key.mode=none"]
    created = worker.put("/connectors/bad/config", json=db.config(
        mode="bulk", **{"table.whitelist": "accounts", "soft.delete.column.name": "gone_at"}))
    assert created.status_code == 400 and "Soft-delete column gone_at not found" in created.json()["message"]
