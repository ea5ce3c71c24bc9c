"""JdbcSourceConnector end to end: real PostgreSQL / MariaDB, real broker, real worker."""

from __future__ import annotations

import calendar
import time

import pytest

from .jdbc_helpers import Db, consume_exactly, db, keys, payloads, wait_until  # noqa: F401

pytestmark = pytest.mark.integration


def test_incrementing_inserts_keys_and_restart(db: Db, start_worker, broker, topic_name, tmp_path):
    db.execute(f"CREATE TABLE items ({db.serial}, name VARCHAR(40) NOT NULL)")
    for i in range(5):
        db.execute("INSERT INTO items (name) VALUES (%s)", (f"n{i}",))
    topic = f"{topic_name}-items"
    broker.create_topic(topic, partitions=1)
    worker = start_worker()
    config = db.config(mode="incrementing", **{"topic.prefix": f"{topic_name}-"})
    assert worker.put("/connectors/src/config", json=config).status_code == 201
    worker.wait_for_state("src")
    messages = broker.consume(topic, 5, timeout=60)
    assert [p["name"] for p in payloads(messages)] == [f"n{i}" for i in range(5)]
    assert keys(messages) == [{"id": i} for i in range(1, 6)]
    for i in range(5, 8):
        db.execute("INSERT INTO items (name) VALUES (%s)", (f"n{i}",))
    broker.consume(topic, 8, timeout=60)
    expected = {"partition": {"protocol": "1", "table": f"{db.fqn_prefix}items"}, "offset": {"incrementing": 8}}
    wait_until(lambda: worker.get("/connectors/src/offsets").json()["offsets"] == [expected], what="offsets")
    worker.stop()
    # Restart from the offsets file: no duplicates, and rows inserted while down arrive.
    db.execute("INSERT INTO items (name) VALUES ('n8'), ('n9')")
    worker2 = start_worker()
    assert worker2.put("/connectors/src/config", json=config).status_code == 201
    messages = consume_exactly(broker, topic, 10, is_marker=lambda p: p["name"] == "marker",
                               insert_marker=lambda: db.execute("INSERT INTO items (name) VALUES ('marker')"))
    assert [p["id"] for p in payloads(messages)] == list(range(1, 11))


def _ts_table(db: Db, name: str = "events") -> None:
    on_update = "" if db.pg else " ON UPDATE CURRENT_TIMESTAMP(6)"
    default = "now()" if db.pg else "CURRENT_TIMESTAMP(6)"
    db.execute(f"CREATE TABLE {name} ({db.serial}, name VARCHAR(40) NOT NULL, "
               f"updated_at {db.ts_type} NOT NULL DEFAULT {default}{on_update})")


@pytest.mark.parametrize("mode", ["timestamp", "timestamp+incrementing"])
def test_timestamp_modes_inserts_updates_restart(db: Db, mode, start_worker, broker, topic_name):
    _ts_table(db)
    db.execute("INSERT INTO events (name) VALUES ('a'), ('b'), ('c')")
    topic = f"{topic_name}-events"
    broker.create_topic(topic, partitions=1)
    worker = start_worker()
    extra = {"incrementing.column.name": "id"} if mode != "timestamp" else {}
    config = db.config(mode=mode, **{"timestamp.column.name": "updated_at", "topic.prefix": f"{topic_name}-"}, **extra)
    assert worker.put("/connectors/src/config", json=config).status_code == 201
    first = payloads(broker.consume(topic, 3, timeout=60))
    assert sorted(p["name"] for p in first) == ["a", "b", "c"]
    # The update must carry a later timestamp than the rows just read: wait for the server's clock.
    wait_until(lambda: db.execute(f"SELECT {db.now} > MAX(updated_at) FROM events")[0][0], interval=0.01,
               what="the database clock to pass the first rows' timestamp")
    db.execute(f"UPDATE events SET name = 'b2', updated_at = {db.now} WHERE id = 2")
    fourth = payloads(broker.consume(topic, 4, timeout=60))[3]
    assert fourth["id"] == 2 and fourth["name"] == "b2"
    # The offset reaches the newest row's updated_at (b2's): ms since the epoch, the rest in nanos.
    (updated,), = db.execute("SELECT updated_at FROM events WHERE id = 2")
    newest_ms = calendar.timegm(updated.timetuple()) * 1000 + updated.microsecond // 1000

    def stored() -> list:
        found = worker.get("/connectors/src/offsets").json()["offsets"]
        return found if found and found[0]["offset"].get("timestamp") == newest_ms else []
    offsets = wait_until(stored, what=f"the stored offset to reach {newest_ms}")
    assert offsets[0]["partition"] == {"protocol": "1", "table": f"{db.fqn_prefix}events"}
    offset = offsets[0]["offset"]
    assert set(offset) == ({"timestamp", "timestamp_nanos"} | ({"incrementing"} if mode != "timestamp" else set()))
    assert offset["timestamp_nanos"] == updated.microsecond * 1000
    worker.stop()
    db.execute("INSERT INTO events (name) VALUES ('d')")
    worker2 = start_worker()
    assert worker2.put("/connectors/src/config", json=config).status_code == 201
    names = [p["name"] for p in payloads(consume_exactly(
        broker, topic, 5, is_marker=lambda p: p["name"] == "marker",
        insert_marker=lambda: db.execute("INSERT INTO events (name) VALUES ('marker')")))]
    assert names[3:] == ["b2", "d"]


def test_timestamp_initial_and_delay(db: Db, start_worker, broker, topic_name):
    _ts_table(db)
    db.execute("INSERT INTO events (name, updated_at) VALUES ('old', '2001-01-01 00:00:00'), "
               "('mid', '2011-06-01 00:00:00')")
    topic = f"{topic_name}-events"
    broker.create_topic(topic, partitions=1)
    worker = start_worker()
    config = db.config(mode="timestamp", **{"timestamp.column.name": "updated_at", "topic.prefix": f"{topic_name}-",
                                            "timestamp.initial": 1262304000000,  # 2010-01-01
                                            "timestamp.delay.interval.ms": 4000})
    assert worker.put("/connectors/src/config", json=config).status_code == 201
    assert [p["name"] for p in payloads(broker.consume(topic, 1, timeout=60))] == ["mid"]
    db.execute("INSERT INTO events (name) VALUES ('new')")
    inserted = time.monotonic()
    # The delay holds the new row back for 4 s.
    assert len(broker.consume(topic, 2, timeout=2.0, allow_fewer=True)) == 1
    broker.consume(topic, 2, timeout=30)
    assert time.monotonic() - inserted >= 3.5
    consume_exactly(broker, topic, 2, is_marker=lambda p: p["name"] == "marker",
                    insert_marker=lambda: db.execute("INSERT INTO events (name) VALUES ('marker')"))


def test_timestamp_initial_now(db: Db, start_worker, broker, topic_name):
    _ts_table(db)
    db.execute("INSERT INTO events (name) VALUES ('before')")
    time.sleep(1.1)
    topic = f"{topic_name}-events"
    broker.create_topic(topic, partitions=1)
    worker = start_worker()
    config = db.config(mode="timestamp", **{"timestamp.column.name": "updated_at", "topic.prefix": f"{topic_name}-",
                                            "timestamp.initial": -1})
    assert worker.put("/connectors/src/config", json=config).status_code == 201
    worker.wait_for_state("src")

    # Rows inserted before the task's first query are older than its "now" and skipped, like
    # 'before': insert 'after' rows until one arrives. 'before', older than all, would come first.
    def first_record() -> list:
        db.execute("INSERT INTO events (name) VALUES ('after')")
        return broker.consume(topic, 1, timeout=0.5, allow_fewer=True)
    wait_until(first_record, timeout=60, interval=0, what="a row inserted after the task started")
    assert [p["name"] for p in payloads(broker.consume(topic, 1))] == ["after"]


def test_bulk_rereads_whole_table(db: Db, start_worker, broker, topic_name):
    db.execute(f"CREATE TABLE snap ({db.serial}, v INT)")
    db.execute("INSERT INTO snap (v) VALUES (1), (2)")
    topic = f"{topic_name}-snap"
    broker.create_topic(topic, partitions=1)
    worker = start_worker()
    config = db.config(mode="bulk", **{"topic.prefix": f"{topic_name}-", "poll.interval.ms": 1000})
    assert worker.put("/connectors/src/config", json=config).status_code == 201
    messages = broker.consume(topic, 6, timeout=60)
    assert [p["v"] for p in payloads(messages)][:4] == [1, 2, 1, 2]
    assert worker.get("/connectors/src/offsets").json() == {"offsets": []}


def test_query_mode_with_its_own_where(db: Db, start_worker, broker, topic_name):
    db.execute(f"CREATE TABLE people ({db.serial}, name VARCHAR(40) NOT NULL)")
    db.execute("INSERT INTO people (name) VALUES ('keep-1'), ('drop-1'), ('keep-2')")
    broker.create_topic(topic_name, partitions=1)
    worker = start_worker()
    query = "SELECT id, name FROM people WHERE name LIKE 'keep%' ORDER BY name DESC"
    config = db.config(mode="incrementing", query=query, **{"incrementing.column.name": "id", "topic.prefix": topic_name,
                                                            "key.columns": "id"})
    assert worker.put("/connectors/src/config", json=config).status_code == 201
    assert [p["name"] for p in payloads(broker.consume(topic_name, 2, timeout=60))] == ["keep-1", "keep-2"]
    db.execute("INSERT INTO people (name) VALUES ('drop-2'), ('keep-3')")
    messages = consume_exactly(broker, topic_name, 3, is_marker=lambda p: p["name"] == "keep-marker",
                               insert_marker=lambda: db.execute("INSERT INTO people (name) VALUES ('keep-marker')"))
    assert payloads(messages)[2] == {"id": 5, "name": "keep-3"}
    assert keys(messages)[2] == {"id": 5}
    expected = [{"partition": {"query": "query"}, "offset": {"incrementing": 6}}]  # the marker's id
    wait_until(lambda: worker.get("/connectors/src/offsets").json()["offsets"] == expected, what="offsets")


def test_table_selection_views_and_new_tables(db: Db, start_worker, broker, topic_name):
    for name in ("alpha", "beta", "gamma"):
        db.execute(f"CREATE TABLE {name} ({db.serial}, v INT)")
        db.execute(f"INSERT INTO {name} (v) VALUES (1)")
    db.execute("CREATE VIEW alpha_view AS SELECT id, v FROM alpha")
    worker = start_worker()
    prefix = f"{topic_name}-"
    configs = {
        "wl": db.config(mode="bulk", **{"table.whitelist": "alpha,gamma", "topic.prefix": prefix + "wl-"}),
        "inc": db.config(mode="bulk", **{"table.include.list": r".*\.(alpha|beta)", "table.exclude.list": r".*\.beta",
                                         "topic.prefix": prefix + "inc-"}),
        # View columns are nullable as far as the catalog knows: validate.non.null must be off.
        "view": db.config(mode="incrementing", **{"table.types": "VIEW", "incrementing.column.name": "id",
                                                  "validate.non.null": "false", "topic.prefix": prefix + "view-"}),
        "dyn": db.config(mode="incrementing", **{"table.include.list": r".*\.dyn_.*", "topic.prefix": prefix + "dyn-",
                                                 "table.poll.interval.ms": 500, "tasks.max": 2}),
    }
    for name, config in configs.items():
        assert worker.put(f"/connectors/{name}/config", json=config).status_code == 201, name
    worker.wait_for_state("wl", tasks=1)
    for topic in ("wl-alpha", "wl-gamma", "inc-alpha", "view-alpha_view"):
        assert broker.consume(prefix + topic, 1, timeout=60, partition=None)
    topics = broker.topics()
    assert prefix + "wl-beta" not in topics and prefix + "inc-beta" not in topics and prefix + "inc-gamma" not in topics
    assert worker.get("/connectors/dyn/tasks").json() == []  # no table yet: no task
    db.execute(f"CREATE TABLE dyn_one ({db.serial}, v INT)")
    db.execute("INSERT INTO dyn_one (v) VALUES (7)")
    assert payloads(broker.consume(prefix + "dyn-dyn_one", 1, timeout=60, partition=None))[0]["v"] == 7
    db.execute(f"CREATE TABLE dyn_two ({db.serial}, v INT)")
    db.execute("INSERT INTO dyn_two (v) VALUES (8)")
    assert payloads(broker.consume(prefix + "dyn-dyn_two", 1, timeout=60, partition=None))[0]["v"] == 8
    wait_until(lambda: len(worker.get("/connectors/dyn/tasks").json()) == 2, what="two tasks")


def test_offsets_rest_and_patch_to_resume(db: Db, start_worker, broker, topic_name):
    db.execute(f"CREATE TABLE items ({db.serial}, name VARCHAR(40) NOT NULL)")
    db.execute("INSERT INTO items (name) VALUES ('a'), ('b'), ('c'), ('d')")
    topic = f"{topic_name}-items"
    broker.create_topic(topic, partitions=1)
    worker = start_worker()
    config = db.config(mode="incrementing", **{"topic.prefix": f"{topic_name}-"})
    assert worker.put("/connectors/src/config", json=config).status_code == 201
    broker.consume(topic, 4, timeout=60)
    partition = {"protocol": "1", "table": f"{db.fqn_prefix}items"}
    wait_until(lambda: worker.get("/connectors/src/offsets").json() ==
               {"offsets": [{"partition": partition, "offset": {"incrementing": 4}}]}, what="offset 4")
    assert worker.put("/connectors/src/stop").status_code == 204
    worker.wait_for_state("src", "STOPPED", tasks=0)
    # Confluent's offset format, PATCHed in: resume after id 2.
    patched = worker.patch("/connectors/src/offsets", json={"offsets": [{"partition": partition,
                                                                         "offset": {"incrementing": 2}}]})
    assert patched.status_code == 200, patched.text
    assert worker.put("/connectors/src/resume").status_code == 202
    names = [p["name"] for p in payloads(consume_exactly(
        broker, topic, 6, is_marker=lambda p: p["name"] == "marker",
        insert_marker=lambda: db.execute("INSERT INTO items (name) VALUES ('marker')")))]
    assert names == ["a", "b", "c", "d", "c", "d"]
