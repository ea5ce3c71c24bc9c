"""Read-ahead for server-side cursors: the next batch is fetched while the task sends this one.

A server-side cursor is pulled batch by batch (``FETCH n`` / an unbuffered result): while the
task encodes and produces a batch, the database sits idle, and while the database computes the
next batch, the task waits. Fetching the next batch on a helper thread as soon as one is handed
out lets the two overlap — the drivers release the GIL while they wait for the server. The
cursor (and its connection) is only ever used by one thread at a time: each fetch is joined
before the next starts and before the cursor is closed.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future
from typing import Any


class ReadAheadCursor:
    """Wraps a DB-API cursor whose every ``fetchmany`` asks for ``size`` rows."""

    def __init__(self, cursor: Any, size: int, executor: Executor) -> None:
        self._cursor = cursor
        self._size = size
        self._executor = executor
        self._next: Future | None = executor.submit(cursor.fetchmany, size)

    @property
    def description(self) -> Any:
        return self._cursor.description

    def fetchmany(self, size: int | None = None) -> list[Any]:
        """The next batch of the size given at creation (``size`` must be that size or None)."""
        if size is not None and size != self._size:
            raise ValueError(f"this cursor reads batches of {self._size} rows, not {size}")
        pending, self._next = self._next, None
        if pending is None:
            return self._cursor.fetchmany(self._size)
        rows = pending.result()  # the fetch's own exception, if it failed
        if len(rows) == self._size:  # more may follow: start on them now
            self._next = self._executor.submit(self._cursor.fetchmany, self._size)
        return rows

    def settle(self) -> None:
        """Wait for the fetch in flight, if any (its rows and errors are dropped)."""
        pending, self._next = self._next, None
        if pending is not None:
            try:
                pending.result()
            except Exception:  # noqa: BLE001 - the round is being ended anyway
                pass

    def close(self) -> None:
        self.settle()
        self._cursor.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)
