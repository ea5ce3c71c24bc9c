"""``--once``'s check: the target holds exactly the source's live rows, value for value."""

from __future__ import annotations

from typing import Any

from .shop import TABLES
from .targets import COLUMNS, normalize


def first_difference(source_conn: Any, target: Any) -> str | None:
    """None when every table matches; else a sentence naming the first differing row and column."""
    for table in TABLES:
        columns = COLUMNS[table]
        source_rows = source_conn.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE deleted_at IS NULL ORDER BY id").fetchall()
        target_rows = target.rows(table)
        src = {r[0]: r for r in source_rows}
        dst = {r[0]: r for r in target_rows}
        for row_id in sorted(src.keys() | dst.keys()):
            if row_id not in dst:
                return f"{table} id={row_id}: in the source, missing from the target"
            if row_id not in src:
                return f"{table} id={row_id}: in the target, but deleted from (or never in) the source"
            for column, a, b in zip(columns, src[row_id], dst[row_id]):
                if normalize(column, a) != normalize(column, b):
                    return f"{table} id={row_id}: column {column} is {a!r} in the source, {b!r} in the target"
    return None
