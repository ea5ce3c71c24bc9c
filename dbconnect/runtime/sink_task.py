"""WorkerSinkTask: consume → convert → transform → put, committing only what was flushed."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException
from confluent_kafka import TopicPartition as KafkaTopicPartition

from ..api.errors import ConnectError, RetriableError
from ..api.records import Headers, SinkRecord
from ..api.sink_rows import RowBatch
from ..api.task import ErrantRecordReporter, SinkTaskContext, TopicPartition
from .consumer_errors import ThrottledLog, classify, describe
from .errors import SKIPPED, RetryInterrupted, Stage
from .headers import headers_reader
from .log_context import offsets_scoped
from .sink_rows import RowPath, fast_path_problem
from .transformation_chain import TransformationFailed, run_unwrapped
from .worker_task import GC_YOUNG_THRESHOLD, WorkerTask, settle_heap  # noqa: F401 (re-exported)

log = logging.getLogger(__name__)

_TIMESTAMP_TYPES = {1: "CreateTime", 2: "LogAppendTime"}


class _Reporter(ErrantRecordReporter):
    """Errant records from put() go to the task's error handler with their raw bytes."""

    def __init__(self, owner: "WorkerSinkTask") -> None:
        self._owner = owner

    def report(self, record: SinkRecord, error: BaseException) -> Future:
        # The consumed message travels with the record (as Kafka's InternalSinkRecord does), so a
        # record reported long after its put() — a sink buffering across puts — keeps its bytes.
        raw = record.consumed
        return self._owner.errors.handle(
            Stage.TASK_PUT, error, cls=type(self._owner.task), topic=record.original_topic,
            partition=record.original_kafka_partition, offset=record.original_kafka_offset,
            key=raw.key() if raw else None, value=raw.value() if raw else None,
            headers=raw.headers() if raw else None, timestamp=raw.timestamp() if raw else None,
        )


class WorkerSinkTask(WorkerTask):
    kind = "sink"

    def __init__(
        self,
        *,
        consumer_config: Mapping[str, Any],
        max_poll_records: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.consumer_config = dict(consumer_config)
        self.max_poll_records = max(1, max_poll_records)
        self.consumer: Consumer | None = None
        self.context = SinkTaskContext()
        self._current: dict[TopicPartition, int] = {}  # next offset to consume, per partition
        self._committed: dict[TopicPartition, int] = {}
        # The first offset read of each partition not committed yet (sink-record-active-count).
        self._read_from: dict[TopicPartition, int] = {}
        self._closing = False
        self._consumer_log = ThrottledLog(log)
        self._fatal_error: ConnectError | None = None  # set by error_cb, raised by the loop
        self._rows: RowPath | None = None  # the sink fast path (api/sink_rows.py), when it applies
        self._read_headers = headers_reader(self.header_converter)  # (topic, raw headers) → Headers
        self.context.metrics = self.figures.custom
        self.figures.partitions = lambda: len(self.context._assignment)

    # -- setup -------------------------------------------------------------------------------
    def initialize_and_start(self) -> None:
        self.errors.start()  # the DLQ topic, created when missing (as Kafka's DeadLetterQueueReporter)
        # Client-wide errors (connections, authentication, fatal ones) come through error_cb,
        # served on this thread inside consume(); they get the same verdicts as per-message ones.
        self.consumer = Consumer({**self.consumer_config, "error_cb": self._on_client_error})
        ctx = self.context
        ctx._configs = dict(self.task_config)
        ctx._reporter = _Reporter(self)
        ctx.on_pause = lambda tps: self.consumer.pause([KafkaTopicPartition(t, p) for t, p in tps])
        ctx.on_resume = lambda tps: self.consumer.resume([KafkaTopicPartition(t, p) for t, p in tps])
        # Subscribed before the task starts, as Kafka's WorkerSinkTask does: librdkafka joins the
        # group in the background at once, so the group's first join (held 3 s by the broker:
        # group.initial.rebalance.delay.ms) runs while the task connects and the heap is settled.
        # The rebalance callbacks run only inside this thread's polls: open() never precedes start().
        topics = [t.strip() for t in str(self.task_config.get("topics") or "").split(",") if t.strip()]
        regex = str(self.task_config.get("topics.regex") or "").strip()
        if regex:
            re.compile(regex)
            # librdkafka treats a subscription starting with ^ as a regex and searches the topic
            # name for it; Kafka's topics.regex must match the whole name, hence both anchors
            # (a bare "^orders" would also consume "orders-dlq").
            topics = [f"^({regex})$"]
        if not topics:
            raise ConnectError("Sink tasks require a list of topics or a topics.regex")
        self.consumer.subscribe(topics, on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost)
        self.task.initialize(ctx)
        self.task.start(self.task_config)
        self._started = True
        problem = fast_path_problem(self.task, self.key_converter, self.value_converter,
                                    bool(self.transformations.stages))
        if problem is None:
            self._rows = RowPath(self)
            log.info("Task %s: sink fast path available: records of the shapes %s accepts are handed over as "
                     "rows, without SinkRecords", self.id, type(self.task).__name__)
        else:
            log.info("Task %s: sink fast path off (%s): SinkRecords for every record", self.id, problem)
        settle_heap()
        self._next_commit = time.monotonic() + self.flush_interval

    def _on_assign(self, consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        tps = [TopicPartition(p.topic, p.partition) for p in partitions]
        # Kafka's consumer logs each assignment at INFO ("Adding newly assigned partitions"): which
        # task reads which partition is the first question after a rebalance or a failover.
        log.info("Task %s: partitions assigned: %s", self.id, _partition_names(tps))
        self.context._assignment.update(tps)
        self.task.open(tps)
        self._assign_at_reset_offsets(consumer, partitions)
        if self.paused:
            consumer.pause(partitions)

    def _assign_at_reset_offsets(self, consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        """Offsets the task asked for in open() (an exactly-once sink's stored offsets) become the
        assignment's starting offsets.

        A seek() right after the assignment fails while librdkafka has not started fetching the
        partition yet ("Failed to seek to offset N: Local: Erroneous state"), which killed an
        exactly-once sink restarted while its group was still rebalancing. Assigning with
        offsets inside this callback is librdkafka's supported way to start elsewhere than at
        the committed offset.
        """
        resets = self.context._offset_resets
        start = []
        for p in partitions:
            offset = resets.pop(TopicPartition(p.topic, p.partition), None)
            start.append(p if offset is None else KafkaTopicPartition(p.topic, p.partition, offset))
            if offset is not None:
                self._current[TopicPartition(p.topic, p.partition)] = offset
        if all(a is b for a, b in zip(start, partitions)):
            return  # nothing asked for: the client assigns them as they are
        strategy = str(self.consumer_config.get("partition.assignment.strategy") or "").lower()
        # KIP-848's group protocol (group.protocol=consumer, Kafka >= 4.0) hands out incremental
        # assignments whatever the strategy; librdkafka documents incremental_assign() for it.
        protocol = str(self.consumer_config.get("group.protocol") or "classic").strip().lower()
        if "cooperative" in strategy or protocol == "consumer":
            consumer.incremental_assign(start)
        else:
            consumer.assign(start)

    def _on_revoke(self, consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        if self._closing:
            return  # close() already committed and closed every partition
        tps = [TopicPartition(p.topic, p.partition) for p in partitions]
        log.info("Task %s: partitions revoked: %s", self.id, _partition_names(tps))
        if tps:
            # Write out what was put for these partitions before another task takes them over.
            self._commit(revoking=tps)
            self.task.close(tps)
            self._forget(tps)

    def _on_lost(self, consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        if self._closing:
            return
        tps = [TopicPartition(p.topic, p.partition) for p in partitions]
        log.warning("Task %s: partitions lost (the group moved them on without a revocation): %s", self.id,
                    _partition_names(tps))
        self.task.close(tps)
        self._forget(tps)

    def _forget(self, tps: list[TopicPartition]) -> None:
        """Partitions this task no longer holds (revoked or lost): their offsets and its memory of
        their last commit go too, since another member may commit them from now on (a later commit
        of the same offset must not be skipped as "already committed")."""
        for tp in tps:
            self.context._assignment.discard(tp)
            self._current.pop(tp, None)
            self._committed.pop(tp, None)
            self._read_from.pop(tp, None)
        self._note_active()

    def cancel(self) -> None:
        super().cancel()
        # The task's own commits (an exactly-once sink's database transaction) stop too.
        self.context._abandoned = True

    # -- the loop ----------------------------------------------------------------------------
    def execute(self) -> None:
        consumer = self.consumer
        assert consumer is not None
        while not self.stopping:
            if self.paused:
                consumer.pause(self._kafka_assignment())
                if not self.wait_while_paused(idle=self._poll_while_paused):
                    break
                consumer.resume(self._kafka_assignment())
            self._apply_offset_resets()
            messages = self._poll(consumer)
            if self._fatal_error is not None:
                raise self._fatal_error
            before = dict(self._current) if messages else None
            self.figures.records_in += len(messages)
            try:
                # put() on every iteration, with no records when none came (as Kafka's WorkerSinkTask
                # does): a task that writes in the background finishes and asks for its commit then.
                if self._rows is not None and messages:
                    parts = self._rows.split(messages) or [[]]
                    self._note_active(messages)
                    for part in parts:
                        self._deliver(part, before)
                else:
                    records = self._convert(messages) if messages else []
                    if messages:
                        self._note_active(messages)
                    self._deliver(records, before)
            except RetryInterrupted:
                # Stopped while a put() waited for its redelivery: that batch was never written,
                # so the commit at close() must not move past it (it is consumed again).
                if before is not None:
                    self._current = before
                raise
            if self.context._commit_requested or time.monotonic() >= self._next_commit:
                self.context._commit_requested = False
                self._commit()

    def _poll_while_paused(self) -> None:
        """Poll the paused consumer, as Kafka's WorkerSinkTask does.

        Without polls, librdkafka leaves the group once max.poll.interval.ms (5 min by default)
        has passed, and the group's rebalances wait for this member's callbacks, which run only
        in a poll. Paused partitions return nothing; should a message arrive anyway, its
        partition is rewound to it so that it is delivered after the resume.
        """
        self._poll_paused(0.5)

    def _poll(self, consumer: Consumer) -> list[Any]:
        """Up to max.poll.records messages, returned as soon as there is one, as Kafka's poll() does.

        librdkafka's consume() waits for a full batch or its whole timeout: a lone record waited
        0.5 s. What is already fetched is taken without waiting; otherwise the first message is
        waited for (up to 0.5 s) and whatever came with it is taken too.
        """
        messages = consumer.consume(self.max_poll_records, timeout=0)
        if messages:
            return messages
        first = consumer.poll(0.5)
        if first is None:
            return []
        if self.max_poll_records == 1:
            return [first]
        return [first, *consumer.consume(self.max_poll_records - 1, timeout=0)]

    def _kafka_assignment(self) -> list[KafkaTopicPartition]:
        return [KafkaTopicPartition(t, p) for t, p in self.context._assignment]

    def _apply_offset_resets(self) -> None:
        resets = self.context._offset_resets
        if not resets:
            return
        for tp, offset in list(resets.items()):
            self.consumer.seek(KafkaTopicPartition(tp.topic, tp.partition, offset))
            self._current[tp] = offset
        resets.clear()

    def _convert(self, messages: list[Any]) -> list[SinkRecord]:
        # The hot path of every sink: one pass, no per-record allocations beyond the record.
        records: list[SinkRecord] = []
        append = records.append
        key_to_connect = self.key_converter.to_connect_data
        value_to_connect = self.value_converter.to_connect_data
        read_headers = self._read_headers
        transform = self.transformations.apply if self.transformations.stages else None
        new_record, timestamp_types = SinkRecord._of, _TIMESTAMP_TYPES
        last_offsets: dict[tuple[str, int], int] = {}
        # Offsets advance for every consumed record, converted or tolerated: the last offset of
        # each run of one partition is noted when the run ends (runs are long, tuples are not free).
        run_topic, run_partition, run_offset = None, -1, -1
        for msg in messages:
            err = msg.error()
            if err is not None:
                self.figures.records_in -= 1  # an event (no record): counted with the batch, taken back
                self._consumer_error(err, msg)
                continue
            topic, partition, offset = msg.topic(), msg.partition(), msg.offset()
            if partition != run_partition or topic != run_topic:
                if run_topic is not None:
                    last_offsets[(run_topic, run_partition)] = run_offset
                run_topic, run_partition = topic, partition
            run_offset = offset
            headers = msg.headers()
            try:
                key_schema, key = key_to_connect(topic, msg.key(), headers)
            except Exception as exc:
                converted = self._recover(Stage.KEY_CONVERTER, exc, self.key_converter, msg,
                                          lambda: key_to_connect(topic, msg.key(), headers))
                if converted is SKIPPED:
                    continue
                key_schema, key = converted
            try:
                value_schema, value = value_to_connect(topic, msg.value(), headers)
            except Exception as exc:
                converted = self._recover(Stage.VALUE_CONVERTER, exc, self.value_converter, msg,
                                          lambda: value_to_connect(topic, msg.value(), headers))
                if converted is SKIPPED:
                    continue
                value_schema, value = converted
            if headers:
                try:
                    record_headers = read_headers(topic, headers)
                except Exception as exc:
                    record_headers = self._recover(Stage.HEADER_CONVERTER, exc, self.header_converter, msg,
                                                   lambda: read_headers(topic, headers))
                    if record_headers is SKIPPED:
                        continue
            else:
                record_headers = Headers()
            ts_type, ts = msg.timestamp()
            record = new_record(
                topic, partition, key_schema, key, value_schema, value, offset,
                ts if ts_type else None, timestamp_types.get(ts_type, "NoTimestampType"), record_headers, msg,
            )
            if transform is not None:
                try:
                    record = transform(record)
                except TransformationFailed as exc:
                    original = record
                    record = self.errors.failed(Stage.TRANSFORMATION, exc.error, type(exc.transform), consumed=msg,
                                                retry=lambda: run_unwrapped(transform, original))
                    if record is SKIPPED:
                        continue
                if record is None:
                    continue
            append(record)
        if run_topic is not None:
            last_offsets[(run_topic, run_partition)] = run_offset
        for (topic, partition), offset in last_offsets.items():
            self._current[TopicPartition(topic, partition)] = offset + 1
        return records

    def _record(self, msg: Any, tolerate: bool) -> SinkRecord | None:
        """One message → its SinkRecord, the ordinary way (the fast path's fallback; no transforms run
        there). ``tolerate``: conversion errors go to the error handler (None is returned) as in
        ``_convert``; otherwise they propagate."""
        topic, headers = msg.topic(), msg.headers()
        to_key, to_value = self.key_converter.to_connect_data, self.value_converter.to_connect_data
        try:
            key_schema, key = to_key(topic, msg.key(), headers)
        except Exception as exc:
            if not tolerate:
                raise
            converted = self._recover(Stage.KEY_CONVERTER, exc, self.key_converter, msg,
                                      lambda: to_key(topic, msg.key(), headers))
            if converted is SKIPPED:
                return None
            key_schema, key = converted
        try:
            value_schema, value = to_value(topic, msg.value(), headers)
        except Exception as exc:
            if not tolerate:
                raise
            converted = self._recover(Stage.VALUE_CONVERTER, exc, self.value_converter, msg,
                                      lambda: to_value(topic, msg.value(), headers))
            if converted is SKIPPED:
                return None
            value_schema, value = converted
        record_headers = Headers()
        if headers:
            try:
                record_headers = self._read_headers(topic, headers)
            except Exception as exc:
                if not tolerate:
                    raise
                record_headers = self._recover(Stage.HEADER_CONVERTER, exc, self.header_converter, msg,
                                               lambda: self._read_headers(topic, headers))
                if record_headers is SKIPPED:
                    return None
        ts_type, ts = msg.timestamp()
        return SinkRecord._of(
            topic, msg.partition(), key_schema, key, value_schema, value, msg.offset(),
            ts if ts_type else None, _TIMESTAMP_TYPES.get(ts_type, "NoTimestampType"), record_headers, msg,
        )

    def _advance(self, last_offsets: dict[tuple[str, int], int]) -> None:
        """The next offsets to commit: after the last consumed record of each partition."""
        for (topic, partition), offset in last_offsets.items():
            self._current[TopicPartition(topic, partition)] = offset + 1

    def _consumer_error(self, err: KafkaError, msg: Any = None) -> None:
        """Fail the task on an error the consumer cannot get past; log (rate-limited) the rest."""
        verdict = classify(err)
        advice = verdict.advice.replace("<name>", self.id.connector)
        if verdict.fail:
            raise ConnectError(f"Consumer error: {describe(err, msg)}. {advice}")
        if verdict.level:
            topic = msg.topic() if msg is not None else None
            self._consumer_log.log((verdict.category, err.code(), topic), verdict.level,
                                   f"Task {self.id}: consumer error: {describe(err, msg)}. {advice}")

    def _on_client_error(self, err: KafkaError) -> None:
        # Raising inside a librdkafka callback would surface from consume() at an arbitrary
        # point; the loop raises the failure itself after consume() returns.
        try:
            self._consumer_error(err)
        except ConnectError as exc:
            if self._fatal_error is None:
                self._fatal_error = exc

    def _recover(self, stage: str, exc: Exception, component: Any, msg: Any, retry: Any) -> Any:
        """A converter failed on ``msg``: the error handler retries ``retry`` (a RetriableError) and
        decides; the converted value, or SKIPPED (tolerated: logged, in the DLQ, offset advanced)."""
        return self.errors.failed(stage, exc, type(component), retry=retry, consumed=msg)

    def _deliver(self, records: list[SinkRecord] | RowBatch, before: dict[TopicPartition, int] | None = None) -> None:
        """put() the batch; a RetriableError redelivers the same batch after a backoff (the task's
        context.timeout(), else the error handler's exponential one), as Kafka's WorkerSinkTask
        does, until errors.retry.timeout (when > 0) runs out: then the task fails.

        During the wait the consumer is paused and polled (so that the task stays in its group
        however long it waits), and the offsets to commit are those from ``before`` this poll's
        batch: a rebalance meanwhile commits nothing that was not put. Records of partitions
        revoked meanwhile are not redelivered (their new owner consumes them).
        """
        put = self.task.put_rows if records.__class__ is RowBatch else self.task.put
        attempt, started = 0, 0.0
        size = len(records)
        while True:
            try:
                if size:
                    began = time.monotonic()
                    put(records)
                    figures = self.figures
                    figures.batch(size, time.monotonic() - began)
                    figures.records_out += size
                else:
                    put(records)
                return
            except RetriableError as exc:
                attempt += 1
                if attempt == 1:
                    started = self.errors.now()
                delay_ms, self.context._timeout_ms = self.context._timeout_ms, None
                assigned, after = set(self.context._assignment), self._current
                if before is not None:
                    self._current = dict(before)
                self.consumer.pause(self._kafka_assignment())
                try:
                    self.errors.redelivery_backoff(Stage.TASK_PUT, exc, attempt, started, delay_ms=delay_ms,
                                                   idle=self._poll_paused)
                finally:
                    now_assigned = self.context._assignment
                    self._current = {tp: o for tp, o in after.items() if tp in now_assigned}
                    resume = [KafkaTopicPartition(tp.topic, tp.partition) for tp in now_assigned
                              if tp not in self.context._paused]
                    if resume and not self.paused:
                        self.consumer.resume(resume)
                if self.context._assignment != assigned:
                    records = _still_assigned(records, self.context._assignment)

    def _poll_paused(self, seconds: float) -> None:
        """Poll the paused consumer for up to ``seconds`` (see ``_poll_while_paused``)."""
        messages = self.consumer.consume(self.max_poll_records, timeout=seconds)
        if self._fatal_error is not None:
            raise self._fatal_error
        rewind: dict[tuple[str, int], int] = {}
        for msg in messages:
            err = msg.error()
            if err is not None:
                self._consumer_error(err, msg)
            else:
                rewind.setdefault((msg.topic(), msg.partition()), msg.offset())
        for (topic, partition), offset in rewind.items():
            self.consumer.seek(KafkaTopicPartition(topic, partition, offset))

    @offsets_scoped
    def _commit(self, revoking: list[TopicPartition] | None = None) -> None:
        self._next_commit = time.monotonic() + self.flush_interval
        if self.cancelled:
            # Abandoned after the graceful-stop timeout: its partitions may belong to a
            # replacement already, which commits them (as Kafka's WorkerSinkTask skips the commit).
            log.info("Task %s was abandoned: skipping its offset commit", self.id)
            self.figures.commits_skipped += 1
            return
        current = {tp: o for tp, o in self._current.items() if revoking is None or tp in revoking}
        if not current:
            return
        # pre_commit flushes and tells which offsets are durable; only those are committed.
        committable = self.task.pre_commit(dict(current))
        offsets = [
            KafkaTopicPartition(tp.topic, tp.partition, int(o))
            for tp, o in (committable or {}).items()
            if tp in self.context._assignment and self._committed.get(tp) != o
        ]
        if not offsets:
            return
        log.debug("Committing offsets of %d partitions", len(offsets))
        self.errors.flush()
        began = time.monotonic()
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            self.figures.commit(False, time.monotonic() - began)
            log.warning("Task %s: offset commit failed (will retry at the next commit): %s", self.id, exc)
            return
        self.figures.commit(True, time.monotonic() - began)
        for p in offsets:
            self._committed[TopicPartition(p.topic, p.partition)] = p.offset
        self._note_active()

    def _note_active(self, messages: list[Any] = ()) -> None:
        """sink-record-active-count: records read but not committed yet, summed over partitions
        (Kafka's consumed − committed offsets). Once per batch and per commit, over the partitions."""
        committed, read_from = self._committed, self._read_from
        active = 0
        for tp, offset in self._current.items():
            start = committed.get(tp)
            if start is None:
                start = read_from.get(tp)
                if start is None:
                    start = read_from[tp] = _first_offset(messages, tp, offset)
            if offset > start:
                active += offset - start
        self.figures.active_count(active)


    def close(self) -> None:
        consumer = self.consumer
        if consumer is None:
            return
        try:
            if self._started and not self.failed:
                self._commit()
            if self._started and self.context._assignment:
                self.task.close(list(self.context._assignment))
        finally:
            try:
                if self._started:
                    self.task.stop()
            finally:
                # Leaving the group fires the revoke callback: it must not commit or close again.
                self._closing = True
                consumer.close()
                self.consumer = None


def _first_offset(messages: list[Any], tp: TopicPartition, default: int) -> int:
    """The offset of the first record of ``tp`` in ``messages`` (a partition's first batch only)."""
    for msg in messages:
        if msg.error() is None and msg.partition() == tp.partition and msg.topic() == tp.topic:
            return msg.offset()
    return default


def _still_assigned(records: list[SinkRecord] | RowBatch, assignment: set[TopicPartition]) -> list[SinkRecord] | RowBatch:
    """The records of a batch whose partitions this task still owns (after a rebalance)."""
    if records.__class__ is RowBatch:
        rows = [row for row in records.rows if TopicPartition(row[1], row[2]) in assignment]
        return RowBatch(rows, records.record)
    return [r for r in records if TopicPartition(r.original_topic, r.original_kafka_partition) in assignment]


def _partition_names(tps: list[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}-{tp.partition}" for tp in sorted(tps, key=lambda tp: (tp.topic, tp.partition))) or "none"
