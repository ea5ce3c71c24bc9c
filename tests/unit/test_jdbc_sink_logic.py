"""JDBC sink logic without a database: config rules, record → row mapping, batching, retries, quoting."""

from __future__ import annotations

import datetime as dt
import decimal
import zoneinfo
from concurrent.futures import Future
from typing import Any

import pytest

from dbconnect.api.data import (
    INT32_SCHEMA, INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, Date, Decimal, SchemaBuilder, Struct, Timestamp,
)
from dbconnect.api.errors import ConfigError, ConnectError, RetriableError
from dbconnect.api.records import SinkRecord
from dbconnect.api.task import SinkTaskContext, TopicPartition
from dbconnect.connectors.jdbc.sink import JdbcSinkConnector, JdbcSinkTask
from dbconnect.connectors.jdbc.sink.background import BackgroundWrites
from dbconnect.connectors.jdbc.sink.buffer import collapse, next_offsets
from dbconnect.connectors.jdbc.sink.config import parse_config
from dbconnect.connectors.jdbc.sink.records import RecordError, RecordMapper, table_id_for, to_json_text
from dbconnect.connectors.jdbc.sink.writers import TransientError
from dbconnect.connectors.jdbc.sink.writers.base import (
    DECIMAL, JSON, TEXT, TIMESTAMP, TIMESTAMPTZ, standard_adapter,
)

URL = "jdbc:postgresql://db.example:5432/shop"
VALUE = SchemaBuilder.struct().field("id", INT64_SCHEMA).field("name", STRING_SCHEMA).field(
    "note", SchemaBuilder.string().optional().default_value("none").build()).build()
KEY = SchemaBuilder.struct().field("id", INT64_SCHEMA).field("region", STRING_SCHEMA).build()


def cfg(**props: str):
    return parse_config({"connection.url": URL, "name": "c", **props})


def rec(offset: int, value: Any = None, key: Any = None, key_schema=None, value_schema=VALUE, topic: str = "t"):
    return SinkRecord(topic, 0, key_schema, key, value_schema, value, offset)


def val(i: int, name: str = "n", note: str | None = "x") -> Struct:
    return Struct(VALUE).put("id", i).put("name", f"{name}{i}").put("note", note)


# -- config -------------------------------------------------------------------------------------------

def test_delete_enabled_needs_record_key_with_confluents_messages():
    errors = cfg(**{"delete.enabled": "true", "pk.mode": "record_value"}).errors
    assert errors == {"pk.mode": ["Deletes are only supported for pk.mode record_key"],
                      "delete.enabled": ["Deletes are only supported for pk.mode record_key"]}
    task_errors = parse_config({"connection.url": URL, "delete.enabled": "true"}, task=True)
    with pytest.raises(ConfigError, match="Primary key mode must be 'record_key' when delete support is enabled"):
        task_errors.check()
    assert JdbcSinkConnector().validate({"connection.url": URL, "delete.enabled": "true", "pk.mode": "kafka"})[
        "delete.enabled"] == ["Deletes are only supported for pk.mode record_key"]


def test_cross_key_rules_and_defaults():
    c = cfg()
    assert (c.insert_mode, c.pk_mode, c.batch_size, c.max_retries, c.retry_backoff_ms) == ("insert", "none", 3000, 10, 3000)
    assert c.table_name_format == "${topic}" and c.quote and c.table_types == {"TABLE"} and not c.exactly_once
    assert "insert.mode" in cfg(**{"insert.mode": "upsert"}).errors
    assert "pk.fields" in cfg(**{"pk.mode": "kafka", "pk.fields": "a,b"}).errors
    assert "db.timezone" in cfg(**{"db.timezone": "Mars/Olympus"}).errors
    assert cfg(**{"pk.mode": "RECORD_KEY", "insert.mode": "UPSERT"}).errors == {}
    assert cfg(**{"connection.url": "jdbc:oracle:thin:@x:1521/y"}).errors["connection.url"]


def test_password_never_in_config_errors():
    c = parse_config({"connection.url": "jdbc:postgresql://h/db?password=hunter2222", "name": "x"})
    assert "hunter2222" not in repr(c.spec) and "hunter2222" not in c.spec.describe()
    assert c.spec.scrub("auth failed for hunter2222") == "auth failed for [hidden]"


# -- table names -------------------------------------------------------------------------------------

def test_table_names_from_topics():
    assert table_id_for("${topic}", "orders").name == "orders"
    dotted = table_id_for("${topic}", "db.orders")
    assert (dotted.schema, dotted.name) == (None, "db.orders")  # the topic stays one identifier
    staged = table_id_for("staging.kafka_${topic}", "a.b")
    assert (staged.schema, staged.name) == ("staging", "kafka_a.b")
    with pytest.raises(RecordError):
        table_id_for("a.b.c.${topic}", "x")
    with pytest.raises(RecordError):
        table_id_for("${topic}", "nul\x00byte")


def test_identifier_quoting_rules():
    from dbconnect.connectors.jdbc.mariadb.sink import MariaDbWriter
    from dbconnect.connectors.jdbc.postgresql.sink import PostgreSqlWriter

    pg = PostgreSqlWriter(cfg())
    assert pg.quote('we"ird%') == '"we""ird%%"'  # % doubled: statements run with parameters
    assert pg.quote_table(table_id_for("s.${topic}", 'x"; DROP TABLE y; --')) == '"s"."x""; DROP TABLE y; --"'
    with pytest.raises(RecordError, match="longer than"):
        pg.quote("é" * 32)  # 64 bytes
    maria = MariaDbWriter(parse_config({"connection.url": "jdbc:mariadb://h/db"}))
    assert maria.quote("a`b") == "`a``b`"
    never = PostgreSqlWriter(cfg(**{"quote.sql.identifiers": "never"}))
    assert never.quote("plain_1") == "plain_1"
    with pytest.raises(RecordError, match="needs quoting"):
        never.quote("has space")


# -- record mapping ----------------------------------------------------------------------------------

def test_pk_modes_map_keys_and_rows():
    kafka = RecordMapper(cfg(**{"pk.mode": "kafka"}))
    layout = kafka.layout_for(rec(7, val(1)))
    assert layout.names == ("__connect_topic", "__connect_partition", "__connect_offset", "id", "name", "note")
    assert layout.extract(rec(7, val(1))) == (("t", 0, 7), ("t", 0, 7, 1, "n1", "x"))

    by_key = RecordMapper(cfg(**{"pk.mode": "record_key", "pk.fields": "region"}))
    key = Struct(KEY).put("id", 5).put("region", "eu")
    r = rec(0, val(1), key, KEY)
    assert by_key.layout_for(r).names == ("region", "id", "name", "note")
    assert by_key.layout_for(r).extract(r) == (("eu",), ("eu", 1, "n1", "x"))

    primitive = RecordMapper(cfg(**{"pk.mode": "record_key", "pk.fields": "key_id"}))
    r = rec(0, val(1), 99, INT64_SCHEMA)
    assert primitive.layout_for(r).extract(r) == ((99,), (99, 1, "n1", "x"))
    with pytest.raises(RecordError, match="Need exactly one PK column"):
        RecordMapper(cfg(**{"pk.mode": "record_key"})).layout_for(r)

    by_value = RecordMapper(cfg(**{"pk.mode": "record_value", "pk.fields": "name", "fields.whitelist": "id"}))
    r = rec(0, val(2))
    assert by_value.layout_for(r).names == ("name", "id")  # the whitelist filters non-key fields only
    assert by_value.layout_for(r).extract(r) == (("n2",), ("n2", 2))


def test_defaults_schemaless_and_shape_errors():
    mapper = RecordMapper(cfg())
    r = rec(0, val(1, note=None))
    assert mapper.layout_for(r).extract(r) == (None, (1, "n1", "none"))  # replace.null.with.default
    keep_null = RecordMapper(cfg(**{"replace.null.with.default": "false"}))
    assert keep_null.layout_for(r).extract(r) == (None, (1, "n1", None))
    loose = RecordMapper(cfg(**{"pk.mode": "record_key", "pk.fields": "id"}))
    r = rec(0, {"id": 3, "doc": {"a": 1}}, {"id": 3}, None, None)
    layout = loose.layout_for(r)
    assert layout.schemaless and layout.names == ("id", "doc")
    assert layout.extract(r) == ((3,), (3, {"a": 1}))
    with pytest.raises(RecordError, match="schemaless list value"):
        mapper.layout_for(rec(0, [1, 2], value_schema=None))
    with pytest.raises(RecordError, match="Value schema must be of type Struct or String"):
        mapper.layout_for(rec(0, 7, value_schema=INT32_SCHEMA))


def test_json_text_for_nested_values():
    inner = SchemaBuilder.struct().field("x", INT32_SCHEMA).field("s", OPTIONAL_STRING_SCHEMA).build()
    text = to_json_text({"s": Struct(inner).put("x", 1), "d": decimal.Decimal("1.10"), "b": b"\x01", 1: [None]})
    assert text == '{"s":{"x":1,"s":null},"d":1.10,"b":"AQ==","1":[null]}'


def test_adapters_convert_only_what_needs_converting():
    utc = zoneinfo.ZoneInfo("UTC")
    ts = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    to_naive = standard_adapter(TIMESTAMP, None, Timestamp.SCHEMA, utc)
    assert to_naive(ts) == dt.datetime(2024, 1, 2, 3, 4, 5)
    oslo = standard_adapter(TIMESTAMP, None, Timestamp.SCHEMA, zoneinfo.ZoneInfo("Europe/Oslo"))
    assert oslo(ts) == dt.datetime(2024, 1, 2, 4, 4, 5)
    assert standard_adapter(TIMESTAMPTZ, None, Timestamp.SCHEMA, utc) is None
    assert standard_adapter(DECIMAL, None, Decimal.schema(2), utc) is None
    assert standard_adapter(DECIMAL, None, None, utc)(12.5) == decimal.Decimal("12.5")
    assert standard_adapter(TEXT, None, STRING_SCHEMA, utc) is None
    assert standard_adapter(TEXT, None, INT32_SCHEMA, utc)(5) == "5"
    assert standard_adapter(JSON, None, None, utc)({"a": [1]}) == '{"a":[1]}'
    assert standard_adapter(TIMESTAMP, None, None, utc)("2024-01-02T03:04:05Z") == dt.datetime(2024, 1, 2, 3, 4, 5)
    assert standard_adapter("date", None, Date.SCHEMA, utc) is None


# -- batching ------------------------------------------------------------------------------------

class FakePlan:
    def __init__(self, table: str) -> None:
        self.table = table


def test_collapse_last_write_wins_and_deletes_first():
    a, b = FakePlan("a"), FakePlan("b")
    records = [rec(i) for i in range(8)]
    entries = [
        (records[0], a, (1,), ["v1"]), (records[1], a, (2,), ["v2"]), (records[2], a, (1,), ["v1b"]),
        (records[3], a, (2,), None), (records[4], a, (3,), None), (records[5], a, (3,), ["v3"]),
        (records[6], b, None, ["x"]), (records[7], b, None, ["x"]),
    ]
    [ops_a, ops_b] = collapse(entries)
    assert ops_a.deletes == {a: [(2,), (3,)]}
    assert ops_a.writes == {a: [["v1b"], ["v3"]]}  # 2 was deleted last; 3 deleted then re-written
    assert ops_b.writes == {b: [["x"], ["x"]]} and not ops_b.deletes  # no key: both rows
    assert next_offsets(entries) == {("t", 0): 8}


# -- the task's retry and failure handling, with a scripted writer ---------------------------------------

class ScriptedWriter:
    """Fails ``write`` with the queued exceptions (None: succeeds), then succeeds; records what was written."""

    sort_keys = False

    def __init__(self, failures: list[BaseException]) -> None:
        self.failures = list(failures)
        self.written: list[Any] = []
        self.offsets: list[Any] = []

    def plan_for(self, table, layout):
        plan = FakePlan(table)
        plan.layout = layout
        plan.extract = layout.extract
        return plan

    def write(self, tables, offsets) -> None:
        failure = self.failures.pop(0) if self.failures else None
        if failure is not None:  # None: this write succeeds
            raise failure
        self.written.append(sum(len(rows) for ops in tables for rows in ops.writes.values()))
        self.offsets.append(offsets)

    def describe_error(self, exc) -> str:
        return str(exc)

    def close(self) -> None:
        pass


class LazyFuture(Future):
    """A background write that runs when the test says so (``run``) or when the task waits for it."""

    def __init__(self, fn, args) -> None:
        super().__init__()
        self._job = (fn, args)
        self.waited = False  # the task blocked on it before it had run (batch.size back-pressure)

    def run(self) -> None:
        if self._job is None:
            return
        (fn, args), self._job = self._job, None
        try:
            self.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 — handed to whoever takes the result
            self.set_exception(exc)

    def result(self, timeout=None):
        if not self.done():
            self.waited = True
            self.run()
        return super().result(timeout)

    def exception(self, timeout=None):
        if not self.done():
            self.waited = True
            self.run()
        return super().exception(timeout)


class ManualExecutor:
    """The task's one writer thread, made deterministic: jobs run when the test (or a wait) runs them."""

    def __init__(self) -> None:
        self.jobs: list[LazyFuture] = []

    def submit(self, fn, *args) -> LazyFuture:
        self.jobs.append(LazyFuture(fn, args))
        return self.jobs[-1]

    def finish(self) -> None:
        for job in self.jobs:
            job.run()

    def shutdown(self, wait: bool = True) -> None:
        self.finish()


def started_task(writer: ScriptedWriter, **props: str) -> JdbcSinkTask:
    task = JdbcSinkTask(sleep=lambda s: None)
    task.initialize(SinkTaskContext())
    c = task.cfg = cfg(**props)
    task.mapper = RecordMapper(c)
    task.writer = writer
    task._writes = BackgroundWrites(task._write, task._take, ManualExecutor())
    return task


def unwritten(task: JdbcSinkTask) -> list:
    """Entries handed to put() and not yet in the database: the running write's, then the buffer."""
    running = task._writes.running
    return (list(running[0]) if running is not None else []) + task._buffer


def test_transient_errors_redeliver_then_fail_past_max_retries():
    writer = ScriptedWriter([TransientError("connection lost")] * 3)
    task = started_task(writer, **{"max.retries": "2", "retry.backoff.ms": "250"})
    task.put([rec(0, val(1))])  # written in the background: its failure shows at the next call
    task._writes._executor.finish()
    expected = [0]
    for attempt in (1, 2):
        batch = [rec(attempt * 2 - 1, val(1)), rec(attempt * 2, val(2))]
        with pytest.raises(RetriableError, match=f"will retry \\({attempt}/2\\)"):
            task.put(batch)
        # The failed write's records stay buffered (the runtime will not send them again); this
        # put's records are dropped: the runtime redelivers them.
        assert task.context._timeout_ms == 250 and [e[0][1] for e in task._buffer] == expected
        task.put(batch)  # the redelivery: written with the failed records, in the background
        expected += [attempt * 2 - 1, attempt * 2]
        assert [e[0][1] for e in unwritten(task)] == expected
        task._writes._executor.finish()
    with pytest.raises(ConnectError, match="failed after 2 retries: connection lost"):
        task.put([rec(5, val(5))])


def test_writes_at_once_and_buffers_while_a_write_runs():
    """No waiting for batch.size or the offset flush: each put is written in the background at once;
    while a write runs, puts are buffered and written together as soon as it ends, without waiting
    for the next put (batches grow under load), and at batch.size put() waits for the running
    write (back-pressure)."""
    writer = ScriptedWriter([])
    task = started_task(writer, **{"batch.size": "4"})
    jobs = task._writes._executor.jobs
    tp = TopicPartition("t", 0)
    task.put([rec(0, val(1)), rec(1, val(2))])
    assert len(jobs) == 1 and task._buffer == []  # written at once, below batch.size
    task.put([rec(2, val(3))])
    task.put([rec(3, val(4))])
    assert len(jobs) == 1 and len(task._buffer) == 2  # the first write still runs: buffered
    assert not task.context._commit_requested
    jobs[0].run()  # ends while the runtime polls: the writer thread starts the buffered batch itself
    assert writer.written == [2] and len(jobs) == 2 and task._buffer == []
    assert [e[0][1] for e in task._writes.running[0]] == [2, 3]
    task.put([])  # the runtime's idle poll: the finished write is taken
    # The task asks for a commit after a write; it covers only what the database has (2 and 3
    # are being written) and does not wait for the running write.
    assert task.context._commit_requested and task.pre_commit({tp: 4}) == {tp: 2}
    assert not jobs[1].done()
    task.put([rec(4, val(5)), rec(5, val(6))])
    task.put([rec(6, val(7)), rec(7, val(8))])  # 4 buffered = batch.size: waits for the running write
    assert jobs[1].waited and writer.written == [2, 2] and len(jobs) == 3 and task._buffer == []
    jobs[2].run()
    task.context._commit_requested = False
    task._next_request = 0.0
    task.put([])
    assert writer.written == [2, 2, 4] and task.context._commit_requested
    assert task.pre_commit({tp: 8}) == {tp: 8}
    # batch.size is the most records per transaction: a poll larger than it is split.
    task.put([rec(i, val(i)) for i in range(8, 18)])  # 10 records: 4 + 4 started, 2 buffered
    assert [len(job._job[1][0]) if job._job else None for job in jobs[3:]] == [None, 4] and len(task._buffer) == 2
    assert jobs[3].waited
    task._writes._executor.finish()
    assert writer.written == [2, 2, 4, 4, 4, 2] and task._buffer == []


def test_a_failed_flush_at_commit_only_commits_what_is_written():
    writer = ScriptedWriter([TransientError("deadlock detected")])
    task = started_task(writer, **{"batch.size": "100"})
    tp = TopicPartition("t", 0)
    task.put([rec(5, val(1)), rec(6, val(2))])
    assert task.pre_commit({tp: 7}) == {tp: 5}  # records 5 and 6 are not in the database yet
    assert task.context._commit_requested
    assert task.pre_commit({tp: 7}) == {tp: 7} and writer.written == [2]


def test_record_errors_fail_the_task_without_tolerance():
    task = started_task(ScriptedWriter([]), **{"pk.mode": "record_key"})
    with pytest.raises(ConnectError, match="null key but pk.mode is record_key"):
        task.put([rec(0, val(1))])


# -- timestamp.fields.list, date.timezone, string.output.value.column.name ----------------------------

EVENT = (SchemaBuilder.struct().field("id", INT64_SCHEMA).field("at_us", INT64_SCHEMA)
         .field("at_text", OPTIONAL_STRING_SCHEMA)
         .field("since", SchemaBuilder.int64().optional().default_value(1_000_000).build())
         .field("plain", INT64_SCHEMA).build())


def event(i: int, at: int, text: str | None, since: int | None = None) -> Struct:
    return Struct(EVENT).put("id", i).put("at_us", at).put("at_text", text).put("since", since).put("plain", at)


def test_new_keys_defaults_and_parsing():
    c = cfg()
    assert (c.timestamp_fields, c.timestamp_nanos, c.date_timezone, c.string_value_column) == (
        frozenset(), False, None, "record_value")
    assert c.string_value_conflicts == ()
    ny = zoneinfo.ZoneInfo("America/New_York")
    assert cfg(**{"db.timezone": "America/New_York"}).date_timezone == ny  # DB_TIMEZONE follows db.timezone
    assert cfg(**{"db.timezone": "America/New_York", "date.timezone": "utc"}).date_timezone is None
    c = cfg(**{"timestamp.fields.list": "a, b", "timestamp.precision.mode": "NANOSECONDS",
               "string.output.value.column.name": "body", "fields.whitelist": "x"})
    assert (c.timestamp_fields, c.timestamp_nanos, c.string_value_column) == (frozenset({"a", "b"}), True, "body")
    assert c.string_value_conflicts == ("fields.whitelist", "timestamp.fields.list", "timestamp.precision.mode")
    for key, bad in (("date.timezone", "Europe/Paris"), ("timestamp.precision.mode", "millis")):
        with pytest.raises(ConfigError):
            cfg(**{key: bad})
        assert key in JdbcSinkConnector().validate({"connection.url": URL, key: bad})


def test_timestamp_fields_list_converts_int64_and_iso_strings():
    oslo = RecordMapper(cfg(**{"timestamp.fields.list": "at_us,at_text,since,missing", "db.timezone": "Europe/Oslo"}))
    r = rec(0, value_schema=EVENT, value=event(1, 1_700_000_000_123_456, "2024-01-15T10:20:30.123456789"))
    layout = oslo.layout_for(r)
    by_name = {f.name: f for f in layout.fields}
    assert [n for n, f in by_name.items() if f.precise] == ["at_us", "at_text", "since"]
    assert by_name["at_us"].schema.name == Timestamp.LOGICAL_NAME and not by_name["at_us"].schema.optional
    assert by_name["at_text"].schema.optional and by_name["plain"].schema is INT64_SCHEMA
    utc = dt.timezone.utc
    assert by_name["since"].schema.default == dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=utc)
    _key, row = layout.extract(r)
    assert row[1] == dt.datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=utc)
    # No offset: the wall clock in db.timezone; digits past the microsecond are dropped.
    assert row[2] == dt.datetime(2024, 1, 15, 10, 20, 30, 123456, tzinfo=zoneinfo.ZoneInfo("Europe/Oslo"))
    assert row[3] == dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=utc)  # null → the converted default
    assert row[4] == 1_700_000_000_123_456  # not listed: untouched
    r = rec(1, value_schema=EVENT, value=event(2, 0, "2024-01-15T10:20:30Z", 5))
    assert layout.extract(r)[1][2:4] == (dt.datetime(2024, 1, 15, 10, 20, 30, tzinfo=utc),
                                         dt.datetime(1970, 1, 1, 0, 0, 0, 5, tzinfo=utc))
    nanos = RecordMapper(cfg(**{"timestamp.fields.list": "at_us", "timestamp.precision.mode": "nanoseconds",
                                "pk.mode": "record_value", "pk.fields": "at_us"}))
    r = rec(0, value_schema=EVENT, value=event(1, 1_700_000_000_123_456_789, None))
    key, row = nanos.layout_for(r).extract(r)
    assert key == (dt.datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=utc),) and row[0] == key[0]
    assert nanos.layout_for(r).fields[0].precise and nanos.layout_for(r).fields[0].is_key
    with pytest.raises(Exception, match="not an ISO-8601 timestamp"):
        oslo.layout_for(r).extract(rec(0, value_schema=EVENT, value=event(1, 0, "yesterday")))
    # Schemaless maps: listed numbers and strings become timestamps too.
    loose = RecordMapper(cfg(**{"timestamp.fields.list": "at"}))
    r = rec(0, {"id": 1, "at": 1_000_000, "other": 1_000_000}, value_schema=None)
    assert loose.layout_for(r).extract(r) == (None, (1, dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=utc), 1_000_000))


def test_string_values_go_to_the_string_output_column():
    mapper = RecordMapper(cfg())
    r = rec(0, "hello", value_schema=STRING_SCHEMA)
    layout = mapper.layout_for(r)
    assert layout.names == ("record_value",) and layout.extract(r) == (None, ("hello",))
    keyed_mapper = RecordMapper(cfg(**{"pk.mode": "record_key", "pk.fields": "id",
                                       "string.output.value.column.name": "body"}))
    r = rec(3, "hi", 7, INT64_SCHEMA, None)  # a schemaless string (JsonConverter, schemas.enable=false)
    layout = keyed_mapper.layout_for(r)
    assert layout.names == ("id", "body") and layout.extract(r) == ((7,), (7, "hi"))
    assert layout.fields[1].schema.type.name == "STRING" and layout.extract_key(r) == (7,)
    kafka = RecordMapper(cfg(**{"pk.mode": "kafka"}))
    assert kafka.layout_for(r).extract(r) == (("t", 0, 3), ("t", 0, 3, "hi"))
    conflicting = RecordMapper(cfg(**{"timestamp.fields.list": "at", "fields.whitelist": "a"}))
    with pytest.raises(RecordError, match="fields.whitelist, timestamp.fields.list are not applicable to String"):
        conflicting.layout_for(rec(0, "x", value_schema=STRING_SCHEMA))
    with pytest.raises(RecordError, match="timestamp.precision.mode is not applicable to String"):
        RecordMapper(cfg(**{"timestamp.precision.mode": "microseconds"})).layout_for(rec(0, "x", value_schema=None))
    with pytest.raises(RecordError, match="record_value needs a struct value"):
        RecordMapper(cfg(**{"pk.mode": "record_value"})).layout_for(rec(0, "x", value_schema=STRING_SCHEMA))


def test_date_timezone_shifts_dates_like_confluent():
    ny, tokyo = zoneinfo.ZoneInfo("America/New_York"), zoneinfo.ZoneInfo("Asia/Tokyo")
    day = dt.date(2024, 1, 15)
    assert standard_adapter("date", None, Date.SCHEMA, ny, None) is None  # date.timezone=UTC: the day as is
    assert standard_adapter("date", None, Date.SCHEMA, ny, ny)(day) == dt.date(2024, 1, 14)
    assert standard_adapter("date", None, Date.SCHEMA, tokyo, tokyo)(day) == day
    assert standard_adapter("date", None, None, ny, ny)("2024-01-15") == day  # schemaless text: not shifted


def test_tolerant_sinks_buffer_across_puts_and_report_at_commit():
    class Reporter:
        def __init__(self) -> None:
            self.reported: list = []

        def report(self, record, error) -> None:
            self.reported.append((record, error))

    writer = ScriptedWriter([])
    task = started_task(writer, **{"batch.size": "10", "errors.tolerance": "all"})
    reporter = task.context._reporter = Reporter()
    tp = TopicPartition("t", 0)
    first, second, third = [rec(0, val(1)), rec(1, val(2))], [rec(2, val(3))], [rec(3, val(4))]
    task.put([rec(-1, val(0))])  # occupies the writer: the next puts are buffered together
    task.put(first)
    task.put(second)
    task.put(third)
    assert writer.written == [] and len(task._buffer) == 4  # not one write per put
    # The batch, its first half and record 0 alone fail; record 1 and the second half are written.
    writer.failures = [None] + [ValueError("bad row")] * 3
    task._writes._executor.jobs[0].run()  # the first write ends: the buffered batch starts at once
    assert [e[0] for e in task._writes.running[0]] == first + second + third
    task.put([])
    assert task.pre_commit({tp: 4}) == {tp: 0}  # asked for after the first write: 0–3 are running
    task._writes._executor.finish()
    assert reporter.reported == []  # reported on the task's thread, when the write is taken
    task.put([])
    # Record 0, from an earlier put, was isolated and reported after the later puts.
    assert [r for r, _e in reporter.reported] == [first[0]] and writer.written == [1, 1, 2]
    assert task.pre_commit({tp: 4}) == {tp: 4}


# -- the per-record hot path: buffer entries, shapes, offsets --------------------------------------------

def test_entries_keep_records_only_when_they_may_be_reported():
    # Without errors.tolerance=all nothing is reported after put(): entries keep where the record
    # was consumed, not the record (its Struct and message are freed when put() returns).
    task = started_task(ScriptedWriter([]), **{"batch.size": "100", "pk.mode": "record_value", "pk.fields": "id"})
    task.put([rec(4, val(1)), rec(5, val(2))])
    assert [e[0] for e in unwritten(task)] == [(("t", 0), 4), (("t", 0), 5)]
    assert [(e[2], e[3]) for e in unwritten(task)] == [((1,), (1, "n1", "x")), ((2,), (2, "n2", "x"))]
    records = [rec(0, val(1))]
    tolerant = started_task(ScriptedWriter([]), **{"batch.size": "100", "errors.tolerance": "all"})
    tolerant.put(records)
    assert unwritten(tolerant)[0][0] is records[0]
    # Both kinds of origin give the same coordinates (pre_commit after a failed flush, close()).
    from dbconnect.connectors.jdbc.sink.buffer import coordinates
    assert coordinates(records[0]) == coordinates((("t", 0), 0)) == (("t", 0), 0)


def test_pending_offsets_per_partition_with_interleaved_partitions_and_shapes():
    other = SchemaBuilder.struct().field("id", INT64_SCHEMA).field("name", STRING_SCHEMA).build()
    task = started_task(ScriptedWriter([]), **{"batch.size": "100", "pk.mode": "record_value", "pk.fields": "id"})
    r = lambda topic, partition, offset, schema=VALUE, value=None: SinkRecord(  # noqa: E731
        topic, partition, None, None, schema, value or val(offset), offset)
    batch = [r("t", 0, 10), r("t", 1, 3), r("t", 1, 4), r("u", 0, 7, other, Struct(other).put("id", 1).put("name", "o")),
             r("t", 0, 11), r("t", 1, 5)]
    # Occupies the writer (and plans both shapes): the batch stays in the buffer.
    task.put([r("t", 0, 9), r("u", 0, 6, other, Struct(other).put("id", 0).put("name", "o"))])
    task.put(batch)
    assert task._pending == {("t", 0): 12, ("t", 1): 6, ("u", 0): 8}
    plans = [e[1] for e in task._buffer]
    assert plans[0] is plans[1] is plans[4] and plans[3] is not plans[0]  # one plan per shape, reused
    assert [e[0] for e in task._buffer] == [(("t", 0), 10), (("t", 1), 3), (("t", 1), 4), (("u", 0), 7),
                                            (("t", 0), 11), (("t", 1), 5)]


def test_exactly_once_skips_replays_without_counting_them_as_pending():
    task = started_task(ScriptedWriter([]), **{"batch.size": "100", "exactly.once.enabled": "true",
                                               "pk.mode": "record_value", "pk.fields": "id"})
    task._accepted[("t", 0)] = 5  # written up to offset 4 already
    task.put([rec(3, val(3)), rec(4, val(4))])
    assert unwritten(task) == [] and task._pending == {}
    task.put([rec(4, val(4)), rec(5, val(5)), rec(6, val(6))])
    entries, offsets, _job = task._writes.running
    assert [e[0][1] for e in entries] == [5, 6] and offsets == {("t", 0): 7}  # stored with the rows


def test_a_record_that_fails_mapping_does_not_poison_the_shape_cache():
    task = started_task(ScriptedWriter([]), **{"batch.size": "100", "pk.mode": "record_key",
                                               "errors.tolerance": "all"})
    task.context._reporter = type("R", (), {"reported": [], "report": lambda self, r, e: self.reported.append(r)})()
    key = Struct(KEY).put("id", 1).put("region", "eu")
    good = rec(1, val(1), key, KEY)
    bad = rec(2, val(2), None, KEY)  # null key in record_key mode
    task.put([good, bad, rec(3, val(3), key, KEY)])
    assert [e[0].kafka_offset for e in unwritten(task)] == [1, 3]
    assert [r.kafka_offset for r in task.context._reporter.reported] == [2]


def test_collapse_with_several_plans_per_table_keeps_each_plans_rows():
    class Plan:
        def __init__(self, table: str) -> None:
            self.table = table
    a1, a2 = Plan("a"), Plan("a")
    entries = [(((("t", 0), i)), p, (k,), (k, v)) for i, (p, k, v) in enumerate(
        [(a1, 1, "x"), (a2, 2, "y"), (a1, 1, "z"), (a2, 3, "w")])]
    [ops] = collapse(entries)
    assert ops.writes == {a2: [(2, "y"), (3, "w")], a1: [(1, "z")]}
    assert next_offsets(entries) == {("t", 0): 4}
