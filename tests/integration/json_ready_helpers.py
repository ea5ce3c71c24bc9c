"""What the JSON-ready tests of both databases share: reading a table with a Querier the way the
source task does, and the bytes a record's value becomes."""

from __future__ import annotations

from typing import Any

import orjson

from dbconnect.api.payload import JsonPayloadFormat, JsonRowStruct
from dbconnect.connectors.jdbc.config import parse_config
from dbconnect.connectors.jdbc.dialect import TableId, get_dialect
from dbconnect.connectors.jdbc.querier import Querier
from dbconnect.connectors.jdbc.source import table_spec
from dbconnect.converters.jsonschema import JsonSchemaConverter
from dbconnect.converters.jsonschema_values import ValueCodec

from .jdbc_helpers import Db


def read_rows(db: Db, table: TableId, payload_format: Any, key_payload_format: Any = None,
              **extra: str) -> tuple[list, Querier]:
    """(records, querier) of reading every row of ``table`` in rounds of 2-row fetches
    (``payload_format`` None: the ordinary way)."""
    props = db.config(**{"mode": "incrementing", **extra})
    cfg = parse_config(props)
    assert not cfg.errors, cfg.errors
    dialect = get_dialect(cfg)
    meta, data = dialect.connect(autocommit=True), dialect.connect(autocommit=False)
    total = db.execute(f"SELECT count(*) FROM {table.name}")[0][0]
    try:
        querier = Querier(dialect, cfg, table_spec(dialect, meta, cfg, table), None, payload_format,
                          key_payload_format)
        querier.describe(meta)
        records: list = []
        for _ in range(50):  # the first incrementing round may wait at the id gap before id 1
            querier.start_round(meta, data)
            done = False
            while not done:
                batch, done = querier.fetch(meta, 2)
                records += batch
            querier.end_round(data)
            if len(records) >= total:
                break
        assert len(records) == total
        return records, querier
    finally:
        meta.close()
        data.close()


def payload_bytes(codec: ValueCodec, fmt: JsonPayloadFormat, struct: Any) -> bytes:
    """The JSON a value becomes: a JSON-ready row's payload as it is, a Struct through the codec."""
    if isinstance(struct, JsonRowStruct):
        payload = struct.payload(fmt)
        assert payload is not None
        return payload
    return orjson.dumps(codec.encoder(struct.schema)(struct))


def json_schema_converter(**settings: str) -> JsonSchemaConverter:
    """The converter whose payload format and codec are compared (no record is written: the
    registry client is never asked)."""
    conv = JsonSchemaConverter(client=object())  # type: ignore[arg-type]
    conv.configure({"schema.registry.url": "http://unused", **settings}, False)
    return conv
