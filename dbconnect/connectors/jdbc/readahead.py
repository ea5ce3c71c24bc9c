"""Read-ahead for server-side cursors: blocks of rows fetched while the task sends the last ones.

A server-side cursor is pulled block by block (``FETCH n`` / an unbuffered result): while the
task encodes and produces rows, the database sits idle, and while the database computes the
next block, the task waits. Fetching the next block on a helper thread as soon as one is handed
out lets the two overlap — the drivers release the GIL while they wait for the server. The
cursor (and its connection) is only ever used by one thread at a time: each fetch is joined
before the next starts and before the cursor is closed.

The block size is not ``batch.max.rows``: that key bounds the rows of one ``poll()`` (Confluent's
meaning), and at its default of 100 a FETCH, a thread hand-off and a result per 100 rows cost
more than the rows themselves. Blocks are sized by bytes instead — about ``target_bytes`` of
column data, estimated from a sample of the last block, between ``batch.max.rows`` and
``max_rows`` rows — and ``fetchmany(n)`` hands them out ``n`` rows at a time. At most two blocks
are held: the one being handed out and the one being fetched.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future
from typing import Any

# About this much column data per fetched block (one block is handed out while the next is read).
TARGET_BLOCK_BYTES = 4 << 20
# Never more rows per block than this (unless batch.max.rows asks for more per poll).
MAX_BLOCK_ROWS = 10_000
# Rows sampled per block to estimate the bytes of a row.
_SAMPLE_ROWS = 16


def estimate_row_bytes(rows: list[Any]) -> int:
    """The column data of an average row, from up to _SAMPLE_ROWS rows spread over ``rows``:
    strings and bytes by their length, anything else as 8 bytes."""
    if not rows:
        return 0
    step = max(1, len(rows) // _SAMPLE_ROWS)
    sample = rows[::step][:_SAMPLE_ROWS]
    total = 0
    for row in sample:
        for value in row:
            total += len(value) if isinstance(value, (str, bytes, bytearray, memoryview)) else 8
    return max(1, total // len(sample))


class ReadAheadCursor:
    """Wraps a DB-API cursor: reads blocks on ``executor``, hands rows out ``fetchmany(n)`` at a time.

    ``fetchmany(n)`` returns ``n`` rows, or fewer only once the result is drained (the DB-API
    contract the querier relies on to end a round).
    """

    def __init__(self, cursor: Any, min_rows: int, executor: Executor, *, max_rows: int = MAX_BLOCK_ROWS,
                 target_bytes: int = TARGET_BLOCK_BYTES) -> None:
        self._cursor = cursor
        self._executor = executor
        self._min_rows = max(1, min_rows)
        self._max_rows = max(self._min_rows, max_rows)
        self._target_bytes = target_bytes
        # The first block is one poll's worth: the first records go out without waiting for a big read.
        self._block_rows = self._min_rows
        self._block: list[Any] = []
        self._at = 0  # rows of _block handed out
        self._next: Future | None = executor.submit(cursor.fetchmany, self._block_rows)

    @property
    def description(self) -> Any:
        return self._cursor.description

    def fetchmany(self, size: int) -> list[Any]:
        """Up to ``size`` rows; fewer only when the result has no more."""
        out: list[Any] | None = None
        while True:
            block, at = self._block, self._at
            if at < len(block):
                want = size - (len(out) if out is not None else 0)
                # A whole block that fits goes out as it is (no copy); never mutate a block.
                piece = block if out is None and at == 0 and len(block) <= want else block[at:at + want]
                self._at = at + len(piece)
                out = piece if out is None else out + piece
                if len(out) >= size:
                    return out
            if not self._refill():
                return out if out is not None else []

    def _refill(self) -> bool:
        """Take the block in flight as the current one (and start on the next); False when drained."""
        pending, self._next = self._next, None
        if pending is None:
            self._block, self._at = [], 0
            return False
        rows = pending.result()  # the fetch's own exception, if it failed
        if len(rows) == self._block_rows:  # more may follow: start on them now
            estimate = estimate_row_bytes(rows)
            self._block_rows = max(self._min_rows, min(self._max_rows, self._target_bytes // estimate))
            self._next = self._executor.submit(self._cursor.fetchmany, self._block_rows)
        self._block, self._at = rows, 0
        return bool(rows)

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
