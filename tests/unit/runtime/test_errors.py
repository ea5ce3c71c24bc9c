"""runtime.errors: retries with backoff, tolerance, the log lines and the DLQ headers (fake clock)."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from dbconnect.api.errors import DataError, RetriableError
from dbconnect.runtime.errors import (
    SKIPPED, ErrorHandler, RetryInterrupted, Stage, ToleranceExceeded, source_dlq_errors,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(round(seconds, 6))
        self.now += seconds
        return False


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[dict] = []
        self._callbacks = []

    def produce(self, topic, value=None, key=None, headers=None, on_delivery=None):
        self.sent.append({"topic": topic, "key": key, "value": value, "headers": headers})
        self._callbacks.append(on_delivery)

    def poll(self, timeout=0):
        while self._callbacks:
            self._callbacks.pop(0)(None, None)
        return 0

    def flush(self, timeout=None):
        self.poll()
        return 0


class Message:
    """What confluent-kafka's consumer returns, as far as the handler reads it."""

    def __init__(self, topic="orders", partition=2, offset=7, key=b"k", value=b"v", headers=None):
        self._t, self._p, self._o, self._k, self._v = topic, partition, offset, key, value
        self._h = headers if headers is not None else [("trace", b"abc")]

    def topic(self): return self._t
    def partition(self): return self._p
    def offset(self): return self._o
    def key(self): return self._k
    def value(self): return self._v
    def headers(self): return self._h
    def timestamp(self): return (1, 1700000000000)


class Converter:
    pass


def handler(config, producer=None, clock=None, random_fraction=lambda: 0.5):
    clock = clock or FakeClock()
    return ErrorHandler("conn", 3, config, producer, clock=clock, wait=clock.wait,
                        random_fraction=random_fraction, wall_clock=lambda: 1700000001.5), clock


def failing(times, error=RetriableError("registry unreachable"), result="ok"):
    calls = {"n": 0}

    def operation():
        calls["n"] += 1
        if calls["n"] <= times:
            raise error
        return result
    return operation, calls


# -- retries -------------------------------------------------------------------------------------------------

def test_a_retriable_error_is_retried_with_exponential_backoff_until_it_succeeds():
    h, clock = handler({"errors.retry.timeout": "60000"})
    operation, calls = failing(4)
    assert h.execute(operation, Stage.VALUE_CONVERTER, Converter) == "ok"
    assert calls["n"] == 5
    assert clock.waits == [0.3, 0.6, 1.2, 2.4]  # 300 ms doubled per attempt, as Kafka's
    assert (h.retries, h.record_failures, h.record_errors, h.records_skipped) == (4, 4, 0, 0)


def test_the_backoff_is_capped_by_errors_retry_delay_max_ms_with_jitter():
    h, _ = handler({"errors.retry.delay.max.ms": "1000"}, random_fraction=lambda: 0.25)
    assert [h.backoff_ms(a) for a in (1, 2, 3, 4, 10)] == [300, 600, 250, 250, 250]
    default, _ = handler({})
    assert default.retry_delay_max_ms == 60000 and default.backoff_ms(8) == 38400
    assert default.backoff_ms(9) == 30000  # 76.8 s > 60 s: a random delay below the maximum


def test_retries_stop_at_errors_retry_timeout_then_tolerance_decides():
    h, clock = handler({"errors.retry.timeout": "1000"})
    operation, calls = failing(100)
    with pytest.raises(ToleranceExceeded, match="registry unreachable"):
        h.execute(operation, Stage.VALUE_CONVERTER, Converter, consumed=Message())
    # 300 + 600 ms, then what is left of the second (100 ms): never past the deadline.
    assert clock.waits == [0.3, 0.6, 0.1] and calls["n"] == 4
    assert clock.now == pytest.approx(1001.0)
    tolerant, _ = handler({"errors.retry.timeout": "1000", "errors.tolerance": "all"})
    operation, calls = failing(100)
    assert tolerant.execute(operation, Stage.VALUE_CONVERTER, Converter, consumed=Message()) is SKIPPED
    assert (tolerant.record_errors, tolerant.records_skipped) == (1, 1)


def test_no_retry_by_default_and_forever_with_minus_one():
    h, clock = handler({"errors.tolerance": "all"})
    operation, calls = failing(1)
    assert h.execute(operation, Stage.KEY_CONVERTER, Converter) is SKIPPED
    assert calls["n"] == 1 and clock.waits == []
    forever, clock = handler({"errors.retry.timeout": "-1", "errors.retry.delay.max.ms": "2000"})
    operation, calls = failing(50)
    assert forever.execute(operation, Stage.KEY_CONVERTER, Converter) == "ok"
    assert calls["n"] == 51 and len(clock.waits) == 50


def test_a_non_retriable_error_is_not_retried():
    h, clock = handler({"errors.retry.timeout": "-1"})
    operation, calls = failing(1, error=DataError("not JSON"))
    with pytest.raises(ToleranceExceeded):
        h.execute(operation, Stage.VALUE_CONVERTER, Converter)
    assert calls["n"] == 1 and clock.waits == []


def test_a_backoff_ends_at_once_when_the_task_is_stopped():
    h = ErrorHandler("conn", 0, {"errors.retry.timeout": "-1", "errors.retry.delay.max.ms": "600000"})
    h.retry_delay_max_ms = 600000
    operation, _ = failing(10**9)
    outcome: list = []

    def run():
        try:
            h.execute(operation, Stage.VALUE_CONVERTER, Converter)
        except BaseException as exc:  # noqa: BLE001
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    while h.retries < 3 and time.monotonic() < deadline:  # 0.3 + 0.6 s, then a 1.2 s wait
        time.sleep(0.01)
    stopped_at = time.monotonic()
    h.stop()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - stopped_at < 1.0
    assert isinstance(outcome[0], RetryInterrupted)


def test_put_and_poll_redelivery_is_bounded_only_by_a_positive_retry_timeout():
    h, clock = handler({"errors.retry.timeout": "1000"})
    started = clock()
    h.redelivery_backoff(Stage.TASK_PUT, RetriableError("deadlock"), 1, started)
    h.redelivery_backoff(Stage.TASK_PUT, RetriableError("deadlock"), 2, started, delay_ms=50)  # context.timeout()
    assert clock.waits == [0.3, 0.05]
    clock.now = started + 1.0
    with pytest.raises(ToleranceExceeded, match="TASK_PUT still failing after errors.retry.timeout=1000 ms"):
        h.redelivery_backoff(Stage.TASK_PUT, RetriableError("deadlock"), 3, started)
    kafka_like, clock = handler({})  # 0: Kafka redelivers a put() until it succeeds
    for attempt in range(1, 30):
        kafka_like.redelivery_backoff(Stage.TASK_PUT, RetriableError("deadlock"), attempt, clock())
    assert len(clock.waits) == 29 and kafka_like.retries == 29


# -- tolerance, log lines ---------------------------------------------------------------------------------

def test_tolerance_none_fails_naming_stage_class_and_coordinates_but_no_bytes():
    h, _ = handler({})
    with pytest.raises(ToleranceExceeded) as raised:
        h.handle(Stage.TASK_PUT, DataError("value too long for type character varying(5)"), cls=Converter,
                 topic="orders", partition=0, offset=41, key=b"secret-key", value=b"secret-value")
    text = str(raised.value)
    assert text.startswith("Tolerance exceeded in error handler: executing stage 'TASK_PUT' with class "
                           f"'{Converter.__module__}.Converter' on the record ")
    assert "{topic='orders', partition=0, offset=41}" in text and "value too long" in text
    assert "secret" not in text
    assert isinstance(raised.value.__cause__, DataError)


def test_errors_log_enable_logs_as_kafkas_log_reporter(caplog):
    h, _ = handler({"errors.tolerance": "all", "errors.log.enable": "true"})
    caplog.set_level(logging.ERROR, logger="dbconnect.runtime.errors")
    h.failed(Stage.VALUE_CONVERTER, DataError("bad"), Converter, consumed=Message(key=b"secret-key"))
    [line] = caplog.records
    assert line.getMessage() == (f"Error encountered in task conn-3. Executing stage 'VALUE_CONVERTER' with class "
                                 f"'{Converter.__module__}.Converter'.")
    assert line.exc_info[1].args == ("bad",)
    assert "secret" not in caplog.text


def test_include_messages_adds_the_consumed_coordinates_or_the_source_record(caplog):
    h, _ = handler({"errors.tolerance": "all", "errors.log.enable": "true", "errors.log.include.messages": "true"})
    caplog.set_level(logging.ERROR, logger="dbconnect.runtime.errors")
    h.failed(Stage.VALUE_CONVERTER, DataError("bad"), Converter, consumed=Message())
    assert caplog.records[0].getMessage().endswith(
        "where consumed record is {topic='orders', partition=2, offset=7, timestamp=1700000000000, "
        "timestampType=CreateTime}.")

    class Source:
        source_partition, source_offset, topic, key, value = {"t": "x"}, {"id": 9}, "shop", "k1", {"v": 1}

    h.failed(Stage.TRANSFORMATION, DataError("bad"), Converter, source_record=Source())
    message = caplog.records[1].getMessage()
    assert "where source record is = SourceRecord{source_partition={'t': 'x'}, source_offset={'id': 9}, " \
           "topic='shop'" in message and "value={'v': 1}" in message


def test_a_failure_that_is_not_tolerated_is_logged_too(caplog):
    h, _ = handler({"errors.log.enable": "true"})
    caplog.set_level(logging.ERROR, logger="dbconnect.runtime.errors")
    with pytest.raises(ToleranceExceeded):
        h.failed(Stage.TRANSFORMATION, ValueError("boom"), Converter, consumed=Message())
    assert "Executing stage 'TRANSFORMATION'" in caplog.text
    assert h.errors_logged == 1 and h.last_error_timestamp == 1700000001500


def test_without_errors_log_enable_nothing_is_logged(caplog):
    h, _ = handler({"errors.tolerance": "all"})
    caplog.set_level(logging.DEBUG, logger="dbconnect.runtime.errors")
    h.failed(Stage.VALUE_CONVERTER, DataError("bad"), Converter, consumed=Message())
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_producer_failure_is_decided_without_raising_in_the_callback():
    strict, _ = handler({})
    error = DataError("Message size too large")
    assert strict.tolerated(Stage.KAFKA_PRODUCE, error, Converter) is False
    exc = strict.tolerance_exceeded(Stage.KAFKA_PRODUCE, error, Converter)
    assert "executing stage 'KAFKA_PRODUCE'" in str(exc) and exc.__cause__ is error
    tolerant, _ = handler({"errors.tolerance": "all"})
    assert tolerant.tolerated(Stage.KAFKA_PRODUCE, error, Converter) is True
    assert tolerant.records_skipped == 1


# -- the dead letter queue --------------------------------------------------------------------------------

def test_dlq_copy_keeps_the_original_bytes_and_headers_and_adds_the_context_headers():
    producer = FakeProducer()
    h, _ = handler({"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq",
                    "errors.deadletterqueue.context.headers.enable": "true"}, producer)
    assert h.failed(Stage.VALUE_CONVERTER, DataError("not JSON"), Converter, consumed=Message()) is SKIPPED
    [sent] = producer.sent
    assert (sent["topic"], sent["key"], sent["value"]) == ("dlq", b"k", b"v")
    headers = dict(sent["headers"])
    assert sent["headers"][0] == ("trace", b"abc")
    assert {k: v for k, v in headers.items() if k != "__connect.errors.exception.stacktrace"} == {
        "trace": b"abc",
        "__connect.errors.topic": b"orders",
        "__connect.errors.partition": b"2",
        "__connect.errors.offset": b"7",
        "__connect.errors.connector.name": b"conn",
        "__connect.errors.task.id": b"3",
        "__connect.errors.stage": b"VALUE_CONVERTER",
        "__connect.errors.class.name": f"{Converter.__module__}.Converter".encode(),
        "__connect.errors.exception.class.name": b"dbconnect.api.errors.DataError",
        "__connect.errors.exception.message": b"not JSON",
    }
    assert headers["__connect.errors.exception.stacktrace"].rstrip().endswith(b"DataError: not JSON")
    assert (h.dlq_produce_requests, h.dlq_produce_failures) == (1, 0)


def test_dlq_without_context_headers_and_the_reporters_future():
    producer = FakeProducer()
    h, _ = handler({"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq"}, producer)
    future = h.handle(Stage.TASK_PUT, DataError("check constraint"), cls=Converter, topic="orders", partition=0,
                      offset=3, key=b"k", value=b"v", headers=[("h", b"1")])
    assert future.result(1) is None
    assert producer.sent[0]["headers"] == [("h", b"1")]


def test_a_failed_dlq_delivery_fails_the_future_and_is_counted():
    class Refusing(FakeProducer):
        def poll(self, timeout=0):
            while self._callbacks:
                self._callbacks.pop(0)("Broker: topic authorization failed", None)
            return 0

    h, _ = handler({"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq"}, Refusing())
    future = h.handle(Stage.TASK_PUT, DataError("x"), topic="orders", partition=0, offset=1)
    assert "topic authorization failed" in str(future.exception(1))
    assert h.dlq_produce_failures == 1
    # The sink's next commit fails instead of committing past a record the DLQ does not hold.
    with pytest.raises(ToleranceExceeded, match="1 record\\(s\\) could not be written to the dead letter queue dlq: "
                                                "Broker: topic authorization failed"):
        h.flush()


def test_source_records_never_go_to_a_dlq_and_source_configs_refuse_its_keys():
    producer = FakeProducer()
    h, _ = handler({"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq"}, producer)
    h.failed(Stage.VALUE_CONVERTER, DataError("x"), Converter, source_record=object())
    assert producer.sent == []
    errors = source_dlq_errors({"errors.deadletterqueue.topic.name": "dlq", "errors.tolerance": "all"})
    assert list(errors) == ["errors.deadletterqueue.topic.name"]
    assert "applies to sink connectors only" in errors["errors.deadletterqueue.topic.name"][0]
    assert source_dlq_errors({"errors.tolerance": "all"}) == {}


def test_a_redelivery_wait_can_poll_instead_of_sleeping_and_still_ends_on_stop():
    h, clock = handler({})
    slices: list[float] = []

    def idle(seconds):
        slices.append(round(seconds, 6))
        clock.now += seconds
        if len(slices) == 10:
            h.stop()  # the task is stopped while it polls

    h.redelivery_backoff(Stage.TASK_PUT, RetriableError("deadlock"), 2, clock(), idle=idle)  # 600 ms
    assert slices == [0.2, 0.2, 0.2] and clock.waits == []
    with pytest.raises(RetryInterrupted):
        h.redelivery_backoff(Stage.TASK_PUT, RetriableError("deadlock"), 5, clock(), idle=idle)  # 4.8 s
    assert len(slices) == 10
