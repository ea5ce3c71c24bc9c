"""The replica databases the demo can write to: how it reads them back (for lag and the check).

One class per database, found by name in TARGETS — the rest of the demo never asks which one it has.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

# The columns compared row for row (the demo's tables, see migrations/*/001_shop.sql).
COLUMNS = {
    "customers": ("id", "name", "email", "country", "vip", "signup_date", "preferences", "updated_at", "deleted_at"),
    "products": ("id", "sku", "name", "price", "in_stock", "attributes", "updated_at", "deleted_at"),
    "orders": ("id", "customer_id", "product_id", "quantity", "total", "status", "ordered_on", "note",
               "updated_at", "deleted_at"),
}
JSON_COLUMNS = {"preferences", "attributes"}
BOOL_COLUMNS = {"vip", "in_stock"}


def normalize(column: str, value: Any) -> Any:
    """One comparable form for a value read from either database (driver types differ)."""
    if value is None:
        return None
    if column in JSON_COLUMNS:
        return json.loads(value) if isinstance(value, (str, bytes)) else value
    if column in BOOL_COLUMNS:
        return bool(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, decimal.Decimal):
        return value.normalize()
    if isinstance(value, str):
        return value.rstrip(" ") if column == "country" else value
    return value


class PostgreSqlReplica:
    name = "postgresql"
    migrations = None  # the sink creates the tables (auto.create)

    def __init__(self, server: Any, database: str) -> None:
        self.server, self.database = server, database
        self._conn = None

    def jdbc_url(self) -> str:
        return self.server.jdbc_url(self.database)

    def _connection(self):
        if self._conn is None or self._conn.closed:
            self._conn = self.server.connect(self.database)
        return self._conn

    def query(self, sql: str, params: Any = None) -> list[tuple]:
        try:
            cur = self._connection().execute(sql, params)
            return cur.fetchall() if cur.description is not None else []
        except Exception as exc:
            if "does not exist" in str(exc):  # the sink has not created the table yet
                return []
            raise

    def count(self, table: str) -> int:
        rows = self.query(f'SELECT count(*) FROM "{table}"')
        return rows[0][0] if rows else 0

    def versions(self, table: str, ids: list[int]) -> dict[int, Any]:
        rows = self.query(f'SELECT id, updated_at FROM "{table}" WHERE id = ANY(%s)', (ids,))
        return {i: normalize("updated_at", u) for i, u in rows}

    def rows(self, table: str) -> list[tuple]:
        cols = ", ".join(f'"{c}"' for c in COLUMNS[table])
        return self.query(f'SELECT {cols} FROM "{table}" ORDER BY id')

    def execute(self, sql: str, params: Any = None) -> None:
        self._connection().execute(sql, params)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


class MariaDbReplica(PostgreSqlReplica):
    name = "mariadb"
    migrations = "mariadb"  # typed tables from migrations/mariadb/ (no foreign keys)

    def _connection(self):
        if self._conn is None or not self._conn.open:
            self._conn = self.server.connect(self.database)
        return self._conn

    def query(self, sql: str, params: Any = None) -> list[tuple]:
        with self._connection().cursor() as cur:
            cur.execute(sql.replace('"', "`"), params)
            return list(cur.fetchall()) if cur.description is not None else []

    def versions(self, table: str, ids: list[int]) -> dict[int, Any]:
        if not ids:
            return {}
        marks = ", ".join(["%s"] * len(ids))
        rows = self.query(f'SELECT id, updated_at FROM "{table}" WHERE id IN ({marks})', ids)
        return {i: normalize("updated_at", u) for i, u in rows}

    def execute(self, sql: str, params: Any = None) -> None:
        self.query(sql, params)


TARGETS = {"postgresql": PostgreSqlReplica, "mariadb": MariaDbReplica}
