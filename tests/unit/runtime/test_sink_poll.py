"""WorkerSinkTask's delivery loop against a consumer with librdkafka's batching behaviour (pure logic).

librdkafka's ``consume(n, timeout)`` returns when ``n`` messages are queued or the timeout has
passed (measured on the test broker: a lone record came back after the whole 0.5 s); ``poll``
returns as soon as one message is there. The fake keeps a virtual clock, so nothing sleeps.
"""

from __future__ import annotations

from typing import Any

from dbconnect.converters.string import StringConverter
from dbconnect.runtime.errors import ErrorHandler
from dbconnect.runtime.sink_task import WorkerSinkTask
from dbconnect.runtime.stores.configs import TargetState
from dbconnect.runtime.stores.status import ConnectorTaskId, MemoryStatusBackingStore
from dbconnect.runtime.transformation_chain import TransformationChain


class Message:
    def __init__(self, offset: int) -> None:
        self._offset = offset

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return "t"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes:
        return b"k"

    def value(self) -> bytes:
        return b"v%d" % self._offset

    def headers(self) -> None:
        return None

    def timestamp(self) -> tuple[int, int]:
        return (1, 0)


class BatchingConsumer:
    """Queued messages, handed out the way librdkafka does, on a virtual clock."""

    def __init__(self, queued: list[Message], owner: list) -> None:
        self.queued = list(queued)
        self.clock = 0.0
        self.owner = owner

    def _tick(self, seconds: float) -> None:
        self.clock += seconds
        if self.clock > 5.0:  # the test has failed: end the loop instead of spinning forever
            self.owner[0].stop()

    def consume(self, num_messages: int, timeout: float) -> list[Message]:
        if len(self.queued) < num_messages:
            self._tick(timeout)  # waits for a full batch until the timeout
        taken, self.queued = self.queued[:num_messages], self.queued[num_messages:]
        return taken

    def poll(self, timeout: float) -> Message | None:
        if self.queued:
            return self.queued.pop(0)
        self._tick(timeout)
        return None


class RecordingTask:
    def __init__(self, owner: list, consumer: BatchingConsumer, stop_after: int) -> None:
        self.owner, self.consumer, self.stop_after = owner, consumer, stop_after
        self.puts: list[tuple[float, list]] = []

    def put(self, records: list) -> None:
        self.puts.append((self.consumer.clock, [r.value for r in records]))
        if len(self.puts) >= self.stop_after:
            self.owner[0].stop()

    def pre_commit(self, offsets: dict) -> dict:
        return offsets


def loop(queued: list[Message], stop_after: int) -> RecordingTask:
    owner: list = []
    consumer = BatchingConsumer(queued, owner)
    task = RecordingTask(owner, consumer, stop_after)
    worker_task = WorkerSinkTask(
        consumer_config={}, max_poll_records=500, task=task, task_config={"topics": "t"},
        key_converter=StringConverter(), value_converter=StringConverter(), transformations=TransformationChain(),
        error_handler=ErrorHandler("c", 0, {}), offset_flush_interval_ms=60_000,
        task_id=ConnectorTaskId("c", 0), status_store=MemoryStatusBackingStore(), worker_id="w",
        target_state=TargetState.STARTED)
    owner.append(worker_task)
    worker_task.consumer = consumer
    worker_task._next_commit = float("inf")
    worker_task.execute()
    return task


def test_a_lone_record_is_put_without_waiting_for_a_full_batch():
    task = loop([Message(0)], stop_after=1)
    assert task.puts == [(0.0, ["v0"])]  # not after consume()'s 0.5 s wait for 500 messages


def test_what_is_fetched_is_put_at_once_up_to_max_poll_records():
    task = loop([Message(i) for i in range(501)], stop_after=2)
    assert [(clock, len(values)) for clock, values in task.puts] == [(0.0, 500), (0.0, 1)]


def test_put_is_called_on_idle_polls_as_kafka_does():
    task = loop([Message(0)], stop_after=3)
    # The record, then two polls that brought nothing (each waited the poll timeout for one message).
    assert task.puts == [(0.0, ["v0"]), (0.5, []), (1.0, [])]


def test_the_consumer_subscribes_before_the_task_starts(monkeypatch):
    """As Kafka's WorkerSinkTask: subscribe, then task.start(). librdkafka joins the group in the
    background from subscribe() on, so the group's first join (3 s) overlaps the task's start-up;
    the rebalance callbacks (open()) still come only from this thread's polls, after start()."""
    events: list[str] = []

    class SubscribingConsumer:
        def __init__(self, config: dict) -> None:
            events.append("consumer")

        def subscribe(self, topics: list, **callbacks) -> None:
            events.append(f"subscribe {topics}")

    class StartingTask(RecordingTask):
        def initialize(self, context) -> None:
            events.append("initialize")

        def start(self, props: dict) -> None:
            events.append("start")

    monkeypatch.setattr("dbconnect.runtime.sink_task.Consumer", SubscribingConsumer)
    monkeypatch.setattr("dbconnect.runtime.sink_task.settle_heap", lambda: None)
    worker_task = WorkerSinkTask(
        consumer_config={}, max_poll_records=500, task=StartingTask([], None, 1), task_config={"topics": "t"},
        key_converter=StringConverter(), value_converter=StringConverter(), transformations=TransformationChain(),
        error_handler=ErrorHandler("c", 0, {}), offset_flush_interval_ms=60_000,
        task_id=ConnectorTaskId("c", 0), status_store=MemoryStatusBackingStore(), worker_id="w",
        target_state=TargetState.STARTED)
    worker_task.initialize_and_start()
    assert events == ["consumer", "subscribe ['t']", "initialize", "start"]
