"""ReadAheadCursor: blocks fetched in the background and sized by bytes, handed out poll by poll,
never lost or reordered; errors surface in order."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from dbconnect.connectors.jdbc.readahead import MAX_BLOCK_ROWS, ReadAheadCursor, estimate_row_bytes


def ids(start: int, stop: int) -> list[tuple]:
    return [(i,) for i in range(start, stop)]


class FakeCursor:
    def __init__(self, rows: int | list, fail_at: int | None = None) -> None:
        self.rows = ids(0, rows) if isinstance(rows, int) else list(rows)
        self.fail_at = fail_at
        self.calls = 0
        self.sizes: list[int] = []  # the size of each fetchmany
        self.threads: set[str] = set()
        self.closed = False
        self.description = ("c",)

    def fetchmany(self, size: int) -> list:
        self.calls += 1
        self.sizes.append(size)
        self.threads.add(threading.current_thread().name)
        if self.fail_at is not None and self.calls == self.fail_at:
            raise ConnectionError("lost")
        out, self.rows = self.rows[:size], self.rows[size:]
        return out

    def close(self) -> None:
        self.closed = True


def drain(cursor: ReadAheadCursor, size: int) -> list[list]:
    polls = []
    while True:
        rows = cursor.fetchmany(size)
        polls.append(rows)
        if len(rows) < size:
            return polls


def test_small_polls_read_the_database_in_big_blocks():
    # batch.max.rows=100 (Confluent's default) over 25,000 narrow rows: 250 polls, but only the
    # first block is one poll's worth; the others are MAX_BLOCK_ROWS rows (not one FETCH per poll).
    with ThreadPoolExecutor(1, thread_name_prefix="ahead") as pool:
        raw = FakeCursor([(i, "x") for i in range(25_000)])
        cursor = ReadAheadCursor(raw, 100, pool)
        polls = drain(cursor, 100)
        assert [len(p) for p in polls] == [100] * 250 + [0]
        assert [row for p in polls for row in p] == [(i, "x") for i in range(25_000)]  # in order, none lost
        assert raw.sizes == [100, MAX_BLOCK_ROWS, MAX_BLOCK_ROWS, MAX_BLOCK_ROWS]
        assert all(name.startswith("ahead") for name in raw.threads)
        cursor.close()
        assert raw.closed


def test_block_size_follows_the_row_width():
    with ThreadPoolExecutor(1) as pool:
        wide = "w" * 100_000  # ≈ 100 kB rows: ≈ 41 per 4 MiB block
        raw = FakeCursor([(i, wide) for i in range(200)])
        cursor = ReadAheadCursor(raw, 10, pool)
        assert sum(len(p) for p in drain(cursor, 10)) == 200
        assert raw.sizes[0] == 10 and raw.sizes[1] == (4 << 20) // (100_000 + 8)
        # Rows wider than a block's budget: never fewer than batch.max.rows per block.
        huge = FakeCursor([(i, "h" * 5_000_000) for i in range(30)])
        assert sum(len(p) for p in drain(ReadAheadCursor(huge, 10, pool), 10)) == 30
        assert huge.sizes == [10, 10, 10, 10]
        # batch.max.rows above MAX_BLOCK_ROWS: blocks are one poll.
        big = FakeCursor(30_000)
        assert [len(p) for p in drain(ReadAheadCursor(big, 20_000, pool), 20_000)] == [20_000, 10_000]
        assert big.sizes == [20_000, 20_000]


def test_polls_span_blocks_and_are_short_only_at_the_end():
    with ThreadPoolExecutor(1) as pool:
        raw = FakeCursor(25)
        cursor = ReadAheadCursor(raw, 3, pool, max_rows=7, target_bytes=7 * 8)
        polls = drain(cursor, 5)
        assert polls == [ids(0, 5), ids(5, 10), ids(10, 15), ids(15, 20), ids(20, 25), []]
        assert raw.sizes == [3, 7, 7, 7, 7]  # 3 + 7 + 7 + 7 = 24, the fifth block is short (1 row)
        assert cursor.fetchmany(5) == []


def test_estimate_row_bytes():
    assert estimate_row_bytes([]) == 0
    assert estimate_row_bytes([(1, "abcd", b"xy", None)]) == 8 + 4 + 2 + 8
    assert estimate_row_bytes([("a" * 10,), ("a" * 30,)]) == 20


def test_errors_surface_on_the_fetch_they_belong_to():
    with ThreadPoolExecutor(1) as pool:
        cursor = ReadAheadCursor(FakeCursor(100, fail_at=2), 10, pool)
        assert cursor.fetchmany(10) == ids(0, 10)  # the first block is fine
        with pytest.raises(ConnectionError):
            cursor.fetchmany(10)


def test_close_waits_for_the_fetch_in_flight():
    with ThreadPoolExecutor(1) as pool:
        raw = FakeCursor(100)
        cursor = ReadAheadCursor(raw, 10, pool)
        cursor.fetchmany(10)
        cursor.close()
        assert raw.calls == 2 and raw.closed
