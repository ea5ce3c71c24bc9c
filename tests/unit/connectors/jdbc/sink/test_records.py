"""JDBC sink record → row mapping without a database: table names, quoting, pk modes, value conversions."""

from __future__ import annotations

import datetime as dt
import decimal
import zoneinfo

import pytest

from dbconnect.api.data import (
    INT32_SCHEMA, INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, SchemaBuilder, Struct, Timestamp,
)
from dbconnect.connectors.jdbc.sink.config import parse_config
from dbconnect.connectors.jdbc.sink.records import RecordError, RecordMapper, table_id_for, to_json_text
from tests.unit.connectors.jdbc.sink.sink_samples import KEY, cfg, rec, val


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


EVENT = (SchemaBuilder.struct().field("id", INT64_SCHEMA).field("at_us", INT64_SCHEMA)
         .field("at_text", OPTIONAL_STRING_SCHEMA)
         .field("since", SchemaBuilder.int64().optional().default_value(1_000_000).build())
         .field("plain", INT64_SCHEMA).build())


def event(i: int, at: int, text: str | None, since: int | None = None) -> Struct:
    return Struct(EVENT).put("id", i).put("at_us", at).put("at_text", text).put("since", since).put("plain", at)


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


def _projected(layout, key, value):
    """What projected rows hold for a record (api/sink_rows.py): the key tuple and key + value tuple."""
    key_fields, value_fields = layout.row_fields
    k = tuple(key.values[i] for i in key_fields)
    return k, k + tuple(value.values[i] for i in value_fields)


@pytest.mark.parametrize("pk_fields", ["id", "region", "region,id", "id,region"])
def test_row_fields_select_what_extract_values_gives(pk_fields):
    # Projected rows stand in for extract_values: the selection must give the same key and row.
    mapper = RecordMapper(cfg(**{"pk.mode": "record_key", "pk.fields": pk_fields, "replace.null.with.default": "false"}))
    key = Struct(KEY).put("id", 5).put("region", "eu")
    for value in (val(1), val(2, note=None)):
        r = rec(0, value, key, KEY)
        layout = mapper.layout_for(r)
        assert layout.row_fields is not None
        assert _projected(layout, key, value) == layout.extract(r) == layout.extract_values(
            key.values, value.values, "t", 0, 0)
    whitelisted = RecordMapper(cfg(**{"pk.mode": "record_key", "pk.fields": "id", "fields.whitelist": "note",
                                      "replace.null.with.default": "false"}))
    r = rec(0, val(3), key, KEY)
    assert _projected(whitelisted.layout_for(r), key, val(3)) == ((5,), (5, "x"))


def test_row_fields_only_for_plain_selections():
    key = Struct(KEY).put("id", 5).put("region", "eu")
    r = rec(0, val(1, note=None), key, KEY)
    # replace.null.with.default (the default) and a field with a default: None becomes "none" per row.
    assert RecordMapper(cfg(**{"pk.mode": "record_key"})).layout_for(r).row_fields is None
    # Kafka coordinates, no key and value-side keys are not a selection of the key's fields.
    for mode in ("kafka", "none", "record_value"):
        layout = RecordMapper(cfg(**{"pk.mode": mode, "pk.fields": "id" if mode == "record_value" else "",
                                     "replace.null.with.default": "false"})).layout_for(r)
        assert layout.row_fields is None, mode
    # A primitive key and timestamp.fields.list conversions neither.
    primitive = rec(0, val(1), 99, INT64_SCHEMA)
    assert RecordMapper(cfg(**{"pk.mode": "record_key", "pk.fields": "key_id", "replace.null.with.default": "false"})
                        ).layout_for(primitive).row_fields is None
    stamped = RecordMapper(cfg(**{"pk.mode": "record_key", "timestamp.fields.list": "name",
                                  "replace.null.with.default": "false"}))
    assert stamped.layout_for(rec(0, val(1), key, KEY)).row_fields is None
