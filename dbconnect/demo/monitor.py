"""Replication progress and lag, measured from the outside by comparing source and target rows.

Per table a cursor walks the source in (updated_at, id) order. A source row counts as replicated
when the target holds it with the same updated_at, or — for a soft-deleted row — no longer holds it.
The cursor advances over the replicated prefix, so each row version is checked about once. The lag
is how long the oldest change the target does not show yet has been waiting (0 when caught up).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from .shop import TABLES
from .targets import normalize

CHECK_BATCH = 5000


@dataclass
class TableProgress:
    table: str
    source_rows: int = 0  # live (not soft-deleted) rows in the source
    target_rows: int = 0
    rows_per_s: float = 0.0  # row versions confirmed in the target per second
    lag_s: float = 0.0
    caught_up: bool = False
    confirmed: int = 0  # row versions confirmed since the start
    max_lag_s: float = 0.0
    _cursor: tuple = (dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc), 0)
    _history: list = field(default_factory=list)  # (monotonic, confirmed)


class ReplicationMonitor:
    def __init__(self, source_conn: Any, target: Any) -> None:
        self.source = source_conn  # psycopg connection (autocommit) to the shop database
        self.target = target
        self.tables = {t: TableProgress(t) for t in TABLES}
        self.lag_samples: list[float] = []

    def tick(self) -> dict[str, TableProgress]:
        now_db = self.source.execute("SELECT now()").fetchone()[0]
        for progress in self.tables.values():
            self._check(progress, now_db)
        self.lag_samples.append(max(p.lag_s for p in self.tables.values()))
        return self.tables

    @property
    def caught_up(self) -> bool:
        return all(p.caught_up for p in self.tables.values())

    @property
    def total_confirmed(self) -> int:
        return sum(p.confirmed for p in self.tables.values())

    def _check(self, p: TableProgress, now: dt.datetime) -> None:
        table = p.table
        p.source_rows = self.source.execute(f"SELECT count(*) FROM {table} WHERE deleted_at IS NULL").fetchone()[0]
        p.target_rows = self.target.count(table)
        oldest_waiting = None
        for _ in range(20):  # at most 100k row versions per tick
            rows = self.source.execute(
                f"SELECT id, updated_at, deleted_at IS NOT NULL FROM {table} "
                "WHERE (updated_at, id) > (%s, %s) ORDER BY updated_at, id LIMIT %s",
                (p._cursor[0], p._cursor[1], CHECK_BATCH)).fetchall()
            if not rows:
                break
            present = self.target.versions(table, [r[0] for r in rows])
            for row_id, updated, deleted in rows:
                done = (row_id not in present) if deleted else (present.get(row_id) == normalize("updated_at", updated))
                if not done:
                    oldest_waiting = updated
                    break
                p._cursor = (updated, row_id)
                p.confirmed += 1
            if oldest_waiting is not None or len(rows) < CHECK_BATCH:
                break
        p.caught_up = oldest_waiting is None and p.source_rows == p.target_rows
        p.lag_s = max(0.0, (now - oldest_waiting).total_seconds()) if oldest_waiting is not None else 0.0
        p.max_lag_s = max(p.max_lag_s, p.lag_s)
        clock = time.monotonic()
        p._history.append((clock, p.confirmed))
        p._history = [h for h in p._history if clock - h[0] <= 3.0]
        first = p._history[0]
        p.rows_per_s = (p.confirmed - first[1]) / (clock - first[0]) if clock > first[0] else 0.0
