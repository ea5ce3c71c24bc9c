"""WorkerSourceTask: poll → transform → convert → produce, committing only delivered offsets."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

from ..api.errors import ConnectError, RetriableError
from ..api.converter import writes_no_bytes_for_null
from ..api.payload import JsonRowBatch, compile_framer
from ..api.records import SourceRecord
from ..api.task import SourceTask, SourceTaskContext
from .errors import SKIPPED, Stage
from .headers import headers_writer
from .log_context import offsets_scoped
from .stores.status import State
from .stores.offsets import ConnectorOffsetReader, OffsetBackingStore, encode_offset, offset_key
from .submitted_records import SubmittedRecords
from .transformation_chain import TransformationFailed, run_unwrapped
from .worker_task import WorkerTask, settle_heap

log = logging.getLogger(__name__)


class WorkerSourceTask(WorkerTask):
    kind = "source"

    def __init__(
        self,
        *,
        producer_config: Mapping[str, Any],
        offset_store: OffsetBackingStore,
        topic_creation: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # topic_creation.TopicCreation when the connector sets topic.creation.* (KIP-158), else None.
        self.topic_creation = topic_creation
        self.producer_config = dict(producer_config)
        self.offset_store = offset_store
        self.submitted = SubmittedRecords()
        self.producer: Producer | None = None
        self._framers: dict[tuple, Any] = {}  # (shapes, framings) → compiled framer (api/payload.py)
        # librdkafka's local queue size (queue.buffering.max.messages, default 100000).
        self._queue_capacity = int(self.producer_config.get("queue.buffering.max.messages", 100000))
        self._send_error: KafkaError | None = None
        self._write_headers = headers_writer(self.header_converter)  # (topic, Headers) → message headers

    def initialize_and_start(self) -> None:
        self.producer = Producer(self.producer_config)
        settle_heap()  # a source keeps whole poll batches alive too (worker_task.settle_heap)
        reader = ConnectorOffsetReader(self.offset_store, self.id.connector)
        # Pre-encoded payloads (api/payload.py) only when nothing needs the Connect values first.
        direct = not self.transformations.stages
        context = SourceTaskContext(
            reader, self.task_config,
            key_payload_format=_payload_format(self.key_converter) if direct else None,
            value_payload_format=_payload_format(self.value_converter) if direct else None)
        context._status_reporter = self._note_status
        context.metrics = self.figures.custom
        self.task.initialize(context)
        self.task.start(self.task_config)
        self._started = True
        self._next_commit = time.monotonic() + self.flush_interval

    def _note_status(self, message: str | None) -> None:
        # Only a RUNNING task shows notes: a pause, stop or failure is never overwritten by one.
        current = self._status_store.task(self.id)
        if current is not None and current.state == State.RUNNING and current.trace != message:
            self._report(State.RUNNING, message)

    def execute(self) -> None:
        producer = self.producer
        assert producer is not None
        poll_attempt, poll_started = 0, 0.0
        while not self.stopping:
            if self.paused and not self.wait_while_paused():
                break
            try:
                poll_began = time.monotonic()
                records = self.task.poll()
                poll_attempt = 0
            except RetriableError as exc:
                # Kafka polls again; the error handler waits first (a backoff, ended by stop()),
                # and errors.retry.timeout > 0 bounds how long poll() may keep failing.
                poll_attempt += 1
                if poll_attempt == 1:
                    poll_started = self.errors.now()
                producer.poll(0)
                self.errors.redelivery_backoff(Stage.TASK_POLL, exc, poll_attempt, poll_started)
                continue
            figures = self.figures
            if records:
                figures.batch(len(records), time.monotonic() - poll_began)
                figures.records_in += len(records)
                self._send(records)
                producer.poll(0)
                figures.active_count(figures.records_in - self.submitted.settle())
            else:
                # Idle: serve delivery callbacks instead of spinning on an empty poll().
                producer.poll(0.05)
                if figures.active and figures.records_in - self.submitted.settle() != figures.active:
                    figures.active_count(figures.records_in - self.submitted.settled)
            self._raise_send_error()
            if time.monotonic() >= self._next_commit:
                self.commit_offsets()

    def stop(self) -> None:
        super().stop()
        # SourceTask.stop() may run on another thread: it only signals poll() to return.
        if self._started:
            try:
                self.task.stop()
            except Exception:
                log.exception("Error while stopping task %s", self.id)

    def _send(self, records: Any) -> None:
        if records.__class__ is JsonRowBatch and not self.transformations.stages:
            sent = self._send_rows(records)
            self.figures.records_out += sent
            if sent == len(records):
                return
            records = records[sent:]  # the rest as records: per-record conversion and error handling
        batch = self.submitted.new_batch(len(records))
        add = batch.add
        key_from_connect = self.key_converter.from_connect_data
        builtin_key = writes_no_bytes_for_null(self.key_converter)
        value_from_connect = self.value_converter.from_connect_data
        write_headers = self._write_headers
        creation = self.topic_creation
        transform = self.transformations.apply if self.transformations.stages else None
        produce = self.producer.produce
        # Most tasks don't override commit_record(): they share one callback per batch.
        per_record = type(self.task).commit_record is not SourceTask.commit_record
        on_delivery = self._delivery_callback(batch, None)
        try:
            for record in records:
                if transform is None:
                    transformed = record
                else:
                    try:
                        transformed = transform(record)
                    except TransformationFailed as exc:
                        transformed = self.errors.failed(
                            Stage.TRANSFORMATION, exc.error, type(exc.transform), source_record=record,
                            retry=lambda: run_unwrapped(transform, record))
                        if transformed is SKIPPED:
                            add(record.source_partition, record.source_offset, in_flight=False)
                            continue
                if transformed is None:
                    # Filtered out by a transform: its offset still counts as processed.
                    add(record.source_partition, record.source_offset, in_flight=False)
                    continue
                topic = transformed.topic
                if creation is not None and topic not in creation.known:
                    creation.ensure(topic)  # before the first record to a topic (KIP-158)
                try:
                    # Every built-in converter writes no bytes for a null key without a schema (no_bytes_for_null).
                    if transformed.key is None and transformed.key_schema is None and builtin_key:
                        key = None
                    else:
                        key = key_from_connect(topic, transformed.key_schema, transformed.key, transformed.headers)
                except Exception as exc:
                    key = self._recover(Stage.KEY_CONVERTER, exc, self.key_converter, record, batch,
                                        lambda: key_from_connect(topic, transformed.key_schema, transformed.key,
                                                                 transformed.headers))
                    if key is SKIPPED:
                        continue
                try:
                    value = value_from_connect(topic, transformed.value_schema, transformed.value, transformed.headers)
                except Exception as exc:
                    value = self._recover(Stage.VALUE_CONVERTER, exc, self.value_converter, record, batch,
                                          lambda: value_from_connect(topic, transformed.value_schema,
                                                                     transformed.value, transformed.headers))
                    if value is SKIPPED:
                        continue
                kafka_headers = None
                if transformed.headers:
                    try:
                        kafka_headers = write_headers(topic, transformed.headers)
                    except Exception as exc:
                        kafka_headers = self._recover(Stage.HEADER_CONVERTER, exc, self.header_converter, record,
                                                      batch, lambda: write_headers(topic, transformed.headers))
                        if kafka_headers is SKIPPED:
                            continue
                add(record.source_partition, record.source_offset)
                if per_record:
                    on_delivery = self._delivery_callback(batch, record)
                try:
                    if transformed.partition is None and transformed.timestamp is None and kafka_headers is None:
                        try:
                            produce(topic, value, key, on_delivery=on_delivery)
                            continue
                        except BufferError:
                            pass
                    self._produce_slow(transformed, key, value, on_delivery, kafka_headers)
                except KafkaException as exc:
                    # Refused by the producer itself (e.g. larger than message.max.bytes): a
                    # producer failure like a failed delivery (KIP-779).
                    self._send_failed(ConnectError(f"Failed to send a record to topic {topic}: {exc}"), record)
                    on_delivery(None, None)  # tolerated: done, its offset advances
        finally:
            batch.closed = True
            self.figures.records_out += batch.submitted

    def _send_rows(self, rows_batch: JsonRowBatch) -> int:
        """Produce JSON-ready rows framed by the converters, no records built (api/payload.py).

        Returns how many rows went out: all of them, or 0 when a converter does not frame these
        payloads, the task needs per-record callbacks, or a row cannot be encoded as it is — then
        the caller sends the batch record by record, where errors.tolerance applies.
        """
        if not rows_batch.rows or type(self.task).commit_record is not SourceTask.commit_record:
            return 0
        topic = rows_batch.topic
        try:
            value_framing = self.value_converter.json_payload_framing(
                topic, rows_batch.value_schema, rows_batch.value_shape.format)
            if rows_batch.key_shape is not None:
                key_framing = self.key_converter.json_payload_framing(
                    topic, rows_batch.key_schema, rows_batch.key_shape.format)
            else:
                key_framing = None if writes_no_bytes_for_null(self.key_converter) else False
        except Exception:
            log.debug("Converters cannot frame the rows of %s: sending records", topic, exc_info=True)
            return 0
        if value_framing is None or key_framing is False or (rows_batch.key_shape is not None and key_framing is None):
            return 0
        if self.topic_creation is not None:
            self.topic_creation.ensure(topic)  # before the first record to a topic (KIP-158)
        cache_key = (rows_batch.value_shape, value_framing, rows_batch.key_shape, key_framing)
        frame = self._framers.get(cache_key)
        if frame is None:
            frame = self._framers[cache_key] = compile_framer(rows_batch.value_shape, value_framing,
                                                              rows_batch.key_shape, key_framing)
        try:
            messages = frame(rows_batch.rows)
        except Exception:
            log.debug("Rows of %s could not be encoded as they are: sending records", topic, exc_info=True)
            return 0
        batch = self.submitted.new_batch(len(messages))
        try:
            self._produce_all(topic, messages, self._delivery_callback(batch, None))
        finally:
            batch.remaining += len(messages)  # acknowledgements may already have come in (remaining < 0)
            batch.add(rows_batch.source_partition, rows_batch.offset(len(messages) - 1), in_flight=False)
            batch.closed = True
        return len(messages)

    def _produce_all(self, topic: str, messages: list[dict], on_delivery: Any) -> None:
        """Queue ``messages`` in order: one produce_batch call per slice that fits the local queue."""
        producer = self.producer
        produce_batch = getattr(producer, "produce_batch", None)
        if produce_batch is None:  # confluent-kafka < 2.11
            for message in messages:
                self._produce_one(topic, message["value"], message["key"], on_delivery=on_delivery)
            return
        start, total, room = 0, len(messages), self._queue_capacity
        while start < total:
            # Never more than the queue takes: a partial batch could queue later messages ahead of
            # earlier ones (reordering keys), so wait for room instead.
            free = room - len(producer)
            if free <= 0:
                producer.poll(0.05)
                self._raise_send_error()
                continue
            chunk = messages[start:start + free] if start or free < total else messages
            queued = produce_batch(topic, chunk, on_delivery=on_delivery)
            start += len(chunk)
            if queued != len(chunk):
                self._requeue([m for m in chunk if "_error" in m], topic, on_delivery)

    def _requeue(self, failed: list[dict], topic: str, on_delivery: Any) -> None:
        """Queue again, in order, the messages the local queue refused (it may also be full by
        bytes, queue.buffering.max.kbytes). A row appears once per batch, so no key is reordered
        against itself; any other error is a producer failure (errors.tolerance decides)."""
        requeue = []
        for message in failed:
            error = message.pop("_error")
            if error.code() != KafkaError._QUEUE_FULL:
                self._send_failed(ConnectError(f"Failed to send a record to topic {topic}: {error.str()}"), None)
                on_delivery(None, None)  # tolerated: done, its offset advances
            else:
                requeue.append(message)
        for message in requeue:
            try:
                self._produce_one(topic, message["value"], message["key"], on_delivery=on_delivery)
            except KafkaException as exc:
                self._send_failed(ConnectError(f"Failed to send a record to topic {topic}: {exc}"), None)
                on_delivery(None, None)

    def _produce_one(self, topic: str, value: bytes | None, key: bytes | None, **kwargs: Any) -> None:
        """produce(), waiting for room while the local queue is full."""
        while True:
            try:
                self.producer.produce(topic, value, key, **kwargs)
                return
            except BufferError:
                # The local queue is full: let librdkafka deliver, then retry.
                self.producer.poll(0.1)
                self._raise_send_error()

    def _delivery_callback(self, batch: Any, record: SourceRecord | None):
        commit_record = self.task.commit_record if record is not None else None

        def on_delivery(err: KafkaError | None, msg: Any) -> None:
            if err is not None:
                # Failed after librdkafka's own retries: errors.tolerance=all logs and skips it, and
                # its offset advances (Kafka 3.x, KIP-779); none fails the task (from its thread).
                error = ConnectError(f"Unrecoverable exception from producer send callback: {err.str()}")
                if not self.errors.tolerated(Stage.KAFKA_PRODUCE, error, Producer, source_record=record):
                    if self._send_error is None:
                        self._send_error = err
                    return
                msg = None
            batch.remaining -= 1
            if commit_record is not None:
                commit_record(record, msg)

        return on_delivery

    def _recover(self, stage: str, exc: Exception, converter: Any, record: SourceRecord, batch: Any,
                 retry: Any) -> Any:
        """A converter failed on ``record``: the error handler retries ``retry`` (a RetriableError) and
        decides; the converted bytes, or SKIPPED (tolerated: logged; its offset counts as processed)."""
        converted = self.errors.failed(stage, exc, type(converter), retry=retry, source_record=record)
        if converted is SKIPPED:
            batch.add(record.source_partition, record.source_offset, in_flight=False)
        return converted

    def _send_failed(self, error: ConnectError, record: SourceRecord | None) -> None:
        """The producer refused a record: returns when errors.tolerance=all skips it (logged)."""
        if not self.errors.tolerated(Stage.KAFKA_PRODUCE, error, Producer, source_record=record):
            raise self.errors.tolerance_exceeded(Stage.KAFKA_PRODUCE, error, Producer, source_record=record)

    def _produce_slow(self, record: SourceRecord, key: bytes | None, value: bytes | None, on_delivery: Any,
                      headers: list[tuple[str, bytes | None]] | None = None) -> None:
        kwargs: dict[str, Any] = {"on_delivery": on_delivery}
        if record.partition is not None:
            kwargs["partition"] = record.partition
        if record.timestamp is not None:
            kwargs["timestamp"] = int(record.timestamp)
        if headers:
            kwargs["headers"] = headers
        self._produce_one(record.topic, value, key, **kwargs)

    def _raise_send_error(self) -> None:
        if self._send_error is not None:
            error = ConnectError(f"Unrecoverable exception from producer send callback: {self._send_error.str()}")
            raise self.errors.tolerance_exceeded(Stage.KAFKA_PRODUCE, error, Producer)

    @offsets_scoped
    def commit_offsets(self) -> None:
        committable = self.submitted.committable()
        if committable:
            log.debug("Committing offsets for %d source partitions", len(committable))
            began = time.monotonic()
            try:
                self.offset_store.set({
                    offset_key(self.id.connector, partition): encode_offset(offset)
                    for partition, offset in committable.values()
                })
            except BaseException:
                self.figures.commit(False, time.monotonic() - began)
                raise
            self.figures.commit(True, time.monotonic() - began)
        self._next_commit = time.monotonic() + self.flush_interval
        try:
            self.task.commit()
        except Exception:
            log.exception("Exception thrown while calling task.commit() for %s", self.id)

    def close(self) -> None:
        producer = self.producer
        if producer is None:
            return
        # Deliver what is in flight, then commit the offsets of what was delivered.
        remaining = producer.flush(self.graceful_timeout)
        if remaining:
            log.warning("Task %s: %d records were not delivered before shutdown; their offsets are not committed", self.id, remaining)
        self.figures.active_count(self.figures.records_in - self.submitted.settle())  # the last figures sent
        try:
            self.commit_offsets()
        finally:
            self.producer = None

    graceful_timeout = 5.0


def _payload_format(converter: Any) -> Any:
    advertised = getattr(converter, "json_payload_format", None)  # plugins need not derive from Converter
    return advertised() if callable(advertised) else None
