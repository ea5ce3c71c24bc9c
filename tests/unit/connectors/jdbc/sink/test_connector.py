"""JdbcSinkTask without a database: retries, failures, buffering and offsets, with a scripted writer."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pytest

from dbconnect.api.data import INT64_SCHEMA, STRING_SCHEMA, SchemaBuilder, Struct
from dbconnect.api.errors import ConnectError, RetriableError
from dbconnect.api.records import SinkRecord
from dbconnect.api.task import SinkTaskContext, TopicPartition
from dbconnect.connectors.jdbc.sink import JdbcSinkTask
from dbconnect.connectors.jdbc.sink.background import BackgroundWrites
from dbconnect.connectors.jdbc.sink.records import RecordMapper
from dbconnect.connectors.jdbc.sink.writers import TransientError
from tests.unit.connectors.jdbc.sink.sink_samples import FakePlan, KEY, VALUE, cfg, rec, val


class ScriptedWriter:
    """Fails ``write`` with the queued exceptions (None: succeeds), then succeeds; records what was written."""

    sort_keys = False

    def __init__(self, failures: list[BaseException]) -> None:
        self.failures = list(failures)
        self.written: list[Any] = []
        self.offsets: list[Any] = []

    def plan_for(self, table, layout):
        plan = FakePlan(table)
        plan.layout = layout
        plan.extract = layout.extract
        return plan

    def write(self, tables, offsets) -> None:
        failure = self.failures.pop(0) if self.failures else None
        if failure is not None:  # None: this write succeeds
            raise failure
        self.written.append(sum(len(rows) for ops in tables for rows in ops.writes.values()))
        self.offsets.append(offsets)

    def describe_error(self, exc) -> str:
        return str(exc)

    def close(self) -> None:
        pass


class LazyFuture(Future):
    """A background write that runs when the test says so (``run``) or when the task waits for it."""

    def __init__(self, fn, args) -> None:
        super().__init__()
        self._job = (fn, args)
        self.waited = False  # the task blocked on it before it had run (batch.size back-pressure)

    def run(self) -> None:
        if self._job is None:
            return
        (fn, args), self._job = self._job, None
        try:
            self.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 — handed to whoever takes the result
            self.set_exception(exc)

    def result(self, timeout=None):
        if not self.done():
            self.waited = True
            self.run()
        return super().result(timeout)

    def exception(self, timeout=None):
        if not self.done():
            self.waited = True
            self.run()
        return super().exception(timeout)


class ManualExecutor:
    """The task's one writer thread, made deterministic: jobs run when the test (or a wait) runs them."""

    def __init__(self) -> None:
        self.jobs: list[LazyFuture] = []

    def submit(self, fn, *args) -> LazyFuture:
        self.jobs.append(LazyFuture(fn, args))
        return self.jobs[-1]

    def finish(self) -> None:
        for job in self.jobs:
            job.run()

    def shutdown(self, wait: bool = True) -> None:
        self.finish()


def started_task(writer: ScriptedWriter, **props: str) -> JdbcSinkTask:
    task = JdbcSinkTask(sleep=lambda s: None)
    task.initialize(SinkTaskContext())
    c = task.cfg = cfg(**props)
    task.mapper = RecordMapper(c)
    task.writer = writer
    task._writes = BackgroundWrites(task._write, task._take, ManualExecutor())
    return task


def unwritten(task: JdbcSinkTask) -> list:
    """Entries handed to put() and not yet in the database: the running write's, then the buffer."""
    running = task._writes.running
    return (list(running[0]) if running is not None else []) + task._buffer


def test_transient_errors_redeliver_then_fail_past_max_retries():
    writer = ScriptedWriter([TransientError("connection lost")] * 3)
    task = started_task(writer, **{"max.retries": "2", "retry.backoff.ms": "250"})
    task.put([rec(0, val(1))])  # written in the background: its failure shows at the next call
    task._writes._executor.finish()
    expected = [0]
    for attempt in (1, 2):
        batch = [rec(attempt * 2 - 1, val(1)), rec(attempt * 2, val(2))]
        with pytest.raises(RetriableError, match=f"will retry \\({attempt}/2\\)"):
            task.put(batch)
        # The failed write's records stay buffered (the runtime will not send them again); this
        # put's records are dropped: the runtime redelivers them.
        assert task.context._timeout_ms == 250 and [e[0][1] for e in task._buffer] == expected
        task.put(batch)  # the redelivery: written with the failed records, in the background
        expected += [attempt * 2 - 1, attempt * 2]
        assert [e[0][1] for e in unwritten(task)] == expected
        task._writes._executor.finish()
    with pytest.raises(ConnectError, match="failed after 2 retries: connection lost"):
        task.put([rec(5, val(5))])


def test_writes_at_once_and_buffers_while_a_write_runs():
    """No waiting for batch.size or the offset flush: each put is written in the background at once;
    while a write runs, puts are buffered and written together as soon as it ends, without waiting
    for the next put (batches grow under load), and at batch.size put() waits for the running
    write (back-pressure)."""
    writer = ScriptedWriter([])
    task = started_task(writer, **{"batch.size": "4"})
    jobs = task._writes._executor.jobs
    tp = TopicPartition("t", 0)
    task.put([rec(0, val(1)), rec(1, val(2))])
    assert len(jobs) == 1 and task._buffer == []  # written at once, below batch.size
    task.put([rec(2, val(3))])
    task.put([rec(3, val(4))])
    assert len(jobs) == 1 and len(task._buffer) == 2  # the first write still runs: buffered
    assert not task.context._commit_requested
    jobs[0].run()  # ends while the runtime polls: the writer thread starts the buffered batch itself
    assert writer.written == [2] and len(jobs) == 2 and task._buffer == []
    assert [e[0][1] for e in task._writes.running[0]] == [2, 3]
    task.put([])  # the runtime's idle poll: the finished write is taken
    # The task asks for a commit after a write; it covers only what the database has (2 and 3
    # are being written) and does not wait for the running write.
    assert task.context._commit_requested and task.pre_commit({tp: 4}) == {tp: 2}
    assert not jobs[1].done()
    task.put([rec(4, val(5)), rec(5, val(6))])
    task.put([rec(6, val(7)), rec(7, val(8))])  # 4 buffered = batch.size: waits for the running write
    assert jobs[1].waited and writer.written == [2, 2] and len(jobs) == 3 and task._buffer == []
    jobs[2].run()
    task.context._commit_requested = False
    task._next_request = 0.0
    task.put([])
    assert writer.written == [2, 2, 4] and task.context._commit_requested
    assert task.pre_commit({tp: 8}) == {tp: 8}
    # batch.size is the most records per transaction: a poll larger than it is split.
    task.put([rec(i, val(i)) for i in range(8, 18)])  # 10 records: 4 + 4 started, 2 buffered
    assert [len(job._job[1][0]) if job._job else None for job in jobs[3:]] == [None, 4] and len(task._buffer) == 2
    assert jobs[3].waited
    task._writes._executor.finish()
    assert writer.written == [2, 2, 4, 4, 4, 2] and task._buffer == []


def test_a_failed_flush_at_commit_only_commits_what_is_written():
    writer = ScriptedWriter([TransientError("deadlock detected")])
    task = started_task(writer, **{"batch.size": "100"})
    tp = TopicPartition("t", 0)
    task.put([rec(5, val(1)), rec(6, val(2))])
    assert task.pre_commit({tp: 7}) == {tp: 5}  # records 5 and 6 are not in the database yet
    assert task.context._commit_requested
    assert task.pre_commit({tp: 7}) == {tp: 7} and writer.written == [2]


def test_record_errors_fail_the_task_without_tolerance():
    task = started_task(ScriptedWriter([]), **{"pk.mode": "record_key"})
    with pytest.raises(ConnectError, match="null key but pk.mode is record_key"):
        task.put([rec(0, val(1))])


def test_tolerant_sinks_buffer_across_puts_and_report_at_commit():
    class Reporter:
        def __init__(self) -> None:
            self.reported: list = []

        def report(self, record, error) -> None:
            self.reported.append((record, error))

    writer = ScriptedWriter([])
    task = started_task(writer, **{"batch.size": "10", "errors.tolerance": "all"})
    reporter = task.context._reporter = Reporter()
    tp = TopicPartition("t", 0)
    first, second, third = [rec(0, val(1)), rec(1, val(2))], [rec(2, val(3))], [rec(3, val(4))]
    task.put([rec(-1, val(0))])  # occupies the writer: the next puts are buffered together
    task.put(first)
    task.put(second)
    task.put(third)
    assert writer.written == [] and len(task._buffer) == 4  # not one write per put
    # The batch, its first half and record 0 alone fail; record 1 and the second half are written.
    writer.failures = [None] + [ValueError("bad row")] * 3
    task._writes._executor.jobs[0].run()  # the first write ends: the buffered batch starts at once
    assert [e[0] for e in task._writes.running[0]] == first + second + third
    task.put([])
    assert task.pre_commit({tp: 4}) == {tp: 0}  # asked for after the first write: 0–3 are running
    task._writes._executor.finish()
    assert reporter.reported == []  # reported on the task's thread, when the write is taken
    task.put([])
    # Record 0, from an earlier put, was isolated and reported after the later puts.
    assert [r for r, _e in reporter.reported] == [first[0]] and writer.written == [1, 1, 2]
    assert task.pre_commit({tp: 4}) == {tp: 4}


# -- the per-record hot path: buffer entries, shapes, offsets --------------------------------------------

def test_entries_keep_records_only_when_they_may_be_reported():
    # Without errors.tolerance=all nothing is reported after put(): entries keep where the record
    # was consumed, not the record (its Struct and message are freed when put() returns).
    task = started_task(ScriptedWriter([]), **{"batch.size": "100", "pk.mode": "record_value", "pk.fields": "id"})
    task.put([rec(4, val(1)), rec(5, val(2))])
    assert [e[0] for e in unwritten(task)] == [(("t", 0), 4), (("t", 0), 5)]
    assert [(e[2], e[3]) for e in unwritten(task)] == [((1,), (1, "n1", "x")), ((2,), (2, "n2", "x"))]
    records = [rec(0, val(1))]
    tolerant = started_task(ScriptedWriter([]), **{"batch.size": "100", "errors.tolerance": "all"})
    tolerant.put(records)
    assert unwritten(tolerant)[0][0] is records[0]
    # Both kinds of origin give the same coordinates (pre_commit after a failed flush, close()).
    from dbconnect.connectors.jdbc.sink.buffer import coordinates
    assert coordinates(records[0]) == coordinates((("t", 0), 0)) == (("t", 0), 0)


def test_pending_offsets_per_partition_with_interleaved_partitions_and_shapes():
    other = SchemaBuilder.struct().field("id", INT64_SCHEMA).field("name", STRING_SCHEMA).build()
    task = started_task(ScriptedWriter([]), **{"batch.size": "100", "pk.mode": "record_value", "pk.fields": "id"})
    r = lambda topic, partition, offset, schema=VALUE, value=None: SinkRecord(  # noqa: E731
        topic, partition, None, None, schema, value or val(offset), offset)
    batch = [r("t", 0, 10), r("t", 1, 3), r("t", 1, 4), r("u", 0, 7, other, Struct(other).put("id", 1).put("name", "o")),
             r("t", 0, 11), r("t", 1, 5)]
    # Occupies the writer (and plans both shapes): the batch stays in the buffer.
    task.put([r("t", 0, 9), r("u", 0, 6, other, Struct(other).put("id", 0).put("name", "o"))])
    task.put(batch)
    assert task._pending == {("t", 0): 12, ("t", 1): 6, ("u", 0): 8}
    plans = [e[1] for e in task._buffer]
    assert plans[0] is plans[1] is plans[4] and plans[3] is not plans[0]  # one plan per shape, reused
    assert [e[0] for e in task._buffer] == [(("t", 0), 10), (("t", 1), 3), (("t", 1), 4), (("u", 0), 7),
                                            (("t", 0), 11), (("t", 1), 5)]


def test_exactly_once_skips_replays_without_counting_them_as_pending():
    task = started_task(ScriptedWriter([]), **{"batch.size": "100", "exactly.once.enabled": "true",
                                               "pk.mode": "record_value", "pk.fields": "id"})
    task._accepted[("t", 0)] = 5  # written up to offset 4 already
    task.put([rec(3, val(3)), rec(4, val(4))])
    assert unwritten(task) == [] and task._pending == {}
    task.put([rec(4, val(4)), rec(5, val(5)), rec(6, val(6))])
    entries, offsets, _job = task._writes.running
    assert [e[0][1] for e in entries] == [5, 6] and offsets == {("t", 0): 7}  # stored with the rows


def test_a_record_that_fails_mapping_does_not_poison_the_shape_cache():
    task = started_task(ScriptedWriter([]), **{"batch.size": "100", "pk.mode": "record_key",
                                               "errors.tolerance": "all"})
    task.context._reporter = type("R", (), {"reported": [], "report": lambda self, r, e: self.reported.append(r)})()
    key = Struct(KEY).put("id", 1).put("region", "eu")
    good = rec(1, val(1), key, KEY)
    bad = rec(2, val(2), None, KEY)  # null key in record_key mode
    task.put([good, bad, rec(3, val(3), key, KEY)])
    assert [e[0].kafka_offset for e in unwritten(task)] == [1, 3]
    assert [r.kafka_offset for r in task.context._reporter.reported] == [2]
