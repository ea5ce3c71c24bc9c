"""Retries, error tolerance, error logging and the dead letter queue (Kafka Connect's runtime/errors).

One ``ErrorHandler`` per task is the only place where a failure of a record's stage is decided
(Kafka's RetryWithToleranceOperator with its LogReporter and DeadLetterQueueReporter):

1. **Retries.** An operation that raised a ``RetriableError`` is attempted again, with exponential
   backoff (300 ms, 600 ms, 1.2 s, … up to ``errors.retry.delay.max.ms``, then a random delay below
   it), until ``errors.retry.timeout`` ms have passed since the first attempt (0, the default:
   no retry; -1: forever). A backoff wakes up at once when the task is stopped.
2. **Logging** (``errors.log.enable``): every failed operation, tolerated or not, is logged as
   Kafka's LogReporter does: ``Error encountered in task <connector>-<task>. Executing stage
   '<STAGE>' with class '<class>'.``, and with ``errors.log.include.messages`` the consumed
   record's coordinates (sinks) or the source record (sources). Keys, values and headers are never
   logged otherwise.
3. **Tolerance** (``errors.tolerance``): ``none`` fails the task (``ToleranceExceeded``, whose
   message names the stage, the class, the record's topic/partition/offset and the error);
   ``all`` skips the record.
4. **The dead letter queue** (sink connectors; ``errors.deadletterqueue.topic.name``): a tolerated
   record is written there with its original key, value and headers, plus the
   ``__connect.errors.*`` context headers with ``errors.deadletterqueue.context.headers.enable``.

The task loops call ``execute`` (run an operation under these rules) or, where the operation
already failed on a hot path, ``failed`` with the operation to retry; a sink's
``ErrantRecordReporter`` calls ``handle``. ``put()`` and ``poll()``, which cannot skip a record,
wait between redeliveries with ``redelivery_backoff``. The counters (``record_errors``,
``retries``, ``dlq_produce_requests``, …) are plain attributes, read by the metrics.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from ..api.errors import ConnectError, RetriableError
from ..api.masking import mask_text

log = logging.getLogger(__name__)


class Stage:
    KEY_CONVERTER = "KEY_CONVERTER"
    VALUE_CONVERTER = "VALUE_CONVERTER"
    HEADER_CONVERTER = "HEADER_CONVERTER"
    TRANSFORMATION = "TRANSFORMATION"
    TASK_PUT = "TASK_PUT"
    TASK_POLL = "TASK_POLL"
    KAFKA_PRODUCE = "KAFKA_PRODUCE"
    KAFKA_CONSUME = "KAFKA_CONSUME"


class ToleranceExceeded(ConnectError):
    """A failure that is not tolerated (errors.tolerance=none, or an error the stage cannot skip):
    the task fails with it."""


class RetryInterrupted(ConnectError):
    """The task was stopped while an operation waited for its next attempt."""


HEADER_PREFIX = "__connect.errors."
RETRIES_DELAY_MIN_MS = 300  # the first backoff, as Kafka's RetryWithToleranceOperator
IDLE_SLICE = 0.2  # seconds: the longest an idle() call during a backoff is given (how soon a stop is seen)
SKIPPED: Any = type("Skipped", (), {"__repr__": lambda self: "SKIPPED", "__slots__": ()})()
"""What ``execute``/``failed`` return for a record whose failure was tolerated: drop the record."""

_TIMESTAMP_TYPES = {1: "CreateTime", 2: "LogAppendTime"}


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() == "true"


def _int(value: Any, default: int) -> int:
    try:
        return int(str(value).strip()) if value not in (None, "") else default
    except ValueError:
        return default


class ErrorHandler:
    def __init__(self, connector: str, task: int, config: Mapping[str, Any], dlq_producer: Any = None, *,
                 clock: Callable[[], float] = time.monotonic, random_fraction: Callable[[], float] = random.random,
                 wall_clock: Callable[[], float] = time.time, wait: Callable[[float], bool] | None = None) -> None:
        self.connector = connector
        self.task = task
        self.tolerate_all = str(config.get("errors.tolerance", "none")).strip().lower() == "all"
        self.retry_timeout_ms = _int(config.get("errors.retry.timeout"), 0)
        self.retry_delay_max_ms = max(0, _int(config.get("errors.retry.delay.max.ms"), 60000))
        self.log_enabled = _truthy(config.get("errors.log.enable", False))
        self.include_messages = _truthy(config.get("errors.log.include.messages", False))
        self.dlq_topic = str(config.get("errors.deadletterqueue.topic.name") or "").strip()
        self.context_headers = _truthy(config.get("errors.deadletterqueue.context.headers.enable", False))
        self._dlq_producer = dlq_producer
        self.dlq_replication_factor = _int(config.get("errors.deadletterqueue.topic.replication.factor"), 3)
        # Set by the worker: () -> an AdminClient, to create the DLQ topic when the task starts.
        self.dlq_admin: Callable[[], Any] | None = None
        self._clock = clock
        self._random = random_fraction
        self._wall_clock = wall_clock
        self._stopped = threading.Event()
        # (seconds) -> True when stopped meanwhile; tests pass one that moves a fake clock.
        self._wait = wait if wait is not None else self._stopped.wait
        # Text that leaves the process (log lines, DLQ headers, traces) passes through this; the
        # secrets work may install a masking function here.
        # Secrets never shown: log lines, traces and DLQ headers pass the one masking function
        # (api/masking.py), which knows the secret values of the running connectors too.
        self.redact: Callable[[str], str] = mask_text
        # -- metrics (Kafka's task-error-metrics), read by whoever exports them -------------------
        self.record_failures = 0          # failed attempts, retried ones included
        self.record_errors = 0            # operations that failed for good (after any retries)
        self.records_skipped = 0          # records dropped under errors.tolerance=all
        self.retries = 0                  # attempts made again after a RetriableError
        self.errors_logged = 0
        self.dlq_produce_requests = 0
        self.dlq_produce_failures = 0
        self.last_error_timestamp: int | None = None  # ms since the epoch
        self._dlq_undelivered: list[str] = []  # DLQ copies the broker refused since the last flush()

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        """On the task's thread before it starts: create the DLQ topic when it is missing."""
        if self.dlq_topic and self._dlq_producer is not None and self.dlq_admin is not None:
            create_dlq_topic(self.dlq_admin(), self.dlq_topic, self.dlq_replication_factor)

    def stop(self) -> None:
        """The task is stopping: every backoff wait returns at once (and raises RetryInterrupted)."""
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def now(self) -> float:
        """The handler's clock (monotonic seconds): where a redelivery's ``started`` comes from."""
        return self._clock()

    # -- running operations -------------------------------------------------------------------------
    def execute(self, operation: Callable[[], Any], stage: str, cls: type | None, *, consumed: Any = None,
                source_record: Any = None) -> Any:
        """``operation()``'s result, or SKIPPED when it failed and the failure is tolerated.

        Raises ToleranceExceeded when it is not (or RetryInterrupted when the task stops during
        a backoff). The one call for a stage of the pipeline: converters, transformations,
        predicates (``Stage.TRANSFORMATION`` with the transformation's or predicate's class).
        """
        try:
            return operation()
        except Exception as exc:  # noqa: BLE001 — every failure of a record's stage is decided here
            return self.failed(stage, exc, cls, retry=operation, consumed=consumed, source_record=source_record)

    def failed(self, stage: str, error: BaseException, cls: type | None, *, retry: Callable[[], Any] | None = None,
               consumed: Any = None, source_record: Any = None) -> Any:
        """``error`` was raised by a stage: retry (a RetriableError, with ``retry``), then decide.

        Returns the retried operation's result when an attempt succeeds, SKIPPED when the failure
        is tolerated (logged, and sent to the DLQ for a consumed record); raises ToleranceExceeded.
        Hot paths call their operation inline and this only when it raised.
        """
        self.record_failures += 1
        if retry is not None and isinstance(error, RetriableError) and self.retry_timeout_ms != 0:
            try:
                return self._retry(retry, error, stage, cls)
            except RetryInterrupted:
                raise
            except Exception as exc:  # noqa: BLE001 — the last attempt's error is the one decided on
                error = exc
        where = _Where.of(consumed, source_record)
        self._decide(stage, error, cls, where)
        if where.topic is not None:
            self._send_to_dlq(stage, error, cls, where)
        return SKIPPED

    def handle(self, stage: str, error: BaseException, *, cls: type | None = None, topic: str | None = None,
               partition: int | None = None, offset: int | None = None, key: bytes | None = None,
               value: bytes | None = None, headers: list | None = None, timestamp: Any = None) -> Future:
        """A record failed outside an operation run here (Kafka's executeFailed): a sink's
        ErrantRecordReporter. Decides at once (no retry): raises ToleranceExceeded, or returns a
        future that is done once the DLQ copy is acknowledged (at once when there is no DLQ)."""
        self.record_failures += 1
        where = _Where(topic, partition, offset, key, value, headers, timestamp)
        self._decide(stage, error, cls, where)
        if topic is not None:
            delivery = self._send_to_dlq(stage, error, cls, where)
            if delivery is not None:
                return delivery
        done: Future = Future()
        done.set_result(None)
        return done

    def tolerated(self, stage: str, error: BaseException, cls: type | None, *, source_record: Any = None) -> bool:
        """Count, log and decide a failure reported by a callback that must not raise (a producer's
        delivery report): True when it is tolerated (the record is skipped), False when the task
        must fail (the caller raises ``self.tolerance_exceeded(...)`` from its own thread)."""
        self.record_failures += 1
        try:
            self._decide(stage, error, cls, _Where.of(None, source_record))
        except ToleranceExceeded:
            return False
        return True

    def tolerance_exceeded(self, stage: str, error: BaseException, cls: type | None, *,
                           source_record: Any = None) -> ToleranceExceeded:
        exc = ToleranceExceeded(self._exceeded_message(stage, error, cls, _Where.of(None, source_record)))
        exc.__cause__ = error
        return exc

    # -- put() and poll(): redelivery --------------------------------------------------------------
    def redelivery_backoff(self, stage: str, error: BaseException, attempt: int, started: float,
                           delay_ms: int | None = None, idle: Callable[[float], None] | None = None) -> None:
        """Wait before calling ``put()``/``poll()`` again after it raised a RetriableError.

        Those stages cannot skip a record, so tolerance does not apply: Kafka redelivers forever;
        here ``errors.retry.timeout`` > 0 bounds the time since the first failure (then the task
        fails), 0 and -1 keep Kafka's behaviour. ``delay_ms`` (a sink task's ``context.timeout``)
        replaces the exponential backoff. ``idle(seconds)``, when given, is called over and over
        instead of sleeping (a sink polls its paused consumer to stay in its group); it must
        return within about the time it is given. Raises RetryInterrupted when the task stops.
        """
        self.record_failures += 1
        now = self._clock()
        if self.retry_timeout_ms > 0 and (now - started) * 1000.0 >= self.retry_timeout_ms:
            self.record_errors += 1
            self.last_error_timestamp = int(self._wall_clock() * 1000)
            raise ToleranceExceeded(
                f"{stage} still failing after errors.retry.timeout={self.retry_timeout_ms} ms "
                f"({attempt} attempts): {self.redact(_describe(error))}") from error
        deadline = started + self.retry_timeout_ms / 1000.0 if self.retry_timeout_ms > 0 else None
        delay = self.backoff_ms(attempt) if delay_ms is None else max(0, delay_ms)
        log.warning("Task %s-%s: %s failed (attempt %d), retrying in %d ms: %s", self.connector, self.task,
                    stage, attempt, delay, self.redact(_describe(error)))
        self._sleep(delay, deadline, idle)
        self.retries += 1

    # -- the rules ------------------------------------------------------------------------------------
    def backoff_ms(self, attempt: int) -> int:
        """The wait after the ``attempt``-th failed attempt: 300 ms doubled per attempt; past
        errors.retry.delay.max.ms a random delay below it (jitter against thundering herds)."""
        delay = RETRIES_DELAY_MIN_MS << min(max(attempt - 1, 0), 40)
        if delay > self.retry_delay_max_ms:
            delay = int(self._random() * self.retry_delay_max_ms)
        return delay

    def _retry(self, operation: Callable[[], Any], error: BaseException, stage: str, cls: type | None) -> Any:
        started = self._clock()
        deadline = None if self.retry_timeout_ms < 0 else started + self.retry_timeout_ms / 1000.0
        attempt = 1
        while True:
            if deadline is not None and self._clock() >= deadline:
                raise error
            log.debug("Task %s-%s: retriable error in stage %s (attempt %d): %s", self.connector, self.task,
                      stage, attempt, error)
            self._sleep(self.backoff_ms(attempt), deadline)
            self.retries += 1
            attempt += 1
            try:
                return operation()
            except RetriableError as exc:
                self.record_failures += 1
                error = exc

    def _sleep(self, delay_ms: int, deadline: float | None, idle: Callable[[float], None] | None = None) -> None:
        seconds = delay_ms / 1000.0
        if deadline is not None:
            seconds = min(seconds, max(0.0, deadline - self._clock()))
        stopped = self._stopped.is_set()
        if idle is None:
            stopped = stopped or self._wait(seconds)
        else:
            end = self._clock() + seconds
            while not self._stopped.is_set() and (left := end - self._clock()) > 0:
                idle(min(left, IDLE_SLICE))
        if stopped or self._stopped.is_set():
            raise RetryInterrupted(f"Task {self.connector}-{self.task} was stopped while waiting to retry")

    def _decide(self, stage: str, error: BaseException, cls: type | None, where: "_Where") -> None:
        self.record_errors += 1
        self.last_error_timestamp = int(self._wall_clock() * 1000)
        if self.log_enabled:
            self.errors_logged += 1
            log.error("Error encountered in task %s-%s. %s", self.connector, self.task,
                      self.redact(self._context_text(stage, cls, where)), exc_info=error)
        if not self.tolerate_all:
            raise ToleranceExceeded(self._exceeded_message(stage, error, cls, where)) from error
        self.records_skipped += 1

    def _context_text(self, stage: str, cls: type | None, where: "_Where") -> str:
        text = f"Executing stage '{stage}' with class '{class_name(cls) or 'null'}'"
        if self.include_messages:
            if where.source_record is not None:
                text += f", where source record is = {_source_record_text(where.source_record)}"
            elif where.topic is not None:
                text += f", where consumed record is {where.coordinates()}"
        return text + "."

    def _exceeded_message(self, stage: str, error: BaseException, cls: type | None, where: "_Where") -> str:
        # Coordinates only (never keys or values): a trace is shown to whoever may read statuses.
        record = f" on the record {where.coordinates()}" if where.topic is not None else ""
        if where.topic is None and where.source_record is not None:
            record = f" on a source record for topic '{getattr(where.source_record, 'topic', None)}'"
        return self.redact(f"Tolerance exceeded in error handler: executing stage '{stage}' with class "
                           f"'{class_name(cls) or 'null'}'{record} failed: {_describe(error)}")

    # -- the dead letter queue ----------------------------------------------------------------------
    def _send_to_dlq(self, stage: str, error: BaseException, cls: type | None, where: "_Where") -> Future | None:
        if not self.dlq_topic or self._dlq_producer is None:
            return None
        out_headers = list(where.headers or [])
        if self.context_headers:
            out_headers += context_headers(self.connector, self.task, stage, cls, error, where, self.redact)
        delivery = DlqDelivery(self._dlq_producer, self.dlq_topic, self)
        self.dlq_produce_requests += 1
        try:
            self._dlq_producer.produce(self.dlq_topic, value=where.value, key=where.key, headers=out_headers,
                                       on_delivery=delivery.delivered)
        except Exception as exc:  # noqa: BLE001 — BufferError, KafkaException: the record cannot be parked
            self.dlq_produce_failures += 1
            raise ConnectError(f"Could not write a record to the dead letter queue {self.dlq_topic}: {exc}") from exc
        self._dlq_producer.poll(0)
        return delivery

    def flush(self, timeout: float = 30.0) -> None:
        """Before a sink commits offsets: every DLQ copy so far is acknowledged, or the task fails
        (a record skipped to a DLQ that did not take it would be lost once its offset is committed)."""
        if self._dlq_producer is not None:
            remaining = self._dlq_producer.flush(timeout)
            if remaining:
                raise ToleranceExceeded(f"{remaining} records could not be written to the dead letter queue {self.dlq_topic}")
            if self._dlq_undelivered:
                count, first = len(self._dlq_undelivered), self._dlq_undelivered[0]
                self._dlq_undelivered.clear()
                raise ToleranceExceeded(f"{count} record(s) could not be written to the dead letter queue "
                                        f"{self.dlq_topic}: {first}")


DLQ_PREFIX = "errors.deadletterqueue."


def source_dlq_errors(config: Mapping[str, Any]) -> dict[str, list[str]]:
    """A source connector has no dead letter queue (Kafka's SourceConnectorConfig defines no
    ``errors.deadletterqueue.*`` key and ignores them): refused here rather than ignored."""
    return {key: [f"{key} applies to sink connectors only: a source connector has no dead letter queue. "
                  "Remove it; errors.tolerance=all with errors.log.enable=true logs and skips the records a "
                  "source cannot convert, transform or produce"]
            for key in config if key.startswith(DLQ_PREFIX)}


def context_headers(connector: str, task: int, stage: str, cls: type | None, error: BaseException,
                    where: "_Where", redact: Callable[[str], str] = mask_text) -> list[tuple[str, bytes]]:
    """The ``__connect.errors.*`` headers of a DLQ record (Kafka's DeadLetterQueueReporter)."""
    context: dict[str, Any] = {
        "topic": where.topic,
        "partition": where.partition,
        "offset": where.offset,
        "connector.name": connector,
        "task.id": task,
        "stage": stage,
        "class.name": class_name(cls) or None,
        "exception.class.name": class_name(type(error)),
        "exception.message": redact(str(error)) if str(error) else None,
        "exception.stacktrace": redact("".join(traceback.format_exception(type(error), error, error.__traceback__))),
    }
    return [(HEADER_PREFIX + k, str(v).encode()) for k, v in context.items() if v is not None]


class _Where:
    """The record a failure is about: a consumed message's coordinates and bytes, or a source record."""

    __slots__ = ("topic", "partition", "offset", "key", "value", "headers", "timestamp", "source_record")

    def __init__(self, topic: str | None = None, partition: int | None = None, offset: int | None = None,
                 key: bytes | None = None, value: bytes | None = None, headers: list | None = None,
                 timestamp: Any = None, source_record: Any = None) -> None:
        self.topic, self.partition, self.offset = topic, partition, offset
        self.key, self.value, self.headers = key, value, headers
        self.timestamp, self.source_record = timestamp, source_record

    @classmethod
    def of(cls, consumed: Any, source_record: Any) -> "_Where":
        if consumed is None:
            return cls(source_record=source_record)
        return cls(consumed.topic(), consumed.partition(), consumed.offset(), consumed.key(), consumed.value(),
                   consumed.headers(), consumed.timestamp())

    def coordinates(self) -> str:
        text = f"{{topic='{self.topic}', partition={self.partition}, offset={self.offset}"
        ts = self.timestamp
        if isinstance(ts, tuple) and len(ts) == 2 and ts[0] in _TIMESTAMP_TYPES:
            text += f", timestamp={ts[1]}, timestampType={_TIMESTAMP_TYPES[ts[0]]}"
        return text + "}"


def _source_record_text(record: Any) -> str:
    fields = ("source_partition", "source_offset", "topic", "kafka_partition", "key", "key_schema", "value",
              "value_schema", "timestamp", "headers")
    return "SourceRecord{" + ", ".join(f"{f}={getattr(record, f, None)!r}" for f in fields) + "}"


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class DlqDelivery(Future):
    """The DLQ copy of one record: done when the broker acknowledged it, or failed.

    The producer's delivery callbacks run only inside its poll() or flush(), so waiting for the
    result flushes the producer first (from whichever thread waits; the producer is thread-safe).
    """

    def __init__(self, producer: Any, topic: str, handler: ErrorHandler | None = None) -> None:
        super().__init__()
        self._producer = producer
        self._topic = topic
        self._handler = handler

    def delivered(self, err: Any, msg: Any) -> None:
        if self.done():
            return
        if err is not None:
            if self._handler is not None:
                self._handler.dlq_produce_failures += 1
                self._handler._dlq_undelivered.append(str(err))
                log.error("Could not produce a record to the dead letter queue %s: %s", self._topic, err)
            self.set_exception(ConnectError(f"Could not write a record to the dead letter queue {self._topic}: {err}"))
        else:
            self.set_result(None)

    def result(self, timeout: float | None = None) -> Any:
        self._serve(timeout)
        return super().result(0)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._serve(timeout)
        return super().exception(0)

    def _serve(self, timeout: float | None) -> None:
        if not self.done():
            self._producer.flush(30.0 if timeout is None else timeout)


def class_name(cls: type | None) -> str:
    if cls is None:
        return ""
    return f"{cls.__module__}.{cls.__qualname__}"


def create_dlq_topic(admin: Any, topic: str, replication_factor: int, timeout: float = 30.0) -> bool:
    """Create the DLQ topic (one partition, ``replication_factor``) unless it exists, as Kafka's
    DeadLetterQueueReporter does when the task starts. Returns True when it was created."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import NewTopic

    metadata = admin.list_topics(timeout=timeout)  # all topics: asking for one may auto-create it
    known = metadata.topics.get(topic)
    if known is not None and known.error is None:
        return False
    futures = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=replication_factor)],
                                  operation_timeout=timeout, request_timeout=timeout)
    try:
        futures[topic].result(timeout)
    except KafkaException as exc:
        if exc.args and getattr(exc.args[0], "code", lambda: None)() == KafkaError.TOPIC_ALREADY_EXISTS:
            return False
        raise ConnectError(f"Could not create the dead letter queue topic {topic} (replication factor "
                           f"{replication_factor}; errors.deadletterqueue.topic.replication.factor): {exc}") from exc
    log.info("Created the dead letter queue topic %s (1 partition, replication factor %d)", topic, replication_factor)
    return True
