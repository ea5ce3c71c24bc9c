"""JdbcSinkTask driven directly against real PostgreSQL and MariaDB: every insert.mode × pk.mode,
deletes, auto-create of every Connect type, auto-evolve, schemaless maps, nested fields, hostile names.

The worker adds nothing to these cases (test_jdbc_sink_worker.py covers the runtime paths), so the
task is driven the way the runtime drives it: start → open → put … → pre_commit → stop.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest

from dbconnect.api.data import (
    BOOLEAN_SCHEMA, BYTES_SCHEMA, FLOAT32_SCHEMA, FLOAT64_SCHEMA, INT8_SCHEMA, INT16_SCHEMA, INT32_SCHEMA,
    INT64_SCHEMA, OPTIONAL_INT32_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, Date, Decimal, Schema,
    SchemaBuilder, Struct, Time, Timestamp,
)
from dbconnect.api.errors import ConnectError
from dbconnect.api.records import SinkRecord
from dbconnect.api.task import ErrantRecordReporter, SinkTaskContext, TopicPartition
from dbconnect.connectors.jdbc.sink import JdbcSinkTask

from .jdbc_helpers import Db, db  # noqa: F401

pytestmark = pytest.mark.integration

UTC = dt.timezone.utc
VALUE = (SchemaBuilder.struct().name("Order").field("id", INT64_SCHEMA).field("name", STRING_SCHEMA)
         .field("qty", OPTIONAL_INT32_SCHEMA).build())
KEY = SchemaBuilder.struct().name("OrderKey").field("id", INT64_SCHEMA).build()


class ListReporter(ErrantRecordReporter):
    """Keeps what is reported, and decides as the runtime's reporter does: through an ErrorHandler
    with the sink's errors.* settings (errors.tolerance=none raises)."""

    def __init__(self, config: dict | None = None) -> None:
        from dbconnect.runtime.errors import ErrorHandler

        self.reported: list[tuple[SinkRecord, BaseException]] = []
        self.handler = ErrorHandler("sink-test", 0, config or {})

    def report(self, record: SinkRecord, error: BaseException) -> Any:
        from dbconnect.runtime.errors import Stage

        self.reported.append((record, error))
        return self.handler.handle(Stage.TASK_PUT, error, cls=JdbcSinkTask, topic=record.original_topic,
                                   partition=record.original_kafka_partition, offset=record.original_kafka_offset)


class Sink:
    """A started JdbcSinkTask plus the context the runtime would give it."""

    def __init__(self, db: Db, **config: Any) -> None:
        self.db = db
        self.props = {
            "name": "sink-test", "connection.url": db.server.jdbc_url(db.name), "connection.user": db.server.user,
            "connection.password": db.server.password, "topics": "orders", "auto.create": "true",
            "retry.backoff.ms": "10", "connection.backoff.ms": "10",
        }
        self.props.update({k: str(v) for k, v in config.items()})
        self.task = JdbcSinkTask(sleep=lambda s: None)
        self.context = SinkTaskContext()
        self.context._configs = dict(self.props)
        self.reporter = self.context._reporter = ListReporter(self.props)
        self.task.initialize(self.context)
        self.task.start(self.props)

    def put(self, *records: SinkRecord) -> None:
        self.task.put(list(records))

    def commit(self, offsets: dict | None = None) -> dict:
        """The runtime's periodic commit (offset.flush.interval.ms), which writes what is buffered.

        Not one the task asked for after a write: that one only reports what is already written.
        """
        self.task._requested = False
        return self.task.pre_commit(offsets or {})

    def stop(self) -> None:
        self.task.stop()


def order(i: int, name: str = "n", qty: int | None = 1) -> Struct:
    return Struct(VALUE).put("id", i).put("name", f"{name}{i}").put("qty", qty)


def record(offset: int, value: Any, key: Any = None, key_schema: Schema | None = None,
           value_schema: Schema | None = VALUE, topic: str = "orders", partition: int = 0) -> SinkRecord:
    return SinkRecord(topic, partition, key_schema, key, value_schema if value is not None else value_schema,
                      value, offset)


def rows(db: Db, table: str = "orders", order_by: str = "id") -> list[tuple]:
    return db.execute(f"SELECT * FROM {db.q(table)} ORDER BY {db.q(order_by)}")


def keyed(offset: int, i: int, pk_mode: str, name: str = "n") -> SinkRecord:
    if pk_mode == "record_key":
        return record(offset, order(i, name), Struct(KEY).put("id", i), KEY)
    return record(offset, order(i, name))


PK_CONFIG = {
    "none": {},
    "kafka": {"pk.mode": "kafka"},
    "record_key": {"pk.mode": "record_key"},
    "record_value": {"pk.mode": "record_value", "pk.fields": "id"},
}


# -- insert.mode × pk.mode ---------------------------------------------------------------------------

@pytest.mark.parametrize("pk_mode", list(PK_CONFIG))
def test_insert_mode(db: Db, pk_mode: str):
    sink = Sink(db, **PK_CONFIG[pk_mode])
    sink.put(*(keyed(i, i, pk_mode) for i in range(3)))
    assert sink.commit() == {}
    got = db.execute("SELECT id, name, qty FROM orders ORDER BY id")
    assert got == [(0, "n0", 1), (1, "n1", 1), (2, "n2", 1)]
    if pk_mode == "kafka":
        cols = ", ".join(db.q(c) for c in ("__connect_topic", "__connect_partition", "__connect_offset"))
        assert db.execute(f"SELECT {cols} FROM orders ORDER BY 3") == [("orders", 0, 0), ("orders", 0, 1), ("orders", 0, 2)]
    if pk_mode == "none":  # no key: a replay appends
        sink.put(*(keyed(i, i, pk_mode) for i in range(3)))
        sink.commit()
        assert db.execute("SELECT count(*) FROM orders") == [(6,)]
    sink.stop()


@pytest.mark.parametrize("pk_mode", ["kafka", "record_key", "record_value"])
def test_upsert_mode(db: Db, pk_mode: str):
    sink = Sink(db, **PK_CONFIG[pk_mode], **{"insert.mode": "upsert"})
    sink.put(*(keyed(i, i, pk_mode) for i in range(3)))
    # The same key twice in one batch: the last write wins (ON CONFLICT could not take both).
    sink.put(keyed(3, 1, pk_mode, "a"), keyed(4, 1, pk_mode, "b"), keyed(5, 4, pk_mode))
    sink.commit()
    got = db.execute("SELECT id, name FROM orders ORDER BY id, name")
    if pk_mode == "kafka":  # every offset is its own row
        assert len(got) == 6
    else:
        assert got == [(0, "n0"), (1, "b1"), (2, "n2"), (4, "n4")]
    sink.stop()


@pytest.mark.parametrize("pk_mode", ["kafka", "record_key", "record_value"])
def test_update_mode(db: Db, pk_mode: str):
    seed = Sink(db, **PK_CONFIG[pk_mode], **{"insert.mode": "upsert"})
    seed.put(*(keyed(i, i, pk_mode) for i in range(3)))
    seed.commit()
    seed.stop()
    sink = Sink(db, **PK_CONFIG[pk_mode], **{"insert.mode": "update"})
    if pk_mode == "kafka":
        sink.put(record(1, order(1, "upd")), record(7, order(7, "absent")))
        sink.commit()
        assert db.execute("SELECT id, name FROM orders ORDER BY id") == [(0, "n0"), (1, "upd1"), (2, "n2")]
    else:
        sink.put(keyed(10, 1, pk_mode, "upd"), keyed(11, 9, pk_mode, "absent"))
        sink.commit()
        assert db.execute("SELECT id, name FROM orders ORDER BY id") == [(0, "n0"), (1, "upd1"), (2, "n2")]
    sink.stop()


# -- deletes -----------------------------------------------------------------------------------------------

def test_tombstones_delete_in_order_with_writes(db: Db):
    sink = Sink(db, **{"pk.mode": "record_key", "insert.mode": "upsert", "delete.enabled": "true"})
    k = lambda i: Struct(KEY).put("id", i)  # noqa: E731
    sink.put(*(record(i, order(i), k(i), KEY) for i in range(5)))
    sink.commit()
    sink.put(
        record(5, None, k(1), KEY),                 # delete an existing row
        record(6, None, k(2), KEY), record(7, order(2, "back"), k(2), KEY),  # delete then re-insert
        record(8, order(5), k(5), KEY), record(9, None, k(5), KEY),          # insert then delete
        record(10, None, k(42), KEY),                # delete of a key that never existed
    )
    sink.commit()
    assert db.execute("SELECT id, name FROM orders ORDER BY id") == [(0, "n0"), (2, "back2"), (3, "n3"), (4, "n4")]
    sink.stop()


def test_insert_mode_delete_then_insert_same_key(db: Db):
    sink = Sink(db, **{"pk.mode": "record_key", "delete.enabled": "true"})
    k = Struct(KEY).put("id", 1)
    sink.put(record(0, order(1, "first"), k, KEY))
    sink.commit()
    sink.put(record(1, None, k, KEY), record(2, order(1, "second"), k, KEY))
    sink.commit()
    assert db.execute("SELECT id, name FROM orders") == [(1, "second1")]
    sink.stop()


def test_primitive_key_and_composite_key_deletes(db: Db):
    sink = Sink(db, **{"pk.mode": "record_key", "pk.fields": "id", "insert.mode": "upsert", "delete.enabled": "true"})
    sink.put(*(record(i, order(i), i, INT64_SCHEMA) for i in range(4)), record(4, None, 2, INT64_SCHEMA))
    sink.commit()
    assert [r[0] for r in db.execute("SELECT id FROM orders ORDER BY id")] == [0, 1, 3]
    sink.stop()
    composite = SchemaBuilder.struct().field("region", STRING_SCHEMA).field("n", INT32_SCHEMA).build()
    value = SchemaBuilder.struct().field("region", STRING_SCHEMA).field("n", INT32_SCHEMA).field(
        "v", STRING_SCHEMA).build()
    sink = Sink(db, **{"pk.mode": "record_key", "insert.mode": "upsert", "delete.enabled": "true",
                       "topics": "regions"})
    key = lambda r, n: Struct(composite).put("region", r).put("n", n)  # noqa: E731
    val = lambda r, n: Struct(value).put("region", r).put("n", n).put("v", f"{r}{n}")  # noqa: E731
    sink.put(*(record(i, val(r, n), key(r, n), composite, value, topic="regions")
               for i, (r, n) in enumerate([("eu", 1), ("eu", 2), ("us", 1)])))
    sink.put(record(3, None, key("eu", 2), composite, value, topic="regions"))
    sink.commit()
    assert db.execute("SELECT region, n, v FROM regions ORDER BY region, n") == [("eu", 1, "eu1"), ("us", 1, "us1")]
    sink.stop()


def test_tombstone_without_delete_enabled_is_a_record_error(db: Db):
    sink = Sink(db, **{"pk.mode": "record_key", "errors.tolerance": "all"})
    k = Struct(KEY).put("id", 1)
    sink.put(record(0, order(1), k, KEY), record(1, None, k, KEY))
    sink.commit()
    assert db.execute("SELECT id FROM orders") == [(1,)]
    [(bad, error)] = sink.reporter.reported
    assert bad.kafka_offset == 1 and "delete.enabled is false" in str(error)
    sink.stop()


# -- auto.create / auto.evolve ------------------------------------------------------------------------

INNER = SchemaBuilder.struct().name("Inner").field("x", INT32_SCHEMA).field("tags", SchemaBuilder.array(
    STRING_SCHEMA).build()).optional().build()
EVERYTHING = (
    SchemaBuilder.struct().name("Everything")
    .field("id", INT64_SCHEMA).field("i8", INT8_SCHEMA).field("i16", INT16_SCHEMA).field("i32", INT32_SCHEMA)
    .field("f32", FLOAT32_SCHEMA).field("f64", FLOAT64_SCHEMA).field("flag", BOOLEAN_SCHEMA)
    .field("text", STRING_SCHEMA).field("raw", BYTES_SCHEMA).field("amount", Decimal.schema(3))
    .field("day", Date.SCHEMA).field("at", Time.SCHEMA).field("ts", Timestamp.SCHEMA)
    .field("maybe", OPTIONAL_STRING_SCHEMA)
    .field("dflt", SchemaBuilder.string().optional().default_value("fallback").build())
    .field("ints", SchemaBuilder.array(INT32_SCHEMA).optional().build())
    .field("attrs", SchemaBuilder.map(STRING_SCHEMA, INT64_SCHEMA).optional().build())
    .field("inner", INNER)
    .build()
)
PG_TYPES = {
    "id": "bigint", "i8": "smallint", "i16": "smallint", "i32": "integer", "f32": "real", "f64": "double precision",
    "flag": "boolean", "text": "text", "raw": "bytea", "amount": "numeric", "day": "date",
    "at": "time without time zone", "ts": "timestamp without time zone", "maybe": "text", "dflt": "text",
    "ints": "integer[]", "attrs": "jsonb", "inner": "jsonb",
}
MARIADB_TYPES = {
    "id": "bigint(20)", "i8": "tinyint(4)", "i16": "smallint(6)", "i32": "int(11)", "f32": "float", "f64": "double",
    "flag": "tinyint(4)", "text": "text", "raw": "longblob", "amount": "decimal(65,3)", "day": "date",
    "at": "time(3)", "ts": "datetime(3)", "maybe": "text", "dflt": "text", "ints": "longtext", "attrs": "longtext",
    "inner": "longtext",
}


def everything(i: int) -> Struct:
    return (Struct(EVERYTHING).put("id", i).put("i8", -8).put("i16", 1600).put("i32", -320000)
            .put("f32", 1.5).put("f64", 2.25).put("flag", True).put("text", "héllo 'quoted' \"x\"")
            .put("raw", b"\x00\xff").put("amount", decimal.Decimal("12345.678")).put("day", dt.date(2024, 2, 29))
            .put("at", dt.time(13, 14, 15, 123000)).put("ts", dt.datetime(2024, 5, 6, 7, 8, 9, 456000, tzinfo=UTC))
            .put("maybe", None).put("dflt", None).put("ints", [1, 2, 3]).put("attrs", {"a": 1, "b": 2})
            .put("inner", Struct(INNER).put("x", 7).put("tags", ["p", "q"])))


def column_types(db: Db, table: str) -> dict[str, str]:
    if db.pg:
        return dict(db.execute("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE "
                               "attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped", (db.q(table),)))
    return dict(db.execute("SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE "
                           "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s", (table,)))


def test_auto_create_maps_every_connect_type_and_round_trips_values(db: Db):
    import orjson

    sink = Sink(db, **{"pk.mode": "record_value", "pk.fields": "id", "topics": "everything"})
    sink.put(record(0, everything(1), value_schema=EVERYTHING, topic="everything"))
    sink.commit()
    assert column_types(db, "everything") == (PG_TYPES if db.pg else MARIADB_TYPES)
    [row] = db.execute("SELECT * FROM everything")
    got = dict(zip(EVERYTHING.field_names, row))
    assert got["id"] == 1 and got["i8"] == -8 and got["i16"] == 1600 and got["i32"] == -320000
    assert got["f32"] == 1.5 and got["f64"] == 2.25 and bool(got["flag"]) is True
    assert got["text"] == "héllo 'quoted' \"x\"" and bytes(got["raw"]) == b"\x00\xff"
    assert got["amount"] == decimal.Decimal("12345.678") and got["day"] == dt.date(2024, 2, 29)
    assert got["at"] in (dt.time(13, 14, 15, 123000), dt.timedelta(hours=13, minutes=14, seconds=15, milliseconds=123))
    assert got["ts"] == dt.datetime(2024, 5, 6, 7, 8, 9, 456000)  # UTC wall clock (db.timezone)
    assert got["maybe"] is None and got["dflt"] == "fallback"  # replace.null.with.default
    assert (got["ints"] if db.pg else orjson.loads(got["ints"])) == [1, 2, 3]
    assert (got["attrs"] if db.pg else orjson.loads(got["attrs"])) == {"a": 1, "b": 2}
    assert (got["inner"] if db.pg else orjson.loads(got["inner"])) == {"x": 7, "tags": ["p", "q"]}
    nullable = db.execute(
        "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_name = 'everything'"
        + ("" if db.pg else " AND table_schema = DATABASE()"))
    nullable = dict(nullable)
    assert nullable["id"] == "NO" and nullable["text"] == "NO" and nullable["maybe"] == "YES"
    sink.stop()


PRICE = (SchemaBuilder.struct().name("Price").field("code", Decimal.schema(2)).field("amount", Decimal.schema(4))
         .build())


def price(code: str, amount: str) -> Struct:
    return Struct(PRICE).put("code", decimal.Decimal(code)).put("amount", decimal.Decimal(amount))


@pytest.mark.parametrize("mode", ["upsert", "insert", "update"])
def test_decimal_keys_and_values_round_trip_exactly(db: Db, mode: str):
    # PostgreSQL stages numeric columns as text (cast back by the server): values, keys, ordering,
    # updates and deletes by decimal key must come out exactly as with numeric staging.
    db.execute("CREATE TABLE prices (code NUMERIC(12,2) PRIMARY KEY, amount NUMERIC(30,4) NOT NULL)")
    db.execute("INSERT INTO prices VALUES (10.50, 1), (-3.00, 2), (7.00, 3)")
    sink = Sink(db, **{"pk.mode": "record_value", "pk.fields": "code", "insert.mode": mode, "topics": "prices"})
    values = ["12345678901234567890.1234", "-0.0001", "0", "1E+3", "123.4567"]
    if mode == "insert":
        codes = ["0.01", "0.02", "1E+2", "-12.34", "5"]
    else:
        codes = ["10.50", "-3.00", "0.01", "99999.99", "7.00"]
    sink.put(*(record(i, price(c, v), value_schema=PRICE, topic="prices")
               for i, (c, v) in enumerate(zip(codes, values))))
    sink.commit()
    got = dict(db.execute("SELECT code, amount FROM prices"))
    expected = {decimal.Decimal("10.50"): decimal.Decimal("1"), decimal.Decimal("-3.00"): decimal.Decimal("2"),
                decimal.Decimal("7.00"): decimal.Decimal("3")}
    for c, v in zip(codes, values):
        if mode == "update" and decimal.Decimal(c) not in expected:
            continue  # update mode never inserts
        expected[decimal.Decimal(c)] = decimal.Decimal(v)
    assert got == expected
    assert all(str(a) == str(a.quantize(decimal.Decimal("0.0001"))) for a in got.values())  # scale 4 kept
    sink.stop()


def test_decimal_keys_are_deleted_by_tombstones_and_overflow_is_a_record_error(db: Db):
    db.execute("CREATE TABLE prices (code NUMERIC(12,2) PRIMARY KEY, amount NUMERIC(8,4) NOT NULL)")
    key = SchemaBuilder.struct().field("code", Decimal.schema(2)).build()
    sink = Sink(db, **{"pk.mode": "record_key", "insert.mode": "upsert", "topics": "prices",
                       "delete.enabled": "true", "errors.tolerance": "all"})
    k = lambda c: Struct(key).put("code", decimal.Decimal(c))  # noqa: E731
    value = SchemaBuilder.struct().field("amount", Decimal.schema(4)).build()
    v = lambda a: Struct(value).put("amount", decimal.Decimal(a))  # noqa: E731
    sink.put(record(0, v("1.5"), k("1.00"), key, value, "prices"), record(1, v("2.5"), k("2.00"), key, value, "prices"),
             record(2, v("123456.0"), k("3.00"), key, value, "prices"),  # does not fit NUMERIC(8,4)
             record(3, None, k("1.00"), key, value, "prices"))
    sink.commit()
    assert db.execute("SELECT code, amount FROM prices ORDER BY code") == [
        (decimal.Decimal("2.00"), decimal.Decimal("2.5000"))]
    assert [r.kafka_offset for r, _ in sink.reporter.reported] == [2]
    sink.stop()


def test_string_primary_key_gets_a_bounded_varchar_on_mariadb(db: Db):
    schema = SchemaBuilder.struct().field("code", STRING_SCHEMA).field("v", INT32_SCHEMA).build()
    sink = Sink(db, **{"pk.mode": "record_value", "pk.fields": "code", "insert.mode": "upsert", "topics": "codes"})
    sink.put(*(record(i, Struct(schema).put("code", f"c{i % 2}").put("v", i), value_schema=schema, topic="codes")
               for i in range(4)))
    sink.commit()
    assert db.execute("SELECT code, v FROM codes ORDER BY code") == [("c0", 2), ("c1", 3)]
    assert column_types(db, "codes")["code"] == ("text" if db.pg else "varchar(255)")
    sink.stop()


def test_auto_evolve_adds_optional_columns_and_refuses_required_ones(db: Db):
    sink = Sink(db, **{"pk.mode": "record_value", "pk.fields": "id", "insert.mode": "upsert", "auto.evolve": "true",
                       "errors.tolerance": "all"})
    sink.put(record(0, order(1)))
    v2 = (SchemaBuilder.struct().name("Order").field("id", INT64_SCHEMA).field("name", STRING_SCHEMA)
          .field("qty", OPTIONAL_INT32_SCHEMA).field("email", OPTIONAL_STRING_SCHEMA)
          .field("tier", SchemaBuilder.int32().default_value(3).build()).build())
    sink.put(record(1, Struct(v2).put("id", 2).put("name", "b").put("email", "b@x").put("tier", 5), value_schema=v2))
    sink.commit()
    assert db.execute("SELECT id, name, email, tier FROM orders ORDER BY id") == [(1, "n1", None, 3), (2, "b", "b@x", 5)]
    v3 = SchemaBuilder.struct().field("id", INT64_SCHEMA).field("name", STRING_SCHEMA).field(
        "required_new", STRING_SCHEMA).build()
    sink.put(record(2, Struct(v3).put("id", 3).put("name", "c").put("required_new", "x"), value_schema=v3))
    [(_, error)] = sink.reporter.reported
    assert "Cannot ALTER TABLE orders to add missing field required_new, as the field is not optional" in str(error)
    sink.stop()


def test_missing_table_or_columns_without_auto_ddl(db: Db):
    sink = Sink(db, **{"auto.create": "false", "errors.tolerance": "all"})
    sink.put(record(0, order(1)))
    assert "Table orders is missing and auto-creation is disabled" in str(sink.reporter.reported[0][1])
    db.execute(f"CREATE TABLE orders (id BIGINT PRIMARY KEY, {db.q('name')} TEXT)")
    sink.put(record(1, order(2)))
    assert "Table orders is missing fields (qty) and auto-evolution is disabled" in str(sink.reporter.reported[1][1])
    sink.stop()


# -- schemaless maps and nested values --------------------------------------------------------------

def test_schemaless_maps_into_an_existing_table(db: Db):
    import orjson

    json_type = "JSONB" if db.pg else "JSON"
    db.execute(f"CREATE TABLE events (id BIGINT PRIMARY KEY, label VARCHAR(20), amount NUMERIC(10,2), "
               f"at {db.ts_type}, day DATE, flag BOOLEAN, doc {json_type}, n INT)")
    sink = Sink(db, **{"pk.mode": "record_key", "pk.fields": "id", "insert.mode": "upsert", "topics": "events",
                       "auto.create": "false", "delete.enabled": "true"})
    docs = [
        {"id": 1, "label": "one", "amount": 12.5, "at": "2024-01-02T03:04:05.678Z", "day": "2024-01-02",
         "flag": True, "doc": {"a": [1, 2], "b": None}, "n": "42"},
        {"id": 2, "label": "two", "amount": "7.25", "at": 1704164645000, "flag": False},
        {"id": 3, "label": "three"},
    ]
    sink.put(*(SinkRecord("events", 0, None, {"id": d["id"]}, None, d, i) for i, d in enumerate(docs)),
             SinkRecord("events", 0, None, {"id": 3}, None, None, 3))
    sink.commit()
    got = db.execute("SELECT id, label, amount, at, day, flag, doc, n FROM events ORDER BY id")
    assert got[0][:6] == (1, "one", decimal.Decimal("12.50"), dt.datetime(2024, 1, 2, 3, 4, 5, 678000),
                          dt.date(2024, 1, 2), True if db.pg else 1)
    assert (got[0][6] if db.pg else orjson.loads(got[0][6])) == {"a": [1, 2], "b": None} and got[0][7] == 42
    assert got[1][:4] == (2, "two", decimal.Decimal("7.25"), dt.datetime(2024, 1, 2, 3, 4, 5))
    assert len(got) == 2  # id 3 was deleted by its tombstone
    sink.stop()


def test_schemaless_map_without_a_table_or_with_unknown_fields_is_reported(db: Db):
    sink = Sink(db, **{"topics": "loose", "errors.tolerance": "all"})
    sink.put(SinkRecord("loose", 0, None, None, None, {"a": 1}, 0))
    assert "records without a schema can only be written to an existing table" in str(sink.reporter.reported[0][1])
    db.execute("CREATE TABLE loose (a INT)")
    sink.put(SinkRecord("loose", 0, None, None, None, {"a": 2, "zzz": 1}, 1),
             SinkRecord("loose", 0, None, None, None, {"a": 3}, 2))
    sink.commit()
    assert "has no column(s) zzz" in str(sink.reporter.reported[1][1])
    assert db.execute("SELECT a FROM loose") == [(3,)]
    sink.stop()


# -- hostile names, missing key fields -------------------------------------------------------------------

@pytest.mark.parametrize("topic", ['x"; DROP TABLE victim; --', "x`; DROP TABLE victim; --", "db.victim",
                                   "50%_off", "it's"])
def test_dangerous_table_names_are_quoted_never_executed(db: Db, topic: str):
    db.execute("CREATE TABLE victim (id INT)")
    sink = Sink(db, **{"topics": "whatever"})
    sink.put(record(0, order(1), topic=topic))
    sink.commit()
    assert db.execute("SELECT count(*) FROM victim") == [(0,)]  # still there
    assert db.execute(f"SELECT id, name FROM {db.q(topic)}") == [(1, "n1")]
    sink.stop()


def test_table_name_format_and_unquotable_names(db: Db):
    sink = Sink(db, **{"table.name.format": "kafka_${topic}", "quote.sql.identifiers": "never",
                       "errors.tolerance": "all"})
    sink.put(record(0, order(1)), record(1, order(2), topic="bad-name"))
    sink.commit()
    assert db.execute("SELECT id FROM kafka_orders") == [(1,)]
    [(_, error)] = sink.reporter.reported
    assert "needs quoting but quote.sql.identifiers=never" in str(error)
    sink.stop()


def test_records_without_the_pk_fields(db: Db):
    sink = Sink(db, **{"pk.mode": "record_value", "pk.fields": "nope", "errors.tolerance": "all"})
    sink.put(record(0, order(1)))
    assert "PK mode for record_value: the value of record (topic='orders',partition=0,offset=0) has no field(s) nope" \
        in str(sink.reporter.reported[0][1])
    sink.stop()
    strict = Sink(db, **{"pk.mode": "record_key"})
    with pytest.raises(ConnectError, match="has a null key but pk.mode is record_key"):
        strict.put(record(0, order(1)))
    strict.stop()


# -- record-level database errors: bisection -------------------------------------------------------------

def test_bad_rows_are_isolated_and_reported_the_rest_is_written(db: Db):
    db.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, name VARCHAR(5) NOT NULL, qty INT)")
    db.execute("INSERT INTO orders VALUES (3, 'old', 0)")
    sink = Sink(db, **{"pk.mode": "record_value", "pk.fields": "id", "errors.tolerance": "all"})
    batch = [record(i, order(i)) for i in range(10)]
    batch[6] = record(6, order(6, "much-too-long"))  # does not fit VARCHAR(5)
    sink.put(*batch)
    assert sink.reporter.reported == []  # written in the background: reported when the write is taken
    sink.commit()
    reported = sorted((r.kafka_offset, str(e)) for r, e in sink.reporter.reported)
    assert [o for o, _ in reported] == [3, 6]  # 3: duplicate key (insert mode), 6: too long
    assert db.execute("SELECT id FROM orders ORDER BY id") == [(i,) for i in range(10) if i != 6]
    assert db.execute("SELECT name FROM orders WHERE id = 3") == [("old",)]
    sink.stop()


def test_without_tolerance_a_bad_row_fails_the_put_and_nothing_is_written(db: Db):
    db.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, name VARCHAR(5) NOT NULL, qty INT)")
    sink = Sink(db, **{"pk.mode": "record_value", "pk.fields": "id"})
    tp = TopicPartition("orders", 0)
    # The error handler (errors.tolerance=none) fails the task naming the record, isolated by
    # bisecting in transactions that are rolled back, and the database's error.
    with pytest.raises(ConnectError, match=r"Tolerance exceeded in error handler: executing stage 'TASK_PUT' with "
                                           r"class '[\w.]+JdbcSinkTask' on the record \{topic='orders', partition=0, "
                                           r"offset=1\} failed: .*(too long|1406)"):
        # The write runs in the background: its failure surfaces at the latest in pre_commit,
        # before any offset is handed back to the runtime.
        sink.put(record(0, order(1)), record(1, order(2, "much-too-long")), record(2, order(3)))
        sink.commit({tp: 3})
    assert db.execute("SELECT count(*) FROM orders") == [(0,)]
    sink.stop()


# -- transient errors -------------------------------------------------------------------------------------

def kill_sink_connections(db: Db) -> int:
    if db.pg:
        return len(db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND "
                              "application_name = 'dbconnect-jdbc-sink'", (db.name,)))
    ids = db.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s AND ID <> CONNECTION_ID()",
                     (db.name,))
    for (conn_id,) in ids:
        db.execute(f"KILL {int(conn_id)}")
    return len(ids)


def test_lost_connection_is_retried_with_redelivery(db: Db):
    from dbconnect.api.errors import RetriableError

    sink = Sink(db, **{"pk.mode": "record_value", "pk.fields": "id", "insert.mode": "upsert", "batch.size": "1",
                       "max.retries": "2", "retry.backoff.ms": "123"})
    sink.put(record(0, order(0)))
    sink.task._writes.wait()  # record 0 is written before its connection is killed, not during the write
    assert kill_sink_connections(db) == 1
    sink.put(record(1, order(1)))  # written in the background: its failure shows at the next call
    batch = [record(2, order(2)), record(3, order(3))]
    sink.task._writes.wait()  # record 1's background write ends (failed): the next put() reports it
    with pytest.raises(RetriableError, match=r"will retry \(1/2\)"):
        sink.put(*batch)
    assert sink.context._timeout_ms == 123
    sink.put(*batch)  # the runtime redelivers the batch: the task reconnects and writes everything
    assert sink.commit({TopicPartition("orders", 0): 4}) == {TopicPartition("orders", 0): 4}
    assert db.execute("SELECT id FROM orders ORDER BY id") == [(0,), (1,), (2,), (3,)]
    sink.stop()


# -- timestamp.fields.list, date.timezone, string.output.value.column.name ----------------------------

EVENT = (SchemaBuilder.struct().name("Event").field("id", INT64_SCHEMA).field("at_us", INT64_SCHEMA)
         .field("at_text", OPTIONAL_STRING_SCHEMA).field("day", Date.SCHEMA).build())


@pytest.mark.parametrize("precision", ["microseconds", "nanoseconds"])
def test_timestamp_fields_list_creates_and_fills_timestamp_columns(db: Db, precision: str):
    scale = 1000 if precision == "nanoseconds" else 1
    sink = Sink(db, **{"topics": "events", "pk.mode": "record_value", "pk.fields": "id", "insert.mode": "upsert",
                       "timestamp.fields.list": "at_us,at_text", "timestamp.precision.mode": precision,
                       "db.timezone": "Europe/Oslo", "date.timezone": "UTC"})
    event = lambda i, us, text: (Struct(EVENT).put("id", i).put("at_us", us * scale)  # noqa: E731
                                 .put("at_text", text).put("day", dt.date(2024, 1, 15)))
    sink.put(record(0, event(1, 1_700_000_000_123_456, "2024-01-15T10:20:30.654321"), value_schema=EVENT,
                    topic="events"),
             record(1, event(2, -1, "2024-06-01T12:00:00+02:00"), value_schema=EVENT, topic="events"),
             record(2, event(3, 0, None), value_schema=EVENT, topic="events"))
    sink.commit()
    types = column_types(db, "events")
    if db.pg:
        assert types["at_us"] == types["at_text"] == "timestamp without time zone"
    else:
        assert types["at_us"] == types["at_text"] == "datetime(6)"
    # Zone-less columns hold the wall clock in db.timezone (Oslo: UTC+1 in winter, +2 in summer).
    assert db.execute("SELECT id, at_us, at_text, day FROM events ORDER BY id") == [
        (1, dt.datetime(2023, 11, 14, 23, 13, 20, 123456), dt.datetime(2024, 1, 15, 10, 20, 30, 654321),
         dt.date(2024, 1, 15)),
        (2, dt.datetime(1970, 1, 1, 0, 59, 59, 999999), dt.datetime(2024, 6, 1, 12, 0), dt.date(2024, 1, 15)),
        (3, dt.datetime(1970, 1, 1, 1, 0), None, dt.date(2024, 1, 15)),
    ]
    # A value that is no timestamp is a record error (the DLQ with errors.tolerance=all).
    bad = Sink(db, **{"topics": "events", "pk.mode": "record_value", "pk.fields": "id", "insert.mode": "upsert",
                      "timestamp.fields.list": "at_text", "errors.tolerance": "all"})
    bad.put(record(3, event(4, 0, "next tuesday"), value_schema=EVENT, topic="events"))
    bad.commit()
    assert len(bad.reporter.reported) == 1 and "ISO-8601" in str(bad.reporter.reported[0][1])
    for s in (sink, bad):
        s.stop()


@pytest.mark.parametrize("date_timezone", ["DB_TIMEZONE", "UTC"])
def test_date_timezone(db: Db, date_timezone: str):
    sink = Sink(db, **{"topics": "events", "db.timezone": "America/New_York", "date.timezone": date_timezone})
    value = Struct(EVENT).put("id", 1).put("at_us", 0).put("at_text", None).put("day", dt.date(2024, 1, 15))
    sink.put(record(0, value, value_schema=EVENT, topic="events"))
    sink.commit()
    # Confluent's DB_TIMEZONE: midnight UTC of the day, in New York, is the evening before.
    expected = dt.date(2024, 1, 14) if date_timezone == "DB_TIMEZONE" else dt.date(2024, 1, 15)
    assert db.execute("SELECT day FROM events") == [(expected,)]
    sink.stop()


def test_string_values_are_written_to_the_string_output_column(db: Db):
    sink = Sink(db, **{"topics": "lines", "pk.mode": "record_key", "pk.fields": "id", "insert.mode": "upsert",
                       "delete.enabled": "true", "string.output.value.column.name": "body"})
    sink.put(*(record(i, f"line {i}", i, INT64_SCHEMA, STRING_SCHEMA, topic="lines") for i in range(3)),
             record(3, "line 1 again", 1, INT64_SCHEMA, STRING_SCHEMA, topic="lines"),
             record(4, "schemaless", 5, INT64_SCHEMA, None, topic="lines"),
             record(5, None, 2, INT64_SCHEMA, STRING_SCHEMA, topic="lines"))
    sink.commit()
    assert db.execute(f"SELECT id, body FROM {db.q('lines')} ORDER BY id") == [
        (0, "line 0"), (1, "line 1 again"), (5, "schemaless")]
    sink.stop()
    plain = Sink(db, **{"topics": "notes"})  # default column record_value, no key
    plain.put(record(0, "a", value_schema=OPTIONAL_STRING_SCHEMA, topic="notes"),
              record(1, "b", value_schema=OPTIONAL_STRING_SCHEMA, topic="notes"))
    plain.commit()
    assert db.execute("SELECT record_value FROM notes ORDER BY 1") == [("a",), ("b",)]
    plain.stop()
    conflicting = Sink(db, **{"topics": "notes", "fields.whitelist": "x", "errors.tolerance": "all"})
    conflicting.put(record(2, "c", value_schema=STRING_SCHEMA, topic="notes"))
    conflicting.commit()
    [(_rec, error)] = conflicting.reporter.reported
    assert "fields.whitelist is not applicable to String values" in str(error)
    conflicting.stop()
