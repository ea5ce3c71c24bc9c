"""The JDBC sink's background writes: one transaction at a time on a helper thread.

The task thread builds batches; this runs them, one at a time, so that the database works while
the task converts the next records. When a write ends while the task thread is outside the task
(the runtime is polling the consumer), the helper thread takes what was buffered meanwhile and
writes it at once: a record never waits for the next ``put()`` because the previous write was
still running. While the task thread is inside the task (``task_thread()``) only it starts
writes, so the buffer and the connection are never used by both threads at the same time.

A failed write is left for the task thread (``collect``): it decides about retries, the DLQ and
failing the task; nothing is started after it until then.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from ....api.task import inherit_context

# What a write is given and returns: (entries, offsets to store with the rows or None) → the
# records to report (errors.tolerance=all).
Batch = tuple[list, "dict | None"]
WriteFn = Callable[[list, "dict | None"], list]


class BackgroundWrites:
    def __init__(self, write: WriteFn, take: Callable[[], Batch | None], executor: Any = None) -> None:
        self._write = write
        self._take = take  # the buffered batch, or None; called with the lock held
        self._executor = executor if executor is not None else ThreadPoolExecutor(
            1, thread_name_prefix="jdbc-sink-writer",  # its lines carry the task's [name|task-0] context
            initializer=inherit_context, initargs=(contextvars.copy_context(),))
        self._lock = threading.RLock()  # reentrant: a done callback may run in the submitting thread
        self._running: tuple[list, dict | None, Future] | None = None
        self._finished: list[tuple[dict | None, list]] = []  # (offsets, failed) of writes not yet collected
        self._chain = False  # the helper thread may start the next write (the task thread is outside)
        self._closed = False

    @property
    def running(self) -> tuple[list, dict | None, Future] | None:
        """(entries, offsets, future) of the write started last and not collected yet, or None."""
        return self._running

    def start(self, entries: list, offsets: dict | None) -> None:
        """Write ``entries`` in the background (the task thread, with no write running)."""
        with self._lock:
            self._start(entries, offsets)

    def _start(self, entries: list, offsets: dict | None) -> None:
        future = self._executor.submit(self._write, entries, offsets)
        self._running = (entries, offsets, future)
        future.add_done_callback(self._done)

    def _done(self, future: Future) -> None:
        """A write ended (helper thread, or the task thread in ``collect``; idempotent)."""
        with self._lock:
            running = self._running
            if running is None or running[2] is not future or future.exception() is not None:
                return  # already taken, or failed: the failure waits for the task thread
            self._running = None
            self._finished.append((running[1], future.result()))
            if self._chain and not self._closed:
                batch = self._take()
                if batch is not None:
                    self._start(*batch)

    @contextmanager
    def task_thread(self, start_buffered: bool = True) -> Iterator[None]:
        """The task thread works on the buffer and the connection: the helper thread starts nothing.

        On a normal exit the buffered batch is started if no write runs (``start_buffered``),
        and the helper thread may start the next ones again.
        """
        with self._lock:
            self._chain = False
        ok = False
        try:
            yield
            ok = True
        finally:
            with self._lock:
                self._chain = True
                if ok and start_buffered and self._running is None and not self._closed:
                    batch = self._take()
                    if batch is not None:
                        self._start(*batch)

    def collect(self, wait: bool) -> tuple[list[tuple[dict | None, list]], tuple[list, dict | None, Future] | None]:
        """Writes that ended: the successful ones' (offsets, failed), in order, and the failed one.

        ``wait``: wait for the running write first. A failed write is returned (and forgotten
        here) for the caller to take its exception.
        """
        running = self._running
        if running is not None:
            if wait:
                running[2].exception()  # waits; the outcome is taken below
            if running[2].done():
                self._done(running[2])  # its callback may not have run yet
        with self._lock:
            finished, self._finished = self._finished, []
            running = self._running
            if running is not None and running[2].done():
                self._running = None  # failed (successes were moved to _finished)
            else:
                running = None
        return finished, running

    def wait(self) -> None:
        """Wait for the running write (its outcome stays for ``collect``): the connection is free after."""
        running = self._running
        if running is not None:
            running[2].exception()

    def close(self) -> None:
        """No more writes: wait for the running one and stop the helper thread."""
        with self._lock:
            self._closed = True
        self.wait()
        self._executor.shutdown(wait=True)
