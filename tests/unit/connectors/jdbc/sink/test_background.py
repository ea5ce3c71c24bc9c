"""The JDBC sink's background writes with a real helper thread (sink/background.py)."""

from __future__ import annotations

import threading

import pytest

from dbconnect.connectors.jdbc.sink.background import BackgroundWrites


class Gates:
    """A write function whose writes wait for the test to open their gate, one gate per write."""

    def __init__(self) -> None:
        self.buffer: list[int] = []
        self.written: list[list[int]] = []
        self.gates: list[threading.Event] = []
        self.started = threading.Semaphore(0)

    def take(self):
        if not self.buffer:
            return None
        batch, self.buffer = self.buffer, []
        return batch, None

    def write(self, entries, offsets):
        gate = threading.Event()
        self.gates.append(gate)
        self.started.release()
        assert gate.wait(10), "the test never opened the gate"
        if entries == ["fail"]:
            raise RuntimeError("write failed")
        self.written.append(entries)
        return []

    def open_next(self) -> None:
        assert self.started.acquire(timeout=10), "no write started"
        self.gates[-1].set()


def test_a_write_that_ends_while_the_task_thread_is_away_starts_the_buffered_batch():
    gates = Gates()
    writes = BackgroundWrites(gates.write, gates.take)
    try:
        with writes.task_thread():
            gates.buffer = [1]
        # Leaving the task starts the buffered batch: nothing runs.
        gates.open_next()
        writes.wait()
        assert gates.written == [[1]]
        with writes.task_thread():
            gates.buffer = [2]
        with writes.task_thread():
            gates.buffer.append(3)  # write [2] runs: buffered
        gates.open_next()  # [2] ends while the task thread is away: [3] starts on the helper thread
        gates.open_next()
        writes.wait()
        assert gates.written == [[1], [2], [3]]
        finished, failed = writes.collect(wait=True)
        assert [f for _o, f in finished] == [[], [], []] and failed is None
    finally:
        for gate in gates.gates:
            gate.set()
        writes.close()


def test_nothing_starts_while_the_task_thread_works_and_a_failure_waits_for_it():
    gates = Gates()
    writes = BackgroundWrites(gates.write, gates.take)
    try:
        with writes.task_thread():
            gates.buffer = [1]
        with writes.task_thread():
            gates.buffer.append(2)
            gates.open_next()  # [1] ends while the task thread is inside: [2] must not start
            writes.wait()
            assert writes.running is None and gates.buffer == [2] and len(gates.gates) == 1
            gates.buffer = ["fail"]
        gates.open_next()  # started on the way out; it fails
        writes.wait()
        with writes.task_thread(start_buffered=False):
            gates.buffer = [3]
        finished, failed = writes.collect(wait=False)
        assert [f for _o, f in finished] == [[]] and failed is not None and failed[0] == ["fail"]
        with pytest.raises(RuntimeError, match="write failed"):
            failed[2].result()
        assert gates.buffer == [3] and len(gates.gates) == 2  # nothing started after the failure
    finally:
        for gate in gates.gates:
            gate.set()
        writes.close()
