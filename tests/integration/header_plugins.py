"""Test plugins for header.converter, loaded from a plugin.path directory as a third party's would be:
a source whose records carry headers of several types, and a sink that writes down the headers
(schema and value) of every record it is given. Written against dbconnect.api only."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from typing import Any, Mapping

from dbconnect.api import (
    BOOLEAN_SCHEMA, INT32_SCHEMA, STRING_SCHEMA, Date, Headers, SchemaBuilder, SinkConnector, SinkTask,
    SourceConnector, SourceRecord, SourceTask,
)

CONFIG = {"type": "object", "properties": {
    "topic": {"type": "string", "default": "headers", "description": "the topic", "x-importance": "HIGH"},
    "count": {"type": "string", "default": "3", "description": "records to write", "x-importance": "LOW"},
    "file": {"type": "string", "default": "", "description": "where the sink writes", "x-importance": "LOW"},
}}


def source_headers(i: int) -> Headers:
    headers = Headers()
    headers.add("trace", f"trace-{i}", STRING_SCHEMA)
    headers.add("count", 42 + i, INT32_SCHEMA)
    headers.add("flag", i % 2 == 0, BOOLEAN_SCHEMA)
    headers.add("tags", ["a", "b"], SchemaBuilder.array(STRING_SCHEMA).build())
    headers.add("day", dt.date(2024, 5, 1 + i), Date.SCHEMA)
    headers.add("nothing", None, None)
    return headers


class HeaderSourceConnector(SourceConnector):
    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self):
        return HeaderSourceTask

    def task_configs(self, max_tasks: int):
        return [dict(self.props)]

    def stop(self) -> None:
        pass

    def config(self):
        return CONFIG

    def version(self) -> str:
        return "1.0"


class HeaderSourceTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.topic, self.count = props["topic"], int(props.get("count", "3"))
        self.sent = False
        self.stopped = threading.Event()

    def poll(self):
        if self.sent:
            self.stopped.wait(0.2)
            return []
        self.sent = True
        return [SourceRecord({"p": 0}, {"i": i}, self.topic, f"v{i}", STRING_SCHEMA, headers=source_headers(i))
                for i in range(self.count)]

    def stop(self) -> None:
        self.stopped.set()

    def version(self) -> str:
        return "1.0"


def _plain(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {"base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


class HeaderRecordingSinkConnector(SinkConnector):
    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self):
        return HeaderRecordingSinkTask

    def task_configs(self, max_tasks: int):
        return [dict(self.props)]

    def stop(self) -> None:
        pass

    def config(self):
        return CONFIG

    def version(self) -> str:
        return "1.0"


class HeaderRecordingSinkTask(SinkTask):
    """One JSON line per record: its value and [key, schema type, schema name, value] per header."""

    def start(self, props: Mapping[str, str]) -> None:
        self.path = props["file"]

    def put(self, records) -> None:
        with open(self.path, "a", encoding="utf-8") as out:
            for r in records:
                headers = [[h.key, h.schema.type.name if h.schema is not None else None,
                            h.schema.name if h.schema is not None else None, _plain(h.value)] for h in r.headers]
                out.write(json.dumps({"value": r.value, "headers": headers}) + "\n")

    def stop(self) -> None:
        pass

    def version(self) -> str:
        return "1.0"
