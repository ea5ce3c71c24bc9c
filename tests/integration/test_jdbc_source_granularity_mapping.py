"""timestamp.granularity and timestamp.columns.mapping / incrementing.column.mapping end to end,
on the real PostgreSQL and MariaDB (JsonConverter: the PostgreSQL JSON-ready path is on)."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from .jdbc_helpers import Db, consume_exactly, db, payloads, wait_until  # noqa: F401

pytestmark = pytest.mark.integration

VALIDATE = "/connector-plugins/JdbcSourceConnector/config/validate"
UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
TS = "org.apache.kafka.connect.data.Timestamp"


def _micros(*args, tz=UTC) -> int:
    return (dt.datetime(*args, tzinfo=tz) - EPOCH) // dt.timedelta(microseconds=1)


def _errors(body: dict) -> dict[str, list[str]]:
    return {c["value"]["name"]: c["value"]["errors"] for c in body["configs"] if c["value"]["errors"]}


# (granularity, db.timezone) → (JSON schema type, logical name, value of 2024-01-02 03:04:05.678901 wall clock)
NY = "America/New_York"
W1 = (2024, 1, 2, 3, 4, 5, 678901)
CASES = {
    ("connect_logical", "UTC"): ("int64", TS, _micros(*W1) // 1000),
    ("micros_long", "UTC"): ("int64", None, _micros(*W1)),
    ("micros_string", "UTC"): ("string", None, str(_micros(*W1))),
    ("micros_iso_datetime_string", "UTC"): ("string", None, "2024-01-02T03:04:05.678901"),
    ("nanos_long", "UTC"): ("int64", None, _micros(*W1) * 1000),
    ("nanos_string", "UTC"): ("string", None, str(_micros(*W1) * 1000)),
    ("nanos_iso_datetime_string", "UTC"): ("string", None, "2024-01-02T03:04:05.678901000"),
    # A zone-less column is wall-clock time in db.timezone (03:04 EST = 08:04 UTC); Confluent writes
    # the ISO strings at db.timezone, so they show the stored wall clock again.
    ("micros_long", NY): ("int64", None, _micros(*W1) + 5 * 3600 * 10**6),
    ("nanos_iso_datetime_string", NY): ("string", None, "2024-01-02T03:04:05.678901000"),
}


def test_granularity_every_value_in_timestamp_incrementing_mode(db: Db, start_worker, broker, topic_name):
    arr = ", tsa TIMESTAMP(6)[]" if db.pg else ""
    db.execute(f"CREATE TABLE ev ({db.serial}, updated_at {db.ts_type} NOT NULL, opt {db.ts_type} NULL, "
               f"d DATE NULL{arr})")
    arr_value = ", ARRAY['2024-01-02 03:04:05.678901'::timestamp, NULL]" if db.pg else ""
    db.execute(f"INSERT INTO ev (updated_at, opt, d{', tsa' if db.pg else ''}) VALUES "
               f"('2024-01-02 03:04:05.678901', NULL, '2024-02-29'{arr_value})")
    worker = start_worker()
    names = {}
    for n, (granularity, zone) in enumerate(CASES):
        prefix = f"{topic_name}-{n}-"
        broker.create_topic(prefix + "ev", partitions=1)
        names[(granularity, zone)] = (f"g{n}", prefix + "ev")
        config = db.config(mode="timestamp+incrementing", **{
            "timestamp.column.name": "updated_at", "incrementing.column.name": "id", "topic.prefix": prefix,
            "timestamp.granularity": granularity, "db.timezone": zone})
        response = worker.put(f"/connectors/g{n}/config", json=config)
        assert response.status_code == 201, response.text
    for case, (ftype, logical, value) in CASES.items():
        message = broker.consume(names[case][1], 1, timeout=60)[0]
        envelope = orjson.loads(message.value())
        fields = {f["field"]: f for f in envelope["schema"]["fields"]}
        for col, optional in (("updated_at", False), ("opt", True)):
            f = fields[col]
            assert (f["type"], f.get("name"), f["optional"]) == (ftype, logical, optional), (case, f)
        assert fields["d"].get("name") == "org.apache.kafka.connect.data.Date", case  # DATE is not a timestamp
        row = envelope["payload"]
        assert row["updated_at"] == value, case
        assert row["opt"] is None
        if db.pg:  # array elements resolve as the scalar column does (Confluent)
            items = fields["tsa"]["items"]
            assert (items["type"], items.get("name"), items["optional"]) == (ftype, logical, True), case
            assert row["tsa"] == [value, None], case
    # Offsets stay on the datetimes: ms + nanos of the last row, and the next rows (only they) follow.
    db.execute("INSERT INTO ev (updated_at) VALUES ('2024-01-03 00:00:00.000001'), ('2024-01-04 00:00:00')")
    for case, (name, topic) in names.items():
        rows = payloads(broker.consume(topic, 3, timeout=60))
        assert [r["id"] for r in rows] == [1, 2, 3], case
        offset = wait_until(lambda: [o["offset"] for o in worker.get(f"/connectors/{name}/offsets").json()["offsets"]
                                     if o["offset"].get("incrementing") == 3], what=f"offset of {case}")[0]
        shift = 5 * 3600 * 10**6 if case[1] == NY else 0
        assert offset["timestamp"] == (_micros(2024, 1, 4) + shift) // 1000, case
        assert offset["timestamp_nanos"] == 0
    # Only those: a later marker row (id 4) follows them directly in every topic.
    db.execute("INSERT INTO ev (updated_at) VALUES ('2024-06-01 00:00:00')")
    for case, (name, topic) in names.items():
        consume_exactly(broker, topic, 3, is_marker=lambda p: p["id"] == 4)
    micros_case = names[("micros_long", "UTC")][1]
    assert [r["updated_at"] for r in payloads(broker.consume(micros_case, 3, timeout=10))][1:] == [
        _micros(2024, 1, 3, 0, 0, 0, 1), _micros(2024, 1, 4)]


def test_granularity_timestamp_mode_and_bulk(db: Db, start_worker, broker, topic_name):
    db.execute(f"CREATE TABLE tm ({db.serial}, ts {db.ts_type} NOT NULL)")
    db.execute("INSERT INTO tm (ts) VALUES ('2020-05-05 05:05:05.000005'), ('2020-05-05 05:05:05.000005'), "
               "('1969-12-31 23:59:59.5')")
    worker = start_worker()
    for name, mode in (("ts", "timestamp"), ("bulk", "bulk")):
        prefix = f"{topic_name}-{name}-"
        broker.create_topic(prefix + "tm", partitions=1)
        extra = {"timestamp.column.name": "ts"} if mode == "timestamp" else {}
        response = worker.put(f"/connectors/{name}/config", json=db.config(mode=mode, **{
            "topic.prefix": prefix, "timestamp.granularity": "nanos_string", **extra}))
        assert response.status_code == 201, response.text
    bulk = payloads(broker.consume(f"{topic_name}-bulk-tm", 3, timeout=60))  # the first bulk read: 3 rows
    # Timestamp mode starts after 1970-01-01 (timestamp.initial unset): the 1969 row is not read
    # before a later marker row (id 4), or ever.
    db.execute("INSERT INTO tm (ts) VALUES ('2020-12-31 00:00:00')")
    rows = payloads(consume_exactly(broker, f"{topic_name}-ts-tm", 2, is_marker=lambda p: p["id"] == 4))
    assert [r["ts"] for r in rows] == [str(_micros(2020, 5, 5, 5, 5, 5, 5) * 1000)] * 2
    assert sorted(r["ts"] for r in bulk) == sorted(["-500000000"] + [r["ts"] for r in rows])
    db.execute("INSERT INTO tm (ts) VALUES ('2021-01-01 00:00:00')")
    more = payloads(consume_exactly(
        broker, f"{topic_name}-ts-tm", 4, is_marker=lambda p: p["id"] == 6,
        insert_marker=lambda: db.execute("INSERT INTO tm (ts) VALUES ('2021-06-01 00:00:00')")))
    assert more[3]["ts"] == str(_micros(2021, 1, 1) * 1000)


def _mapped_tables(db: Db) -> None:
    # orders: auto-increment id (no incrementing entry matches), two timestamp columns (COALESCE).
    db.execute(f"CREATE TABLE orders ({db.serial}, changed {db.ts_type} NULL, created {db.ts_type} NOT NULL)")
    # items: its own incrementing column, not auto-increment, and a differently named timestamp column.
    db.execute(f"CREATE TABLE items (item_no INT NOT NULL PRIMARY KEY, upd {db.ts_type} NOT NULL)")
    db.execute(f"CREATE TABLE other (x INT NULL, upd {db.ts_type} NULL)")


def test_column_mappings_per_table(db: Db, start_worker, broker, topic_name):
    _mapped_tables(db)
    db.execute("INSERT INTO orders (changed, created) VALUES (NULL, '2024-01-01 00:00:00'), "
               "('2024-01-05 00:00:00', '2024-01-02 00:00:00')")
    db.execute("INSERT INTO items VALUES (100, '2024-01-03 00:00:00'), (200, '2024-01-03 00:00:00')")
    prefix = f"{topic_name}-"
    for t in ("orders", "items"):
        broker.create_topic(prefix + t, partitions=1)
    config = db.config(mode="timestamp+incrementing", **{
        "table.include.list": r".*\.(orders|items)", "topic.prefix": prefix,
        "timestamp.columns.mapping": r".*\.orders:[changed|created],.*\.items:[upd]",
        "incrementing.column.mapping": r".*\.items:item_no"})
    worker = start_worker()
    body = worker.put(VALIDATE, json={**config, "name": "m"}).json()
    assert body["error_count"] == 0, _errors(body)
    assert worker.put("/connectors/m/config", json=config).status_code == 201
    orders = payloads(broker.consume(prefix + "orders", 2, timeout=60))
    items = payloads(broker.consume(prefix + "items", 2, timeout=60))
    assert [o["id"] for o in orders] == [1, 2] and [i["item_no"] for i in items] == [100, 200]

    def offsets() -> dict:
        found = {o["partition"]["table"].rsplit(".", 1)[1]: o["offset"]
                 for o in worker.get("/connectors/m/offsets").json()["offsets"]}
        return found if found.get("orders", {}).get("incrementing") == 2 and \
            found.get("items", {}).get("incrementing") == 200 else None
    got = wait_until(offsets, what="offsets of both tables")
    # orders: COALESCE(changed, created) of its last row = changed (2024-01-05); items: item_no.
    assert got["orders"]["timestamp"] == _micros(2024, 1, 5) // 1000
    assert got["items"]["timestamp"] == _micros(2024, 1, 3) // 1000
    # Only new or changed rows follow, per table and by its own columns.
    db.execute("INSERT INTO items VALUES (150, '2024-01-03 00:00:00'), (300, '2024-01-03 00:00:00')")
    db.execute("UPDATE orders SET changed = '2024-02-01 00:00:00' WHERE id = 1")
    # Markers, later by both columns: item 400, order 3 (created 2024-03-01).
    db.execute("INSERT INTO items VALUES (400, '2024-01-04 00:00:00')")
    db.execute("INSERT INTO orders (changed, created) VALUES (NULL, '2024-03-01 00:00:00')")
    items = payloads(consume_exactly(broker, prefix + "items", 3, is_marker=lambda p: p["item_no"] == 400))
    assert [i["item_no"] for i in items] == [100, 200, 300]  # 150 < 200 at the same timestamp: not new
    orders = payloads(consume_exactly(broker, prefix + "orders", 3, is_marker=lambda p: p["id"] == 3))
    assert orders[2]["id"] == 1


def test_column_mapping_validation(db: Db, worker):
    _mapped_tables(db)
    base = {"mode": "timestamp+incrementing", "table.include.list": r".*\.(orders|items|other)"}
    cases = [
        # A table no timestamp entry matches (other), in a timestamp mode.
        ({"timestamp.columns.mapping": r".*\.orders:[created],.*\.items:[upd]",
          "incrementing.column.mapping": r".*\.items:item_no,.*\.other:x"},
         "timestamp.columns.mapping", "No timestamp.columns.mapping entry matches table", "other"),
        # A mapped column the table lacks.
        ({"timestamp.columns.mapping": r".*\.items:[nope],.*:[upd]", "incrementing.column.mapping": r".*:item_no",
          "table.include.list": r".*\.items"},
         "timestamp.columns.mapping", "Timestamp column nope not found in table", "items"),
        # validate.non.null per table: every timestamp column of `other` is nullable, and so is x.
        ({"timestamp.columns.mapping": r".*\.other:[upd]", "incrementing.column.mapping": r".*\.other:x",
          "table.include.list": r".*\.other"},
         "timestamp.columns.mapping", "are nullable", "other"),
        ({"timestamp.columns.mapping": r".*\.other:[upd]", "incrementing.column.mapping": r".*\.other:x",
          "table.include.list": r".*\.other"},
         "incrementing.column.mapping", "because this column is nullable", "other"),
        # items has no auto-increment column and no incrementing entry matches it.
        ({"timestamp.columns.mapping": r".*:[upd]", "incrementing.column.mapping": r".*\.orders:id",
          "table.include.list": r".*\.items"},
         "incrementing.column.mapping", "Cannot find an auto-increment column", "items"),
        # Confluent's message for both kinds of keys, on both keys.
        ({"timestamp.columns.mapping": r".*:[upd]", "timestamp.column.name": "upd",
          "incrementing.column.name": "x"},
         "timestamp.column.name", "Cannot use both timestamp.column.name and timestamp.columns.mapping", None),
        ({"timestamp.columns.mapping": r".*:[upd]", "timestamp.column.name": "upd",
          "incrementing.column.name": "x"},
         "timestamp.columns.mapping", "Use timestamp.columns.mapping for new implementations", None),
        ({"timestamp.column.name": "upd", "incrementing.column.mapping": ".*:x", "incrementing.column.name": "x"},
         "incrementing.column.mapping", "Cannot use both incrementing.column.name and incrementing.column.mapping",
         None),
        ({"timestamp.columns.mapping": "orders:created", "incrementing.column.name": "id"},
         "timestamp.columns.mapping", "expected <table regex>:[column1|column2|...]", None),
        ({"mode": "incrementing", "table.include.list": "", "table.whitelist": "items",
          "incrementing.column.mapping": ".*:item_no"},
         "incrementing.column.mapping", "Cannot use legacy table filtering", None),
        ({"mode": "bulk", "timestamp.granularity": "millis"}, "timestamp.granularity", "String must be one of", None),
    ]
    for extra, key, text, table in cases:
        config = db.config(**{**base, **extra})
        errors = _errors(worker.put(VALIDATE, json={**config, "name": "bad"}).json())
        assert key in errors and any(text in m for m in errors[key]), (extra, errors)
        if table is not None:
            assert any(table in m for m in errors[key] if text in m), (extra, errors)
        created = worker.put("/connectors/bad/config", json=config)
        assert created.status_code == 400 and text in created.json()["message"], (extra, created.text)
