"""Error tolerance, error logging and the dead letter queue (runtime/errors in Kafka Connect).

One ``ErrorHandler`` per task decides, for a failure at a given stage, whether the task dies
(``errors.tolerance=none``) or the record is skipped, logged and, for sink connectors, sent to
the dead letter queue with its original key and value.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from ..api.masking import mask_text
from ..api.errors import ConnectError, RetriableError

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


class ToleranceExceeded(Exception):
    """Raised when a failure is not tolerated; the task fails with it."""


HEADER_PREFIX = "__connect.errors."


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() == "true"


class ErrorHandler:
    def __init__(self, connector: str, task: int, config: Mapping[str, Any], dlq_producer: Any = None) -> None:
        self.connector = connector
        self.task = task
        self.tolerate_all = str(config.get("errors.tolerance", "none")).strip().lower() == "all"
        self.log_enabled = _truthy(config.get("errors.log.enable", False))
        self.include_messages = _truthy(config.get("errors.log.include.messages", False))
        self.dlq_topic = str(config.get("errors.deadletterqueue.topic.name") or "").strip()
        self.context_headers = _truthy(config.get("errors.deadletterqueue.context.headers.enable", False))
        self._dlq_producer = dlq_producer
        self.failures = 0

    def handle(self, stage: str, error: BaseException, *, cls: type | None = None, topic: str | None = None,
               partition: int | None = None, offset: int | None = None, key: bytes | None = None,
               value: bytes | None = None, headers: list | None = None) -> Future:
        """Tolerate ``error`` (log, DLQ) or raise ToleranceExceeded.

        Returns a future that is done once the DLQ copy is acknowledged by the broker (at once
        when there is no DLQ), as Kafka's ErrantRecordReporter.report() does.

        A RetriableError (an unreachable schema registry, a lost connection) says nothing about
        the record: skipping it would lose data that is fine, so it always fails the task.
        """
        self.failures += 1
        if not self.tolerate_all or isinstance(error, RetriableError):
            raise ToleranceExceeded(f"Tolerance exceeded in error handler: {stage} failed: {error}") from error
        if self.log_enabled:
            where = f"topic={topic}, partition={partition}, offset={offset}" if topic is not None else "a source record"
            if self.include_messages:
                log.error("Error encountered in task %s-%s. Executing stage '%s' with class '%s', where consumed record is {%s, key=%r, value=%r}.",
                          self.connector, self.task, stage, _class_name(cls), where, key, value, exc_info=error)
            else:
                log.error("Error encountered in task %s-%s. Executing stage '%s' with class '%s', where consumed record is {%s}.",
                          self.connector, self.task, stage, _class_name(cls), where, exc_info=error)
        if self.dlq_topic and self._dlq_producer is not None and topic is not None:
            return self._send_to_dlq(stage, error, cls, topic, partition, offset, key, value, headers)
        done: Future = Future()
        done.set_result(None)
        return done

    def _send_to_dlq(self, stage, error, cls, topic, partition, offset, key, value, headers) -> Future:
        out_headers = list(headers or [])
        if self.context_headers:
            context = {
                "topic": topic,
                "partition": partition,
                "offset": offset,
                "connector.name": self.connector,
                "task.id": self.task,
                "stage": stage,
                "class.name": _class_name(cls),
                "exception.class.name": _class_name(type(error)),
                "exception.message": str(error),
                "exception.stacktrace": "".join(traceback.format_exception(type(error), error, error.__traceback__)),
            }
            # Secrets never shown: messages and traces pass the one masking function (api/masking.py).
            out_headers += [(HEADER_PREFIX + k, mask_text(str(v)).encode()) for k, v in context.items() if v is not None]
        delivery = DlqDelivery(self._dlq_producer, self.dlq_topic)
        self._dlq_producer.produce(self.dlq_topic, value=value, key=key, headers=out_headers,
                                   on_delivery=delivery.delivered)
        self._dlq_producer.poll(0)
        return delivery

    def flush(self, timeout: float = 30.0) -> None:
        if self._dlq_producer is not None:
            remaining = self._dlq_producer.flush(timeout)
            if remaining:
                raise ToleranceExceeded(f"{remaining} records could not be written to the dead letter queue {self.dlq_topic}")


class DlqDelivery(Future):
    """The DLQ copy of one record: done when the broker acknowledged it, or failed.

    The producer's delivery callbacks run only inside its poll() or flush(), so waiting for the
    result flushes the producer first (from whichever thread waits; the producer is thread-safe).
    """

    def __init__(self, producer: Any, topic: str) -> None:
        super().__init__()
        self._producer = producer
        self._topic = topic

    def delivered(self, err: Any, msg: Any) -> None:
        if self.done():
            return
        if err is not None:
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


def _class_name(cls: type | None) -> str:
    if cls is None:
        return ""
    return f"{cls.__module__}.{cls.__qualname__}"
