"""Exactly-once JDBC sink: a zombie task instance is fenced (issue 11 item 2), on real PostgreSQL and MariaDB.

Two JdbcSinkTask instances own the same partition, as after a rebalance that evicted a task stuck
in a retry, or after the worker abandoned a task whose close() still runs. The offsets row is
written by a compare-and-set inside the rows' transaction, so the instance that commits second
rolls back instead of writing the same offsets range again (insert mode, no key: a duplicate
would be visible).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from dbconnect.api.errors import ConnectError, RetriableError
from dbconnect.api.task import TopicPartition
from dbconnect.connectors.jdbc.sink.writers.base import FencedError

from .jdbc_helpers import Db, db  # noqa: F401
from .test_jdbc_sink import Sink, order, record

pytestmark = pytest.mark.integration

TP = TopicPartition("orders", 0)
EOS = {"insert.mode": "insert", "pk.mode": "none", "exactly.once.enabled": "true", "batch.size": "1000",
       "max.retries": "5"}
DEADLINE = 30.0


def wait_until(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class Gate:
    """Holds the first call of a writer step until released (the instance is 'paused mid-batch').

    ``after``: the step runs first, then the call waits (its effects are in the open transaction).
    """

    def __init__(self, step: Callable[..., Any], after: bool = False) -> None:
        self._step = step
        self._after = after
        self.reached = threading.Event()
        self.release = threading.Event()
        self._armed = True

    def __call__(self, *args: Any) -> Any:
        if not self._armed:
            return self._step(*args)
        self._armed = False
        result = self._step(*args) if self._after else None
        self.reached.set()
        assert self.release.wait(DEADLINE), "the test never released the gate"
        return result if self._after else self._step(*args)


def lock_waits(db: Db) -> int:
    """Sessions of the test database waiting for a row or transaction lock."""
    if db.pg:
        return db.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                          (db.name,))[0][0]
    return db.execute("SELECT count(*) FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT'")[0][0]


def ids(db: Db) -> list[int]:
    return [i for (i,) in db.execute("SELECT id FROM orders ORDER BY id")]


def stored_offset(db: Db) -> list[tuple]:
    return db.execute("SELECT next_offset FROM dbconnect_sink_offsets WHERE connector = 'sink-test' "
                      "AND topic = 'orders' AND kafka_partition = 0")


@pytest.mark.parametrize("race", ["after", "during"])
@pytest.mark.parametrize("where", ["first", "later"])
def test_zombie_paused_mid_batch_is_fenced_no_duplicate_no_loss(db: Db, where: str, race: str):
    """where: the range is the partition's first (no offsets row yet: INSERT) or a later one (UPDATE).
    race: the zombie resumes after its replacement committed, or while the replacement's transaction
    is open (then the database makes it wait for the row lock and re-checks the row it committed)."""
    zombie = Sink(db, **EOS)
    zombie.task.open([TP])
    base = 0
    if where == "later":
        zombie.put(*[record(i, order(i)) for i in range(5)])
        assert zombie.commit({TP: 5}) == {TP: 5}
        base = 5
    # The zombie writes its rows for base..9, then stops before the offsets write and the commit.
    gate = zombie.task.writer.store_offsets = Gate(zombie.task.writer.store_offsets)
    zombie.put(*[record(i, order(i)) for i in range(base, 10)])
    assert gate.reached.wait(DEADLINE)
    zombie_write = zombie.task._writes.running[2]

    # Its replacement gets the partition, reads the stored offsets and writes the same range.
    replacement = Sink(db, **EOS)
    replacement.task.open([TP])
    assert replacement.context._offset_resets == ({TP: 5} if where == "later" else {})
    if race == "during":
        hold = replacement.task.writer.store_offsets = Gate(replacement.task.writer.store_offsets, after=True)
        replacement.put(*[record(i, order(i)) for i in range(base, 10)])
        assert hold.reached.wait(DEADLINE)  # its offsets row is written, not committed
        gate.release.set()
        wait_until(lambda: lock_waits(db) >= 1, "the zombie's offsets write to wait for the row lock")
        hold.release.set()
    else:
        replacement.put(*[record(i, order(i)) for i in range(base, 10)])
    assert replacement.commit({TP: 10}) == {TP: 10}
    gate.release.set()
    zombie_write.exception(DEADLINE)  # the zombie's transaction has ended, one way or the other

    assert ids(db) == list(range(10)), "the zombie wrote the range its replacement had written"
    assert isinstance(zombie_write.exception(), FencedError)
    assert stored_offset(db) == [(10,)]

    # The zombie learns it at its next call and resumes from the stored offsets.
    with pytest.raises(RetriableError, match="fenced"):
        zombie.put()
    zombie.put()
    assert zombie.context._offset_resets == {TP: 10}

    # The replacement goes on: every record exactly once.
    replacement.put(*[record(i, order(i)) for i in range(10, 20)])
    assert replacement.commit({TP: 20}) == {TP: 20}
    assert ids(db) == list(range(20))
    assert stored_offset(db) == [(20,)]
    zombie.stop()
    replacement.stop()


def test_the_zombie_may_go_on_after_the_fence_and_then_fences_its_replacement(db: Db):
    """Whichever instance commits a range first wins it; the other rewinds past it: nothing twice, nothing lost."""
    a, b = Sink(db, **EOS), Sink(db, **EOS)
    a.task.open([TP])
    b.task.open([TP])
    a.put(*[record(i, order(i)) for i in range(5)])
    assert a.commit({TP: 5}) == {TP: 5}
    b.put(*[record(i, order(i)) for i in range(5)])  # b read no offsets at open: it expects no row
    b.task._writes.wait()
    with pytest.raises(RetriableError, match="fenced"):
        b.put()
    b.put()  # rewinds to what a committed
    assert b.context._offset_resets == {TP: 5}
    b.put(*[record(i, order(i)) for i in range(5, 8)])
    assert b.commit({TP: 8}) == {TP: 8}
    a.put(*[record(i, order(i)) for i in range(5, 10)])
    a.task._writes.wait()
    with pytest.raises(RetriableError, match="fenced"):
        a.put()
    a.put()
    assert a.context._offset_resets == {TP: 8}
    a.put(*[record(i, order(i)) for i in range(8, 10)])
    assert a.commit({TP: 10}) == {TP: 10}
    assert ids(db) == list(range(10))
    assert stored_offset(db) == [(10,)]
    a.stop()
    b.stop()


# -- a task abandoned by the worker commits nothing -------------------------------------------------------

@pytest.mark.parametrize("eos", [True, False])
def test_an_abandoned_task_rolls_back_its_running_write_and_its_close_commits_nothing(db: Db, eos: bool):
    """The worker gave up on the task (graceful-stop timeout) while a write ran; its close() still runs."""
    config = dict(EOS, **{} if eos else {"exactly.once.enabled": "false"})
    sink = Sink(db, **config)
    sink.task.open([TP])
    sink.put(record(0, order(0)))
    assert sink.commit({TP: 1}) == {TP: 1}
    gate = sink.task.writer.store_offsets = Gate(sink.task.writer.store_offsets)
    if not eos:  # no offsets write: hold the transaction after its rows instead
        gate = sink.task.writer.insert = Gate(sink.task.writer.insert, after=True)
    sink.put(*[record(i, order(i)) for i in range(1, 5)])
    assert gate.reached.wait(DEADLINE)
    running = sink.task._writes.running[2]
    sink.context._abandoned = True  # what WorkerSinkTask.cancel() does
    sink.put(*[record(i, order(i)) for i in range(5, 8)])  # a put() under way: buffered behind the write
    gate.release.set()
    assert isinstance(running.exception(DEADLINE), ConnectError)  # rolled back, not committed
    # The runtime skips the commits of an abandoned task; the sink refuses them too.
    for _ in range(2):  # the failed write, then the buffered records
        with pytest.raises(ConnectError, match="abandoned"):
            sink.commit({TP: 8})
    sink.task.close([TP])
    sink.stop()
    assert ids(db) == [0]
    if eos:
        assert stored_offset(db) == [(1,)]


def test_exactly_once_tasks_starting_together_all_find_the_offsets_table(db: Db):
    """CREATE TABLE IF NOT EXISTS is not atomic on PostgreSQL: tasks of connectors started at the
    same moment in one database race to create dbconnect_sink_offsets, and the losers must not fail."""
    barrier = threading.Barrier(8)
    started: list[Sink] = []
    failures: list[BaseException] = []

    def start(n: int) -> None:
        barrier.wait()
        try:
            started.append(Sink(db, **{**EOS, "name": f"sink-{n}"}))
        except BaseException as exc:  # noqa: BLE001 — reported below
            failures.append(exc)
    threads = [threading.Thread(target=start, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE)
    for sink in started:
        sink.task.stop()
    assert not failures, failures
    assert len(started) == 8


def test_tasks_auto_creating_one_table_together_all_write(db: Db):
    """A connector with tasks.max > 1 starts its tasks together, and each auto-creates the target
    table on its first batch: the tasks that lose the CREATE TABLE IF NOT EXISTS race must write
    into the winner's table, not fail on the catalog (PostgreSQL: 'type "orders" already exists')."""
    sinks = [Sink(db, **{"insert.mode": "insert", "pk.mode": "none", "max.retries": "0"}) for _ in range(8)]
    barrier = threading.Barrier(len(sinks))
    failures: list[BaseException] = []

    def write(n: int) -> None:
        sink = sinks[n]
        tp = TopicPartition("orders", n)
        sink.task.open([tp])
        barrier.wait()
        try:
            sink.put(record(0, order(n), partition=n))
            sink.commit({tp: 1})
        except BaseException as exc:  # noqa: BLE001 — reported below
            failures.append(exc)
    threads = [threading.Thread(target=write, args=(n,)) for n in range(len(sinks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE)
    for sink in sinks:
        sink.stop()
    assert not failures, failures
    assert ids(db) == list(range(len(sinks)))
