"""WorkerSinkTask after the worker abandoned it (graceful-stop timeout): it commits no offsets (pure logic)."""

from __future__ import annotations

from dbconnect.api.task import TopicPartition
from dbconnect.converters.string import StringConverter
from dbconnect.runtime.errors import ErrorHandler
from dbconnect.runtime.sink_task import WorkerSinkTask
from dbconnect.runtime.stores.configs import TargetState
from dbconnect.runtime.stores.status import ConnectorTaskId, MemoryStatusBackingStore, State
from dbconnect.runtime.transformation_chain import TransformationChain

TP = TopicPartition("t", 0)


class RecordingConsumer:
    def __init__(self) -> None:
        self.commits: list = []
        self.closed = False

    def commit(self, offsets, asynchronous=True) -> None:
        self.commits.append(offsets)

    def close(self) -> None:
        self.closed = True


class RecordingTask:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.context = None

    def pre_commit(self, offsets: dict) -> dict:
        self.calls.append("pre_commit")
        return offsets

    def close(self, partitions) -> None:
        self.calls.append("close")

    def stop(self) -> None:
        self.calls.append("stop")


def started(task: RecordingTask) -> tuple[WorkerSinkTask, RecordingConsumer]:
    worker_task = WorkerSinkTask(
        consumer_config={}, max_poll_records=500, task=task, task_config={"topics": "t"},
        key_converter=StringConverter(), value_converter=StringConverter(), transformations=TransformationChain(),
        error_handler=ErrorHandler("c", 0, {}), offset_flush_interval_ms=60_000,
        task_id=ConnectorTaskId("c", 0), status_store=MemoryStatusBackingStore(), worker_id="w",
        target_state=TargetState.STARTED)
    consumer = RecordingConsumer()
    worker_task.consumer = consumer
    worker_task._started = True
    worker_task.context._assignment.add(TP)
    worker_task._current[TP] = 5
    return worker_task, consumer


def test_an_abandoned_task_commits_nothing_but_still_closes_and_its_context_says_so():
    task = RecordingTask()
    worker_task, consumer = started(task)
    worker_task.close()  # not abandoned: the final commit happens
    assert task.calls == ["pre_commit", "close", "stop"] and len(consumer.commits) == 1

    task = RecordingTask()
    worker_task, consumer = started(task)
    worker_task.cancel()
    assert worker_task.context.abandoned()
    worker_task._commit()  # its loop may still be running
    worker_task.close()
    assert task.calls == ["close", "stop"] and consumer.commits == [] and consumer.closed
    # Its status belongs to the replacement now: the abandoned thread's failure does not overwrite it.
    worker_task._report(State.FAILED, "trace")
    assert worker_task._status_store.task(worker_task.id) is None
