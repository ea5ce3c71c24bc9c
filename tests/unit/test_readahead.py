"""ReadAheadCursor: the next batch is fetched in the background, never lost, errors surface in order."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from dbconnect.connectors.jdbc.readahead import ReadAheadCursor


class FakeCursor:
    def __init__(self, rows: int, fail_at: int | None = None) -> None:
        self.rows = list(range(rows))
        self.fail_at = fail_at
        self.calls = 0
        self.threads: set[str] = set()
        self.closed = False
        self.description = ("c",)

    def fetchmany(self, size: int) -> list[int]:
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        if self.fail_at is not None and self.calls == self.fail_at:
            raise ConnectionError("lost")
        out, self.rows = self.rows[:size], self.rows[size:]
        return out

    def close(self) -> None:
        self.closed = True


def test_batches_come_in_order_and_the_helper_thread_fetches():
    with ThreadPoolExecutor(1, thread_name_prefix="ahead") as pool:
        raw = FakeCursor(25)
        cursor = ReadAheadCursor(raw, 10, pool)
        assert cursor.description == ("c",)
        assert [cursor.fetchmany(10), cursor.fetchmany(), cursor.fetchmany(10)] == [
            list(range(10)), list(range(10, 20)), list(range(20, 25))]
        assert raw.calls == 3  # a short batch ends the read-ahead
        assert all(name.startswith("ahead") for name in raw.threads)
        cursor.close()
        assert raw.closed


def test_errors_surface_on_the_fetch_they_belong_to():
    with ThreadPoolExecutor(1) as pool:
        cursor = ReadAheadCursor(FakeCursor(100, fail_at=2), 10, pool)
        assert cursor.fetchmany(10) == list(range(10))
        with pytest.raises(ConnectionError):
            cursor.fetchmany(10)


def test_close_waits_for_the_fetch_in_flight():
    with ThreadPoolExecutor(1) as pool:
        raw = FakeCursor(100)
        cursor = ReadAheadCursor(raw, 10, pool)
        cursor.fetchmany(10)
        cursor.close()
        assert raw.calls == 2 and raw.closed
        with pytest.raises(ValueError):
            ReadAheadCursor(FakeCursor(1), 10, pool).fetchmany(5)
