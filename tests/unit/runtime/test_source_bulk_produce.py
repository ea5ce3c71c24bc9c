"""The source runtime's bulk produce of JSON-ready rows: queue limits, refused messages, order."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError

from dbconnect.api.errors import ConnectError
from dbconnect.runtime.source_task import WorkerSourceTask


class FakeProducer:
    """A local queue of ``capacity`` messages that refuses (by bytes, say) every ``refuse``-th one."""

    def __init__(self, capacity: int, refuse_every: int = 0, error: int = KafkaError._QUEUE_FULL) -> None:
        self.capacity = capacity
        self.refuse_every = refuse_every
        self.error = error
        self.queue: list[bytes] = []
        self.sent: list[bytes] = []
        self.calls = 0

    def __len__(self) -> int:
        return len(self.queue)

    def poll(self, timeout: float = 0) -> int:
        self.sent += self.queue  # everything in the queue gets delivered
        self.queue = []
        return 0

    def produce_batch(self, topic, messages, on_delivery=None) -> int:
        assert len(messages) + len(self.queue) <= self.capacity, "the runtime must not overfill the queue"
        queued = 0
        for message in messages:
            self.calls += 1
            if self.refuse_every and self.calls % self.refuse_every == 0:
                message["_error"] = KafkaError(self.error)
                continue
            self.queue.append(message["value"])
            queued += 1
        return queued

    def produce(self, topic, value, key, on_delivery=None) -> None:
        self.queue.append(value)


def _task(producer: FakeProducer, capacity: int, errors_config: dict | None = None) -> WorkerSourceTask:
    from dbconnect.runtime.errors import ErrorHandler

    task = object.__new__(WorkerSourceTask)
    task.producer = producer
    task._queue_capacity = capacity
    task._send_error = None
    task.errors = ErrorHandler("c", 0, errors_config or {})
    return task


def test_batches_are_cut_to_the_room_left_in_the_queue():
    producer = FakeProducer(capacity=7)
    messages = [{"value": b"%d" % i, "key": None} for i in range(20)]
    _task(producer, 7)._produce_all("t", messages, None)
    producer.poll()
    assert producer.sent == [b"%d" % i for i in range(20)]


def test_refused_messages_are_queued_again_and_nothing_is_lost():
    producer = FakeProducer(capacity=100, refuse_every=3)
    messages = [{"value": b"%d" % i, "key": None} for i in range(10)]
    _task(producer, 100)._produce_all("t", messages, None)
    producer.poll()
    assert sorted(producer.sent, key=int) == [b"%d" % i for i in range(10)]
    assert all("_error" not in m for m in messages)


def test_other_errors_fail_the_task():
    producer = FakeProducer(capacity=100, refuse_every=2, error=KafkaError._MSG_TIMED_OUT)
    with pytest.raises(ConnectError, match="Tolerance exceeded in error handler: executing stage 'KAFKA_PRODUCE'.*"
                                           "Failed to send a record to topic t"):
        _task(producer, 100)._produce_all("t", [{"value": b"x", "key": None}] * 4, None)


def test_other_errors_are_skipped_with_errors_tolerance_all_and_count_as_delivered():
    producer = FakeProducer(capacity=100, refuse_every=2, error=KafkaError._MSG_TIMED_OUT)
    done = []
    task = _task(producer, 100, {"errors.tolerance": "all"})
    task._produce_all("t", [{"value": b"%d" % i, "key": None} for i in range(4)], lambda err, msg: done.append(err))
    assert done == [None, None]  # the two refused ones: done, so their offsets advance
    assert task.errors.records_skipped == 2


def test_a_failed_delivery_is_skipped_with_tolerance_all_and_fails_the_task_without():
    from dbconnect.runtime.errors import ToleranceExceeded
    from dbconnect.runtime.submitted_records import SubmittedRecords

    class Task:
        def commit_record(self, record, metadata):
            committed.append((record, metadata))

    committed: list = []
    error = KafkaError(KafkaError.MSG_SIZE_TOO_LARGE)
    tolerant = _task(FakeProducer(capacity=10), 10, {"errors.tolerance": "all"})
    tolerant.task, tolerant.submitted = Task(), SubmittedRecords()
    batch = tolerant.submitted.new_batch()
    batch.add({"p": 1}, {"o": 1})
    batch.closed = True
    tolerant._delivery_callback(batch, "record-1")(error, None)
    assert batch.done and committed == [("record-1", None)]  # KIP-779: commitRecord(record, null)
    assert tolerant.submitted.committable()  # the offset advances past the skipped record
    tolerant._raise_send_error()  # nothing to raise

    strict = _task(FakeProducer(capacity=10), 10)
    strict.task, strict.submitted = Task(), SubmittedRecords()
    batch = strict.submitted.new_batch()
    batch.add({"p": 1}, {"o": 1})
    batch.closed = True
    strict._delivery_callback(batch, None)(error, None)
    assert not batch.done
    with pytest.raises(ToleranceExceeded, match="executing stage 'KAFKA_PRODUCE'.*Unrecoverable exception from "
                                                "producer send callback"):
        strict._raise_send_error()
