"""WorkerSinkTask: a put() that raises RetriableError is redelivered through the error handler (pure
logic, a virtual clock): the consumer is paused and polled during the wait, offsets commit only what
was put, a rebalance meanwhile drops the revoked partitions' records, and a converter's
RetriableError is retried within errors.retry.timeout."""

from __future__ import annotations

import pytest
from confluent_kafka import TopicPartition as KafkaTopicPartition

from dbconnect.api.errors import DataError, RetriableError
from dbconnect.converters.string import StringConverter
from dbconnect.runtime.errors import ErrorHandler
from dbconnect.runtime.sink_task import WorkerSinkTask
from dbconnect.api.task import TopicPartition
from dbconnect.runtime.stores.configs import TargetState
from dbconnect.runtime.stores.status import ConnectorTaskId, MemoryStatusBackingStore
from dbconnect.runtime.transformation_chain import TransformationChain

TP = TopicPartition("t", 0)


class Message:
    def __init__(self, offset: int, value: bytes | None = None) -> None:
        self._offset, self._value = offset, value if value is not None else b"v%d" % offset

    def error(self): return None
    def topic(self): return "t"
    def partition(self): return 0
    def offset(self): return self._offset
    def key(self): return None
    def value(self): return self._value
    def headers(self): return None
    def timestamp(self): return (1, 0)


class ScriptedConsumer:
    """Hands out one scripted batch per poll; paused, it returns nothing and lets virtual time pass."""

    def __init__(self, batches: list[list[Message]]) -> None:
        self.batches = list(batches)
        self.clock = 0.0
        self.paused = False
        self.events: list[str] = []
        self.committed: list[tuple[str, int, int]] = []
        self.on_paused_poll = lambda: None  # runs at every poll of the paused consumer

    def consume(self, num_messages: int, timeout: float) -> list[Message]:
        if self.paused:
            self.clock += timeout
            self.on_paused_poll()
            return []
        if self.batches:
            return self.batches.pop(0)
        self.clock += timeout
        return []

    def poll(self, timeout: float):
        self.clock += timeout
        return None

    def pause(self, partitions) -> None:
        self.paused = True
        self.events.append("pause " + ",".join(f"{p.topic}-{p.partition}" for p in partitions))

    def resume(self, partitions) -> None:
        self.paused = False
        self.events.append("resume " + ",".join(f"{p.topic}-{p.partition}" for p in partitions))

    def seek(self, tp) -> None:
        pass

    def commit(self, offsets, asynchronous=False) -> None:
        self.committed += [(o.topic, o.partition, o.offset) for o in offsets]


class FlakyTask:
    """put() raises RetriableError for the batches whose first value is in ``fail`` (as often as
    listed), writes the others; stops the loop once everything scripted was consumed."""

    def __init__(self, fail: list[str]) -> None:
        self.fail = list(fail)
        self.puts: list[tuple[float, list]] = []
        self.written: list = []
        self.closed: list = []
        self.owner: WorkerSinkTask | None = None

    def put(self, records: list) -> None:
        consumer = self.owner.consumer
        if not records:
            if not consumer.batches:
                self.owner.stop()
            return
        self.puts.append((consumer.clock, [r.value for r in records]))
        if records[0].value in self.fail:
            self.fail.remove(records[0].value)
            raise RetriableError("the store is busy")
        self.written += [r.value for r in records]

    def pre_commit(self, offsets: dict) -> dict:
        return dict(offsets)

    def close(self, partitions) -> None:
        self.closed += list(partitions)


def run(batches: list[list[Message]], task: FlakyTask, errors_config: dict | None = None, value_converter=None,
        on_paused_poll=None) -> tuple[WorkerSinkTask, ScriptedConsumer]:
    consumer = ScriptedConsumer(batches)
    handler = ErrorHandler("c", 0, errors_config or {}, clock=lambda: consumer.clock,
                           wait=lambda seconds: setattr(consumer, "clock", consumer.clock + seconds))
    worker_task = WorkerSinkTask(
        consumer_config={}, max_poll_records=500, task=task, task_config={"topics": "t"},
        key_converter=StringConverter(), value_converter=value_converter or StringConverter(),
        transformations=TransformationChain(), error_handler=handler, offset_flush_interval_ms=60_000,
        task_id=ConnectorTaskId("c", 0), status_store=MemoryStatusBackingStore(), worker_id="w",
        target_state=TargetState.STARTED)
    task.owner = worker_task
    worker_task.consumer = consumer
    worker_task.context._assignment.add(TP)
    worker_task._next_commit = float("inf")
    if on_paused_poll is not None:
        consumer.on_paused_poll = lambda: on_paused_poll(worker_task, consumer)
    worker_task.execute()
    return worker_task, consumer


def test_a_retriable_put_gets_the_same_batch_after_backoffs_while_the_consumer_is_paused_and_polled():
    task = FlakyTask(fail=["v0", "v0"])
    offsets_seen: list = []
    worker_task, consumer = run([[Message(0), Message(1)], [Message(2)]], task,
                                on_paused_poll=lambda wt, c: offsets_seen.append(dict(wt._current)))
    # The first batch three times: at 0, after 300 ms, after 600 ms more (polled in 0.2 s slices).
    assert [(round(clock, 3), values) for clock, values in task.puts[:3]] == [
        (0.0, ["v0", "v1"]), (0.3, ["v0", "v1"]), (0.9, ["v0", "v1"])]
    assert task.written == ["v0", "v1", "v2"]  # nothing lost, nothing twice
    assert consumer.events[:2] == ["pause t-0", "resume t-0"]
    assert len(offsets_seen) >= 4 and all(seen == {} for seen in offsets_seen)  # nothing was put yet
    assert worker_task._current == {TP: 3}
    assert worker_task.errors.retries == 2


def test_a_rebalance_during_the_wait_commits_only_what_was_put_and_drops_the_revoked_records():
    task = FlakyTask(fail=["v2"])

    def revoke_once(worker_task, consumer):
        if TP in worker_task.context._assignment:
            worker_task._on_revoke(consumer, [KafkaTopicPartition("t", 0)])

    worker_task, consumer = run([[Message(0), Message(1)], [Message(2), Message(3)]], task,
                                on_paused_poll=revoke_once)
    # Revoked while v2, v3 waited: the commit covers v0, v1 only (offset 2), not the batch never put.
    assert consumer.committed == [("t", 0, 2)]
    assert task.written == ["v0", "v1"]  # v2, v3 belong to the partition's next owner now
    assert task.closed == [TP]
    assert worker_task._current == {}


def test_a_converters_retriable_error_is_retried_within_errors_retry_timeout():
    class Flaky(StringConverter):
        failures = 2

        def to_connect_data(self, topic, value, headers=None):
            if value == b"v1" and Flaky.failures:
                Flaky.failures -= 1
                raise RetriableError("schema registry unreachable")
            if value == b"bad":
                raise DataError("not a string")
            return super().to_connect_data(topic, value, headers)

    task = FlakyTask(fail=[])
    worker_task, consumer = run([[Message(0), Message(1), Message(2, b"bad"), Message(3)]], task,
                                {"errors.retry.timeout": "10000", "errors.tolerance": "all"}, Flaky())
    assert task.written == ["v0", "v1", "v3"]  # v1 after two retries; "bad" skipped (tolerance all)
    assert worker_task.errors.retries == 2 and worker_task.errors.records_skipped == 1
    assert consumer.clock >= 0.9  # waited 300 + 600 ms
    assert worker_task._current == {TP: 4}


def test_a_partition_lost_and_assigned_back_commits_again_what_it_committed_before_the_loss():
    # Lost (not revoked): another member may have committed since, so this task's own memory of
    # its last commit is stale and must not make it skip a commit of the same offset.
    worker_task, consumer = run([[Message(0), Message(1)]], FlakyTask(fail=[]))
    worker_task._commit()
    assert consumer.committed == [("t", 0, 2)]
    worker_task._on_lost(consumer, [KafkaTopicPartition("t", 0)])
    worker_task.context._assignment.add(TP)  # assigned back, the same offset reached again
    worker_task._current[TP] = 2
    worker_task._commit()
    assert consumer.committed == [("t", 0, 2), ("t", 0, 2)]


class AssignRecorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, int, int]]]] = []

    def assign(self, partitions) -> None:
        self.calls.append(("assign", [(p.topic, p.partition, p.offset) for p in partitions]))

    def incremental_assign(self, partitions) -> None:
        self.calls.append(("incremental_assign", [(p.topic, p.partition, p.offset) for p in partitions]))


@pytest.mark.parametrize("consumer_config, method", [
    ({}, "assign"),
    ({"partition.assignment.strategy": "cooperative-sticky"}, "incremental_assign"),
    ({"group.protocol": "consumer"}, "incremental_assign"),  # KIP-848: assignments are incremental
    ({"group.protocol": "classic", "partition.assignment.strategy": "range"}, "assign"),
])
def test_offsets_the_task_asked_for_start_the_assignment_with_the_protocols_assign_call(consumer_config, method):
    worker_task, _ = run([], FlakyTask(fail=[]))
    worker_task.consumer_config = consumer_config
    worker_task.context._offset_resets[TP] = 7
    consumer = AssignRecorder()
    worker_task._assign_at_reset_offsets(consumer, [KafkaTopicPartition("t", 0)])
    assert consumer.calls == [(method, [("t", 0, 7)])]
