"""FileStreamSource / FileStreamSink: Kafka's example file connectors, line for line compatible.

The source partition is ``{"filename": path}`` and the offset ``{"position": N}`` (a byte
offset just past the last line handed to the runtime), so a restarted source resumes exactly
after the last delivered line; the sink appends one line per record.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Mapping
from typing import Any

import orjson

from ..api.config import ConfigDefinition
from ..api.connector import SinkConnector, SourceConnector
from ..api.data import STRING_SCHEMA, Struct
from ..api.errors import ConnectError
from ..api.records import SinkRecord, SourceRecord
from ..api.task import SinkTask, SourceTask, TopicPartition

log = logging.getLogger(__name__)

FILENAME_FIELD = "filename"
POSITION_FIELD = "position"
_READ_CHUNK = 1 << 20


class FileStreamSourceConnector(SourceConnector):
    aliases = ("FileStreamSource", "FileStreamSourceConnector", "org.apache.kafka.connect.file.FileStreamSourceConnector")

    def __init__(self) -> None:
        super().__init__()
        self._props: dict[str, str] = {}

    def config(self) -> ConfigDefinition:
        return ConfigDefinition.load("file-stream-source")

    def start(self, props: Mapping[str, str]) -> None:
        self._props = dict(props)

    def task_class(self) -> type[SourceTask]:
        return FileStreamSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        # One file is one stream: a single task, whatever tasks.max says (as in Kafka).
        keys = ("file", "topic", "batch.size")
        return [{k: self._props[k] for k in keys if self._props.get(k) is not None}]

    def stop(self) -> None:
        pass

    def exactly_once_support(self, props: Mapping[str, str]) -> str | None:
        return "SUPPORTED" if props.get("file") else "UNSUPPORTED"


class FileStreamSourceTask(SourceTask):
    def __init__(self) -> None:
        super().__init__()
        self._stopped = threading.Event()
        self._fh: Any = None
        self._filename: str | None = None
        self._topic = ""
        self._batch_size = 2000
        self._position = 0
        self._buffer = b""
        self._partition: dict[str, str] | None = None

    def start(self, props: Mapping[str, str]) -> None:
        self._filename = props.get("file") or None
        self._topic = props["topic"]
        self._batch_size = int(props.get("batch.size") or 2000)
        if self._filename is None:
            self._fh = sys.stdin.buffer
            return
        self._partition = {FILENAME_FIELD: self._filename}
        offset = self.context.offset_storage_reader.offset(self._partition) if self.context else None
        if offset is not None:
            position = offset.get(POSITION_FIELD)
            if not isinstance(position, int) or isinstance(position, bool) or position < 0:
                raise ConnectError(f"Offset position is the incorrect type: {position!r}")
            self._position = position

    def _open(self) -> bool:
        try:
            fh = open(self._filename, "rb")  # noqa: SIM115 — held open across polls
        except FileNotFoundError:
            log.warning("Couldn't find file %s for FileStreamSourceTask, sleeping to wait for it to be created", self._filename)
            return False
        except OSError as exc:
            raise ConnectError(f"Error while trying to open file {self._filename}: {exc}") from exc
        if self._position:
            log.debug("Found previous offset, trying to skip to file offset %d", self._position)
            fh.seek(self._position)
        self._fh = fh
        return True

    def poll(self) -> list[SourceRecord] | None:
        if self._stopped.is_set():
            return None
        if self._fh is None and not self._open():
            self._stopped.wait(1.0)
            return None
        # Read more only when fewer than a batch of whole lines is buffered: memory stays bounded.
        if self._buffer.count(b"\n") < self._batch_size:
            try:
                chunk = self._fh.read(_READ_CHUNK) if self._filename else self._fh.readline()
            except OSError as exc:
                raise ConnectError(f"Error while reading from file {self._filename}: {exc}") from exc
            if chunk:
                self._buffer += chunk
        records = self._drain_lines()
        if not records:
            self._stopped.wait(0.1)
        return records

    def _drain_lines(self) -> list[SourceRecord]:
        buffer = self._buffer
        end = buffer.rfind(b"\n")
        if end < 0:
            return []
        lines = buffer[:end].split(b"\n")
        if len(lines) > self._batch_size:
            lines = lines[: self._batch_size]
            end = sum(len(line) + 1 for line in lines) - 1
        self._buffer = buffer[end + 1:]
        records = []
        position = self._position
        partition, topic = self._partition, self._topic
        for raw in lines:
            position += len(raw) + 1
            line = raw.decode("utf-8", errors="replace")
            if line.endswith("\r"):
                line = line[:-1]
            offset = {POSITION_FIELD: position} if partition is not None else None
            records.append(SourceRecord(partition, offset, topic, line, STRING_SCHEMA, timestamp=None))
        self._position = position
        return records

    def stop(self) -> None:
        self._stopped.set()
        fh, self._fh = self._fh, None
        if fh is not None and self._filename:
            fh.close()


class FileStreamSinkConnector(SinkConnector):
    aliases = ("FileStreamSink", "FileStreamSinkConnector", "org.apache.kafka.connect.file.FileStreamSinkConnector")

    def __init__(self) -> None:
        super().__init__()
        self._props: dict[str, str] = {}

    def config(self) -> ConfigDefinition:
        return ConfigDefinition.load("file-stream-sink")

    def start(self, props: Mapping[str, str]) -> None:
        self._props = dict(props)

    def task_class(self) -> type[SinkTask]:
        return FileStreamSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        config = {"file": self._props["file"]} if self._props.get("file") else {}
        return [dict(config) for _ in range(max_tasks)]

    def stop(self) -> None:
        pass


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, Struct):
        value = value.to_dict()
    if isinstance(value, (dict, list)):
        return orjson.dumps(value, default=str).decode()
    return "null" if value is None else str(value)


class FileStreamSinkTask(SinkTask):
    def __init__(self) -> None:
        super().__init__()
        self._fh: Any = None
        self._filename: str | None = None

    def start(self, props: Mapping[str, str]) -> None:
        self._filename = props.get("file") or None
        if self._filename is None:
            self._fh = sys.stdout.buffer
            return
        try:
            self._fh = open(self._filename, "ab")  # noqa: SIM115 — held open until stop()
        except OSError as exc:
            raise ConnectError(f"Couldn't find or create file '{self._filename}' for FileStreamSinkTask: {exc}") from exc

    def put(self, records: list[SinkRecord]) -> None:
        if records:
            self._fh.write(("\n".join(_render(r.value) for r in records) + "\n").encode())

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        if self._fh is None:
            return
        self._fh.flush()
        if self._filename:
            os.fsync(self._fh.fileno())

    def stop(self) -> None:
        fh, self._fh = self._fh, None
        if fh is not None and self._filename:
            fh.close()
