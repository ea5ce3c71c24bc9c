"""source-/sink-record-active-count (Kafka's names): what the task loops count, per batch."""

from __future__ import annotations

import math
from types import SimpleNamespace

from dbconnect.api.task import TopicPartition
from dbconnect.converters.string import StringConverter
from dbconnect.runtime.errors import ErrorHandler
from dbconnect.runtime.sink_task import WorkerSinkTask
from dbconnect.runtime.stores.configs import TargetState
from dbconnect.runtime.stores.status import ConnectorTaskId, MemoryStatusBackingStore
from dbconnect.runtime.submitted_records import SubmittedRecords
from dbconnect.runtime.task_metrics import TaskFigures
from dbconnect.runtime.transformation_chain import TransformationChain

from .test_sink_poll import Message


def test_a_poll_batch_leaves_the_source_count_once_all_its_records_are_acknowledged():
    submitted = SubmittedRecords()
    first = submitted.new_batch(3)
    for _ in range(3):
        first.add(None, None)
    first.closed = True
    second = submitted.new_batch(2)
    second.add(None, None)
    second.add(None, None, in_flight=False)  # filtered: nothing to wait for
    second.closed = True
    assert submitted.settle() == 0
    second.ack()  # the later batch is done, the first is not: counted in order, as committed
    first.ack()
    first.ack()
    assert submitted.settle() == 0
    first.ack()
    assert submitted.settle() == 5
    assert submitted.settle() == 5  # each batch counted once


def test_figures_keep_value_max_and_average_of_the_samples():
    figures = TaskFigures("source")
    for count in (4, 10, 0):
        figures.active_count(count)
    window = figures.measure("active")  # over the metrics sample window (all three are in it)
    assert (figures.snapshot()["active"], window.max, window.avg) == (0, 10, 14 / 3)
    assert math.isnan(TaskFigures("sink").measure("active").avg)  # no sample: NaN, as Kafka's Avg


class CommittingConsumer:
    def __init__(self, queued: list[Message]) -> None:
        self.queued, self.commits = list(queued), []

    def consume(self, num_messages: int, timeout: float) -> list[Message]:
        taken, self.queued = self.queued[:num_messages], self.queued[num_messages:]
        return taken

    def poll(self, timeout: float):
        return None

    def commit(self, offsets, asynchronous: bool) -> None:
        self.commits.append([(p.topic, p.partition, p.offset) for p in offsets])


def test_sink_count_is_what_was_read_and_not_committed():
    seen: list[int] = []
    owner: list = []

    class Task:
        def put(self, records):
            if records:
                seen.append(owner[0].figures.active)  # while put() runs: read, not committed
                owner[0].stop()

        def pre_commit(self, offsets):
            return offsets

    consumer = CommittingConsumer([Message(i) for i in range(40, 45)])  # the partition starts at 40
    worker_task = WorkerSinkTask(
        consumer_config={}, max_poll_records=500, task=Task(), task_config={"topics": "t"},
        key_converter=StringConverter(), value_converter=StringConverter(), transformations=TransformationChain(),
        error_handler=ErrorHandler("c", 0, {}), offset_flush_interval_ms=60_000,
        task_id=ConnectorTaskId("c", 0), status_store=MemoryStatusBackingStore(), worker_id="w",
        target_state=TargetState.STARTED)
    owner.append(worker_task)
    worker_task.consumer = consumer
    worker_task.context._assignment.add(TopicPartition("t", 0))
    worker_task._next_commit = float("inf")
    worker_task.execute()
    assert seen == [5]
    worker_task._commit()
    assert consumer.commits == [[("t", 0, 45)]]
    assert worker_task.figures.active == 0
    assert worker_task.figures.measure("active").max == 5
