"""WorkerSourceTask writes a SourceRecord's headers through its header converter; a failing header
converter is handled at the HEADER_CONVERTER stage (skipped with errors.tolerance=all, else the task fails)."""

from __future__ import annotations

from typing import Any

import pytest

from dbconnect.api.data import INT32_SCHEMA, STRING_SCHEMA
from dbconnect.api.records import Headers, SourceRecord
from dbconnect.api.task import SourceTask
from dbconnect.converters.bytes import ByteArrayConverter
from dbconnect.converters.simple_header import SimpleHeaderConverter
from dbconnect.converters.string import StringConverter
from dbconnect.runtime.errors import ErrorHandler, ToleranceExceeded
from dbconnect.runtime.source_task import WorkerSourceTask
from dbconnect.runtime.stores.configs import TargetState
from dbconnect.runtime.stores.offsets import MemoryOffsetBackingStore
from dbconnect.runtime.stores.status import ConnectorTaskId, MemoryStatusBackingStore
from dbconnect.runtime.transformation_chain import TransformationChain


class Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, dict]] = []

    def produce(self, topic: str, value: Any, key: Any, **kwargs: Any) -> None:
        self.sent.append((value, kwargs.get("headers")))

    def poll(self, timeout: float = 0) -> int:
        return 0


class NoTask(SourceTask):
    def version(self) -> str:
        return "test"

    def start(self, props: Any) -> None:
        pass

    def poll(self) -> list:
        return []

    def stop(self) -> None:
        pass


class Spy(ErrorHandler):
    def __init__(self, tolerance: str) -> None:
        super().__init__("c", 0, {"errors.tolerance": tolerance})
        self.stages: list[str] = []

    def handle(self, stage: str, error: BaseException, **where: Any) -> Any:
        self.stages.append(stage)
        return super().handle(stage, error, **where)


def worker_task(header_converter: Any, tolerance: str = "none") -> WorkerSourceTask:
    value = StringConverter()
    value.configure({}, False)
    task = WorkerSourceTask(
        producer_config={}, offset_store=MemoryOffsetBackingStore(), task=NoTask(), task_config={},
        key_converter=value, value_converter=value, header_converter=header_converter,
        transformations=TransformationChain(), error_handler=Spy(tolerance), offset_flush_interval_ms=60_000,
        task_id=ConnectorTaskId("c", 0), status_store=MemoryStatusBackingStore(), worker_id="w",
        target_state=TargetState.STARTED)
    task.producer = Producer()
    return task


def records() -> list[SourceRecord]:
    with_headers = Headers().add("trace", "t-1", STRING_SCHEMA).add("count", 7, INT32_SCHEMA)
    return [SourceRecord({"p": 0}, {"o": 0}, "t", "a", STRING_SCHEMA, headers=with_headers),
            SourceRecord({"p": 0}, {"o": 1}, "t", "b", STRING_SCHEMA)]


def test_headers_go_through_the_header_converter_and_records_without_any_have_none():
    task = worker_task(SimpleHeaderConverter())
    task._send(records())
    assert task.producer.sent == [(b"a", [("trace", b"t-1"), ("count", b"7")]), (b"b", None)]


def test_a_failing_header_converter_skips_the_record_with_tolerance_all():
    task = worker_task(ByteArrayConverter(), tolerance="all")  # refuses STRING header values
    task._send(records())
    assert task.producer.sent == [(b"b", None)]
    assert task.errors.stages == ["HEADER_CONVERTER"]


def test_a_failing_header_converter_fails_the_task_without_tolerance():
    task = worker_task(ByteArrayConverter())
    with pytest.raises(ToleranceExceeded, match="HEADER_CONVERTER"):
        task._send(records())
