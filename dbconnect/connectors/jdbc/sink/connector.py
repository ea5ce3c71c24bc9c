"""JdbcSinkConnector and JdbcSinkTask (Confluent's io.confluent.connect.jdbc.JdbcSinkConnector).

Delivery guarantees, in short (docs/jdbc-sink.md and docs/design/jdbc-sink.md have the long version):

- What ``put()`` receives is written at once, in the background, as ONE transaction, unless a
  write is still running: then records are buffered (across ``put()`` calls) and written together
  as soon as it ends (background.py), and ``put()`` waits for it once ``batch.size`` records are
  buffered. An idle stream therefore writes a record within milliseconds; under load batches grow
  towards ``batch.size``. After a write the task asks the runtime for an offset commit
  (``request_commit``); ``pre_commit`` returns only offsets whose records are committed in the
  database, so the runtime never commits a consumer offset ahead of the data (at-least-once;
  upserts make replays idempotent).
- ``exactly.once.enabled``: the next offset per partition is stored in ``dbconnect_sink_offsets``
  in the same transaction as the rows; on assignment the task seeks there and skips anything
  below it, so replays after a crash write nothing twice, even with insert.mode=insert. The
  offsets row is a compare-and-set on the value this instance last read or wrote: a second
  instance of the task (a zombie) that commits the same range is fenced and rolls back. Failed
  records' DLQ copies are acknowledged before the offsets past them are committed.
- Transient database errors (lost connection, deadlock, serialization failure) are retried
  ``max.retries`` times, ``retry.backoff.ms`` apart, while the task stays RUNNING: ``put()``
  raises RetriableError and the runtime redelivers the batch. Record-level errors (constraint
  violations, values that do not fit, records that cannot be mapped) go to the runtime's errant
  record reporter, whose error handler decides as for every other stage (stage TASK_PUT): with
  ``errors.tolerance=none`` the task fails naming the record, with ``all`` it is logged and sent to
  the DLQ. This task only isolates the failing records: with ``all`` by bisecting the batch (the
  others are written), with ``none`` by bisecting in transactions that are rolled back (nothing
  of the batch is written).
"""

from __future__ import annotations

import logging
import sys
import time
from itertools import chain
from collections.abc import Callable, Mapping
from typing import Any

from ....api.config import ConfigDefinition
from ....api.connector import SinkConnector
from ....api.errors import ConfigError, ConnectError, RetriableError
from ....api.data import Type
from ....api.records import SinkRecord
from ....api.sink_rows import RowBatch, RowSinkTask
from ....api.task import SinkTask, TopicPartition
from .background import BackgroundWrites
from .buffer import Entry, collapse, coordinates, next_offsets
from .config import JdbcSinkConfig, definition, parse_config
from .entries import add_records
from .records import RecordMapper, where
from .rows import add_rows
from .writers import TransientError, Writer, writer_for
from .writers.base import AbandonedError, FencedError

log = logging.getLogger(__name__)

VERSION = "10.8.0-dbconnect"


class JdbcSinkConnector(SinkConnector):
    aliases = ("JdbcSinkConnector", "JdbcSink", "io.confluent.connect.jdbc.JdbcSinkConnector")

    def __init__(self) -> None:
        super().__init__()
        self._props: dict[str, str] = {}

    def config(self) -> ConfigDefinition:
        return definition()

    def validate(self, props: Mapping[str, str]) -> dict[str, list[str]]:
        try:
            return parse_config(props).errors
        except ConfigError as exc:
            return exc.errors or {"connection.url": [str(exc)]}

    def start(self, props: Mapping[str, str]) -> None:
        self._props = dict(props)
        parse_config(self._props).check()

    def task_class(self) -> type[SinkTask]:
        return JdbcSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self._props) for _ in range(max_tasks)]

    def stop(self) -> None:
        pass

    def version(self) -> str:
        return VERSION


class JdbcSinkTask(SinkTask, RowSinkTask):
    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__()
        self._sleep = sleep
        self.cfg: JdbcSinkConfig | None = None
        self.writer: Writer | None = None
        self.mapper: RecordMapper | None = None
        self._plans: dict[tuple, Any] = {}  # (topic, key schema, value schema, tombstone) → plan
        self._buffer: list[Entry] = []
        # (topic, partition) → next offset of everything handed to put() (written, buffered or
        # reported), stored with the next transaction (exactly-once mode).
        self._pending: dict[tuple[str, int], int] = {}
        self._retries = 0
        # At most one write runs in the background while the next batch is built (it overlaps
        # the database's work with this thread's).
        self._writes: BackgroundWrites | None = None
        # Offset commits the task asks for after its writes: whether one is due, when the next may
        # be asked for, and whether the runtime's current pre_commit is one of them.
        self._uncommitted = False
        self._next_request = 0.0
        self._requested = False
        # Exactly-once state per (topic, partition): the next offset committed in the database, and
        # the next offset accepted into the buffer (records below it are replays: skipped).
        self._durable: dict[tuple[str, int], int] = {}
        self._accepted: dict[tuple[str, int], int] = {}
        self._stale = False  # a write failed: reload offsets from the database and rewind

    def version(self) -> str:
        return VERSION

    def _may_commit(self) -> bool:
        return not (self.context is not None and self.context.abandoned())

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self, props: Mapping[str, str]) -> None:
        cfg = self.cfg = parse_config(props, task=True)
        cfg.check()
        self.mapper = RecordMapper(cfg)
        self.writer = writer_for(cfg, sleep=self._sleep)
        # A task the worker abandoned (its graceful stop timed out) still runs its close() and
        # background write: they roll back instead of committing, its replacement owns the rows.
        self.writer.may_commit = self._may_commit
        log.info("Starting JDBC sink task for %s (insert.mode=%s, pk.mode=%s, batch.size=%d, exactly.once=%s)",
                 cfg.spec.describe(), cfg.insert_mode, cfg.pk_mode, cfg.batch_size, cfg.exactly_once)
        try:
            self.writer.run(lambda: None)  # connect now: a wrong URL or password fails the task at start
            if cfg.exactly_once:
                self.writer.ensure_offsets_table()
        except TransientError as exc:
            raise ConnectError(str(exc)) from None
        self._writes = BackgroundWrites(self._write, self._take)
        # The writer thread needs the GIL for moments between its waits on the database (each
        # COPY chunk, statement result and commit), and CPython takes it from a busy thread only
        # every switch interval (5 ms by default): while this thread converted records, a
        # 3000-row write waited so many times that it took 2-4 times as long. Process-wide; a
        # lower interval set by the operator is kept.
        if sys.getswitchinterval() > WRITER_SWITCH_INTERVAL:
            sys.setswitchinterval(WRITER_SWITCH_INTERVAL)

    def open(self, partitions: list[TopicPartition]) -> None:
        if self.cfg is not None and self.cfg.exactly_once and partitions:
            with self._writes.task_thread():
                try:
                    self._rewind(partitions)
                except TransientError as exc:
                    log.warning("Could not read stored offsets on assignment (retrying at the next put): %s", exc)
                    self._stale = True

    def close(self, partitions: list[TopicPartition]) -> None:
        with self._writes.task_thread():
            try:
                self._collect(wait=True)
            except Exception as exc:  # noqa: BLE001 — the records come back to whoever gets the partitions
                log.warning("A write failed while partitions were revoked: %s", exc)
            gone = {(tp.topic, tp.partition) for tp in partitions}
            self._buffer = [e for e in self._buffer if coordinates(e[0])[0] not in gone]
            for tp in gone:
                self._pending.pop(tp, None)
                self._durable.pop(tp, None)
                self._accepted.pop(tp, None)

    def stop(self) -> None:
        if self._writes is not None:
            self._writes.close()
        if self.writer is not None:
            self.writer.close()

    # -- put ------------------------------------------------------------------------------------
    def put(self, records: list[SinkRecord]) -> None:
        # The writer thread starts nothing while this thread works on the buffer; on the way out
        # the buffered records are written at once if no write is running.
        with self._writes.task_thread():
            self._put(records, self._add)

    # -- the sink fast path (api/sink_rows.py; rows.py of this package has the per-row loop) -----
    def row_plan(self, record: SinkRecord) -> Any | None:
        """The write plan for records shaped like ``record`` when their values can be taken as rows:
        struct values with a schema, a key with a schema (or no key), fast.path.enabled, and
        errors.tolerance=none (a tolerant sink keeps each record to report it later)."""
        cfg = self.cfg
        value_schema = record.value_schema
        if (not cfg.fast_path or cfg.tolerate_all or record.value is None or value_schema is None
                or value_schema.type is not Type.STRUCT or (record.key is not None and record.key_schema is None)):
            return None
        with self._writes.task_thread():
            plan = self._plans.get((record.topic, record.key_schema, value_schema, False))
            if plan is None:
                plan = self._plan(record)  # a RecordError here: put() of the record reports it
        if plan.extract_values is None:
            return None
        log.info("Writing records of topic %s to table %s as rows (the sink fast path)%s", record.topic,
                 plan.table.name, "" if plan.row_fields is None else ", columns selected while decoding")
        return plan

    def put_rows(self, batch: RowBatch) -> None:
        with self._writes.task_thread():
            self._put(batch, self._add_rows)

    def _add_rows(self, batch: RowBatch, accepted: dict, failed: list) -> None:
        add_rows(self, batch, accepted, failed)

    def _put(self, records: list[SinkRecord] | RowBatch, add: Callable[[Any, dict, list], None]) -> None:
        cfg = self.cfg
        try:
            self._collect(wait=False)
            if cfg.exactly_once and self._stale:
                self._rewind()
                return  # the runtime seeks to the stored offsets next: these records come back
        except TransientError as exc:
            self._transient(exc)
            raise RetriableError(f"JDBC sink write failed, will retry "
                                 f"({self._retries}/{cfg.max_retries}): {exc}") from None
        if not records and not self._buffer:
            self._request_commit()  # the runtime calls put() on idle polls too
            return
        mark, pending_before = len(self._buffer), dict(self._pending)
        accepted: dict[tuple[str, int], int] = {}
        failed: list[tuple[SinkRecord, BaseException]] = []
        added = -1
        try:
            add(records, accepted, failed)
            added = len(self._buffer) - mark
            if failed:
                # The runtime's error handler decides (errors.tolerance=none raises here). With
                # exactly once the next write stores offsets past these records: their DLQ copies first.
                try:
                    self._report(failed, durably=cfg.exactly_once)
                except ConnectError:
                    del self._buffer[mark:]  # nothing of this put() may be written after them
                    self._pending = pending_before
                    raise
                failed = []
            # Written when put() returns unless a write is running; then buffered and written as
            # soon as it ends (batches grow under load) — at batch.size put() waits for it. A
            # tolerant sink's record reported after a later put keeps its consumed message
            # (SinkRecord.consumed): the DLQ still gets its original bytes.
            while len(self._buffer) >= cfg.batch_size:
                self._flush(background=True)
        except TransientError as exc:
            # Drop this put's entries (the runtime redelivers them). A failed background write
            # may have put its entries back at the front, so they are counted from the end.
            added = len(self._buffer) - mark if added < 0 else added
            if added:
                del self._buffer[-added:]
            self._pending = pending_before
            self._transient(exc)
            raise RetriableError(f"JDBC sink write failed, will retry "
                                 f"({self._retries}/{cfg.max_retries}): {exc}") from None
        self._accepted.update(accepted)
        self._request_commit()

    def _add(self, records: list[SinkRecord], accepted: dict, failed: list) -> None:
        add_records(self, records, accepted, failed)

    def _plan(self, record: SinkRecord) -> Any:
        """The write plan for a record shape (may reflect, create or alter the table)."""
        self._writes.wait()  # the connection is busy with the background write
        plan = self.writer.plan_for(self.mapper.table_for(record.topic), self.mapper.layout_for(record))
        # Schemaless maps (and schemaless map keys in record_key mode) vary per record: not cached.
        cacheable = (record.value_schema is not None or record.value is None) and (
            record.key_schema is not None or self.cfg.pk_mode != "record_key")
        if cacheable:
            self._plans[(record.topic, record.key_schema, record.value_schema, record.value is None)] = plan
        return plan

    def _report(self, failed: list[tuple[SinkRecord, BaseException]], durably: bool = False) -> None:
        """Report records to the errant record reporter (DLQ).

        ``durably`` (exactly-once): wait until the reporter has them (the DLQ acknowledged them),
        because the offsets committed next in the database move past them: a crash after that
        commit must not lose them. A crash before it at worst duplicates them in the DLQ.
        """
        if not failed:
            return
        reporter = self.context.errant_record_reporter() if self.context is not None else None
        if reporter is None:  # as Kafka's sinks do without a reporter: the first one fails the task
            record, exc = failed[0]
            raise ConnectError(f"Failed to write record {where(record)} to the database: {exc}") from exc
        deliveries = []
        for record, exc in failed:
            # Logging, tolerance and the DLQ are the error handler's (errors.log.enable, errors.tolerance).
            log.debug("Reporting record %s: %s", where(record), exc)
            deliveries.append((record, reporter.report(record, exc)))
        if not durably:
            return
        for record, delivery in deliveries:
            if delivery is None:
                continue
            try:
                delivery.result(DLQ_TIMEOUT)
            except Exception as exc:  # noqa: BLE001 — whatever it is, the offsets must not move past the record
                raise ConnectError(f"Record {where(record)} could not be reported (dead letter queue) before "
                                   f"committing the offsets past it: {exc}") from exc

    # -- writing --------------------------------------------------------------------------------
    def _flush(self, background: bool = False) -> None:
        """Write the buffer, batch.size records per transaction (bisecting on record-level errors).

        ``background``: the first batch.size records, on the writer thread (once the running write
        has ended); its outcome is taken by ``_collect``. Otherwise all of it, on this thread.
        """
        self._collect(wait=True)
        if background:
            batch = self._take()
            if batch is not None:
                self._writes.start(*batch)
            return
        eos, size = self.cfg.exactly_once, self.cfg.batch_size
        while self._buffer or (eos and self._pending):
            entries = self._buffer[:size]
            whole = len(entries) == len(self._buffer)
            offsets = (dict(self._pending) if whole else next_offsets(entries)) if eos else None
            failed = self._write(entries, offsets)  # on failure the buffer is left as it was
            del self._buffer[:len(entries)]
            if whole:
                self._pending = {}
            self._written(offsets, failed)

    def _take(self) -> tuple[list[Entry], dict | None] | None:
        """The next batch (batch.size records at most) for a background write, or None."""
        eos, buffer = self.cfg.exactly_once, self._buffer
        if not buffer and not (eos and self._pending):
            return None
        size = self.cfg.batch_size
        if len(buffer) > size:  # the rest stays buffered; the offsets stored are those after this part
            entries, self._buffer = buffer[:size], buffer[size:]
            return entries, next_offsets(entries) if eos else None
        batch = buffer, dict(self._pending) if eos else None
        self._buffer, self._pending = [], {}
        return batch

    def _write(self, entries: list[Entry], offsets: dict | None) -> list[tuple[SinkRecord, BaseException]]:
        """One transaction; the records to report (tolerance all) or ConnectError (none)."""
        try:
            tables = collapse(entries, self.writer.sort_keys)
            began = time.monotonic()
            self.writer.write(tables, offsets)
            self._report_written(tables, time.monotonic() - began)
            return []
        except (TransientError, AbandonedError):
            raise
        except Exception as exc:
            if not self.cfg.tolerate_all:
                # The records were not kept for reporting: find the failing one without writing the
                # others, and report it (the error handler fails the task under errors.tolerance=none).
                self._report_first_failing(entries)
                raise ConnectError(f"Failed to write {len(entries)} record(s) to the database: "
                                   f"{self.writer.describe_error(exc)}") from exc
            log.warning("Writing %d record(s) failed (%s): isolating the failing records",
                        len(entries), self.writer.describe_error(exc))
        failed: list[tuple[SinkRecord, BaseException]] = []
        self._bisect(entries, failed)
        if offsets:
            self.writer.write([], offsets)  # the reported records' offsets count as done too
        return failed

    def _report_written(self, tables: list, seconds: float) -> None:
        """Rows written per table and statement kind, and the transaction's time, for the worker's
        GET /metrics (docs/metrics.md): once per transaction."""
        metrics = getattr(self.context, "metrics", None)
        if metrics is None:
            return
        kind = self.cfg.insert_mode
        for ops in tables:
            table = ops.table.fqn() if hasattr(ops.table, "fqn") else str(ops.table)
            deleted = sum(len(keys) for keys in ops.deletes.values())
            written = sum(len(rows) for rows in ops.writes.values())
            if deleted:
                metrics.counter("jdbc_sink_rows_written_total", deleted, table=table, kind="delete")
            if written:
                metrics.counter("jdbc_sink_rows_written_total", written, table=table, kind=kind)
        metrics.observe("jdbc_sink_write_seconds", seconds)

    def _written(self, offsets: dict | None, failed: list) -> None:
        """A write is committed in the database: report its failed records, ask for a commit."""
        self._retries = 0
        if offsets:
            self._durable.update(offsets)
        self._report(failed)
        self._uncommitted = True

    def _collect(self, wait: bool) -> None:
        """Take the background writes that ended (all of them, if ``wait``): successes, or a failure."""
        finished, failed_write = self._writes.collect(wait)
        for offsets, failed in finished:
            self._written(offsets, failed)
        if failed_write is not None:
            entries, _offsets, future = failed_write
            try:
                future.result()
            except TransientError:
                if not self.cfg.exactly_once:
                    # Written again with the next flush (the runtime will not redeliver them).
                    self._buffer[:0] = entries
                raise

    def _request_commit(self) -> None:
        """Ask the runtime to commit offsets after writes, at most every COMMIT_REQUEST_INTERVAL.

        Without this the offsets of a write would wait for offset.flush.interval.ms (60 s by
        default). The limit keeps the runtime's synchronous commit off the path of most
        batches under load; an idle stream still gets its commit at the next (empty) put().
        """
        if not self._uncommitted or self.context is None:
            return
        now = time.monotonic()
        if now < self._next_request:
            return
        self._uncommitted, self._requested = False, True
        self._next_request = now + COMMIT_REQUEST_INTERVAL
        self.context.request_commit()

    def _bisect(self, entries: list[Entry], failed: list) -> None:
        """Write halves separately, in order, down to single failing records."""
        mid = len(entries) // 2
        for part in (entries[:mid], entries[mid:]):
            if not part:
                continue
            try:
                self.writer.write(collapse(part, self.writer.sort_keys),
                                  next_offsets(part) if self.cfg.exactly_once else None)
            except (TransientError, AbandonedError):
                raise
            except Exception as exc:
                if len(part) == 1:
                    item = (part[0][0], _RecordWriteError(self.writer.describe_error(exc)))
                    if self.cfg.exactly_once:
                        # The next part's transaction stores offsets past it: report it first.
                        self._report([item], durably=True)
                    else:
                        failed.append(item)
                else:
                    self._bisect(part, failed)

    def _report_first_failing(self, entries: list[Entry]) -> None:
        """Bisect ``entries`` in transactions that are rolled back down to the first record the
        database rejects, and report it. Nothing is written; nothing is reported when the
        failure needs several records together (e.g. two rows with one key in insert mode)."""
        part, error = entries, None
        try:
            while len(part) > 1:
                first, second = part[:len(part) // 2], part[len(part) // 2:]
                try:
                    self.writer.write(collapse(first, self.writer.sort_keys), None, commit=False)
                    part = second
                except (TransientError, AbandonedError):
                    raise
                except Exception:  # noqa: BLE001 — the first half holds a failing record
                    part = first
            self.writer.write(collapse(part, self.writer.sort_keys), None, commit=False)
            return
        except (TransientError, AbandonedError):
            return  # the batch's own failure is raised by the caller
        except Exception as exc:  # noqa: BLE001 — this record alone is rejected
            error = exc
        origin = part[0][0]
        if origin.__class__ is tuple:
            (topic, partition), offset = origin
            origin = SinkRecord(topic, partition, None, None, None, None, offset)
        self._report([(origin, _RecordWriteError(self.writer.describe_error(error)))])

    def _transient(self, exc: TransientError) -> None:
        """Count a transient failure (fail the task past max.retries) and arm the backoff."""
        cfg = self.cfg
        self._retries += 1
        if isinstance(exc, FencedError):
            # Not a database failure: another instance of this task wrote the partition. It is
            # counted all the same, so that two instances fighting forever fail one of them.
            log.warning("%s", exc)
        if self._retries > cfg.max_retries:
            raise ConnectError(f"JDBC sink write failed after {cfg.max_retries} retries: {exc}") from None
        log.warning("JDBC sink write failed (attempt %d of %d, retrying in %d ms): %s", self._retries,
                    cfg.max_retries + 1, cfg.retry_backoff_ms, exc)
        if self.context is not None:
            self.context.timeout(cfg.retry_backoff_ms)
        if cfg.exactly_once:
            # What the database holds is the truth: forget the buffer and rewind to it.
            self._buffer = []
            self._pending = {}
            self._stale = True

    def pre_commit(self, current_offsets: Mapping[TopicPartition, int]) -> dict[TopicPartition, int]:
        with self._writes.task_thread():
            return self._pre_commit(current_offsets)

    def _pre_commit(self, current_offsets: Mapping[TopicPartition, int]) -> dict[TopicPartition, int]:
        cfg = self.cfg
        requested, self._requested = self._requested, False
        if not requested:
            # The periodic commit, a revocation or shutdown: write everything first, so that the
            # commit covers every record handed to put() (nothing is replayed after a clean stop).
            try:
                self._collect(wait=True)
                if cfg.exactly_once and self._stale:
                    self._rewind()
                else:
                    self._flush()
            except TransientError as exc:
                self._transient(exc)
                self._sleep(cfg.retry_backoff_ms / 1000.0)  # the runtime retries the commit right away
                if self.context is not None:
                    self.context.request_commit()
        # After a write the task asked for this commit itself: what is durable now, without waiting.
        self._uncommitted = False
        return self._durable_offsets(current_offsets)

    def _durable_offsets(self, current_offsets: Mapping[TopicPartition, int]) -> dict[TopicPartition, int]:
        if self.cfg.exactly_once:
            return {tp: self._durable[(tp.topic, tp.partition)] for tp in current_offsets
                    if (tp.topic, tp.partition) in self._durable}
        # Offsets before the first record not yet in the database (being written, or buffered).
        wanted = {(tp.topic, tp.partition) for tp in current_offsets}
        first: dict[tuple[str, int], int] = {}
        running = self._writes.running
        unwritten = chain(running[0] if running is not None else (), self._buffer)
        for entry in unwritten:
            tp, offset = coordinates(entry[0])
            if tp in wanted:
                wanted.discard(tp)
                first[tp] = offset
                if not wanted:
                    break  # usually one partition: its first entry is all that is needed
        return {tp: first.get((tp.topic, tp.partition), o) for tp, o in current_offsets.items()}

    # -- exactly once ---------------------------------------------------------------------------
    def _rewind(self, partitions: list[TopicPartition] | None = None) -> None:
        """Read the stored offsets of ``partitions`` and seek there (at assignment, after failures).

        A partition without a stored offset goes back to the first record this task accepted
        from it (``_durable`` was set to that offset when the record arrived).
        """
        self._writes.wait()
        if partitions is None:
            assigned = self.context.assignment() if self.context is not None else set()
            partitions = list(assigned | {TopicPartition(*tp) for tp in self._durable})
        stored = self.writer.load_offsets({tp.topic for tp in partitions})
        seek: dict[TopicPartition, int] = {}
        for tp in partitions:
            key = (tp.topic, tp.partition)
            if key in stored:
                self._durable[key] = stored[key]
            if key in self._durable:
                self._accepted[key] = seek[tp] = self._durable[key]
        if seek and self.context is not None:
            log.info("Exactly-once: consuming from the offsets stored in the database: %s",
                     {f"{t.topic}-{t.partition}": o for t, o in seek.items()})
            self.context.offset(seek)
        self._stale = False


COMMIT_REQUEST_INTERVAL = 0.5  # seconds between offset commits the task asks for
DLQ_TIMEOUT = 30.0  # seconds to wait for the DLQ copy of a record before committing past it
WRITER_SWITCH_INTERVAL = 0.001  # seconds (sys.setswitchinterval; see JdbcSinkTask.start)



class _RecordWriteError(ConnectError):
    """The database rejected this record (it was isolated by bisecting its batch)."""
