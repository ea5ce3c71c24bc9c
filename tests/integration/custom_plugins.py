"""Seed 003's MyFileSourceConnector, written against dbconnect.api as a third party would."""

from __future__ import annotations

import threading
from typing import Mapping

from dbconnect.api.connector import SourceConnector
from dbconnect.api.data import STRING_SCHEMA
from dbconnect.api.errors import ConnectError
from dbconnect.api.records import SourceRecord
from dbconnect.api.task import SourceTask

CONFIG = {
    "type": "object",
    "properties": {
        "file": {"type": "string", "default": "/tmp/kafka.txt", "description": "the file to read",
                 "x-importance": "HIGH"},
        "topic": {"type": "string", "default": "test", "description": "the topic to send to",
                  "x-importance": "HIGH"},
    },
}


class MyFileSourceConnector(SourceConnector):
    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self):
        return MyFileSourceTask

    def task_configs(self, max_tasks: int):
        return [dict(self.props) for _ in range(max_tasks)]

    def stop(self) -> None:
        pass

    def config(self):
        return CONFIG

    def version(self) -> str:
        return "1.0"


class MyFileSourceTask(SourceTask):
    FILENAME_FIELD = "filename"
    POSITION_FIELD = "position"

    def start(self, props: Mapping[str, str]) -> None:
        self.file = props.get("file", "/tmp/kafka.txt")
        self.topic = props.get("topic", "test")
        self.partition = {self.FILENAME_FIELD: self.file}
        offset = self.context.offset_storage_reader.offset(self.partition)
        self.line_number = int(offset[self.POSITION_FIELD]) if offset else 0
        self.stopped = threading.Event()

    def poll(self):
        try:
            with open(self.file, encoding="utf-8") as fh:
                lines = fh.read().split("\n")[:-1]
        except FileNotFoundError:
            self.stopped.wait(0.2)
            return []
        except OSError as exc:
            raise ConnectError(str(exc)) from exc
        new = lines[self.line_number:]
        records = []
        for line in new:
            self.line_number += 1
            records.append(SourceRecord(self.partition, {self.POSITION_FIELD: self.line_number},
                                        self.topic, line, STRING_SCHEMA))
        if not records:
            self.stopped.wait(0.2)
        return records

    def stop(self) -> None:
        self.stopped.set()

    def version(self) -> str:
        return "1.0"


class FailingSourceConnector(MyFileSourceConnector):
    """A connector whose start() fails, to show FAILED states and traces."""

    def start(self, props: Mapping[str, str]) -> None:
        raise ConnectError("boom: this connector never starts")
