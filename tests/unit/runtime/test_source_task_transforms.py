"""WorkerSourceTask with a transform chain: transformed records are produced, dropped ones count as
processed, and a failing stage goes to the ErrorHandler at TRANSFORMATION with the transform's class."""

from __future__ import annotations

import pytest

from dbconnect.api.errors import DataError
from dbconnect.api.records import SourceRecord
from dbconnect.api.task import SourceTask
from dbconnect.api.transformation import Transformation
from dbconnect.converters.string import StringConverter
from dbconnect.runtime.errors import ErrorHandler, Stage, ToleranceExceeded
from dbconnect.runtime.source_task import WorkerSourceTask
from dbconnect.runtime.submitted_records import SubmittedRecords
from dbconnect.runtime.task_metrics import TaskFigures
from dbconnect.runtime.transformation_chain import TransformationChain, TransformationStage


class Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None]] = []

    def produce(self, topic, value, key, on_delivery=None, **kwargs) -> None:
        self.sent.append((topic, key, value))
        on_delivery(None, None)


class Upper(Transformation):
    def apply(self, record):
        if record.value == "bad":
            raise DataError("cannot shout that")
        return None if record.value == "drop" else record.new_record(value=record.value.upper())


class Task(SourceTask):
    def start(self, props): pass  # noqa: E704
    def poll(self): return []  # noqa: E704
    def stop(self): pass  # noqa: E704


class RecordingHandler(ErrorHandler):
    def __init__(self, tolerance: str) -> None:
        super().__init__("c", 0, {"errors.tolerance": tolerance})
        self.calls: list[tuple[str, str, type | None]] = []

    def handle(self, stage, error, *, cls=None, **kwargs):
        self.calls.append((stage, str(error), cls))
        return super().handle(stage, error, cls=cls, **kwargs)

    def failed(self, stage, error, cls, **kwargs):  # the task loops' entry point (errors.py)
        self.calls.append((stage, str(error), cls))
        return super().failed(stage, error, cls, **kwargs)


def task(tolerance: str) -> WorkerSourceTask:
    worker_task = object.__new__(WorkerSourceTask)
    worker_task.producer = Producer()
    worker_task.submitted = SubmittedRecords()
    worker_task.task = Task()
    string = StringConverter()
    string.configure({}, is_key=False)
    worker_task.key_converter = worker_task.value_converter = string
    worker_task._write_headers = lambda topic, headers: None  # the records carry no headers
    worker_task.topic_creation = None
    worker_task.transformations = TransformationChain([TransformationStage(Upper())])
    worker_task.errors = RecordingHandler(tolerance)
    worker_task.figures = TaskFigures("source", worker_task.errors)
    return worker_task


def records(*values: str) -> list[SourceRecord]:
    return [SourceRecord({"p": 0}, {"n": i}, "t", value=v) for i, v in enumerate(values)]


def test_transformed_records_are_produced_and_dropped_ones_are_committed():
    worker_task = task("none")
    worker_task._send(records("a", "drop", "b", "drop"))
    assert [value for _, _, value in worker_task.producer.sent] == [b"A", b"B"]
    # the last record (dropped) is the committable offset
    assert [offset for _, offset in worker_task.submitted.committable().values()] == [{"n": 3}]
    # source-record-write-total counts what went to the producer, not what the transforms dropped
    assert worker_task.figures.records_out == 2


def test_a_failing_transform_is_tolerated_at_the_transformation_stage_with_its_class():
    worker_task = task("all")
    worker_task._send(records("a", "bad", "b"))
    assert [value for _, _, value in worker_task.producer.sent] == [b"A", b"B"]
    assert worker_task.errors.calls == [(Stage.TRANSFORMATION, "cannot shout that", Upper)]
    assert [offset for _, offset in worker_task.submitted.committable().values()] == [{"n": 2}]
    assert worker_task.figures.records_out == 2


def test_a_failing_transform_fails_the_task_without_tolerance():
    worker_task = task("none")
    with pytest.raises(ToleranceExceeded, match=r"executing stage 'TRANSFORMATION' with class '[\w.]*Upper'.*cannot shout that"):
        worker_task._send(records("a", "bad", "b"))
    assert [value for _, _, value in worker_task.producer.sent] == [b"A"]
