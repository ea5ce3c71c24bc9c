"""Shared pieces of the JDBC source tests: a private database per test on either server,
connector configs, and reading JsonConverter records back from a topic."""

from __future__ import annotations

import base64
import decimal
import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson
import pytest


class Db:
    """One private database on the session's PostgreSQL or MariaDB."""

    def __init__(self, kind: str, server: Any) -> None:
        self.kind = kind
        self.server = server
        self.name = f"t_{uuid.uuid4().hex[:10]}"
        server.create_database(self.name)

    @property
    def pg(self) -> bool:
        return self.kind == "postgresql"

    def execute(self, sql: str, params: Any = None) -> list[tuple]:
        return self.server.execute(sql, params, dbname=self.name)

    def connect(self, autocommit: bool = True) -> Any:
        return self.server.connect(self.name, autocommit=autocommit)

    def q(self, ident: str) -> str:
        c = '"' if self.pg else "`"
        return c + ident.replace(c, c + c) + c

    @property
    def serial(self) -> str:
        return "id SERIAL PRIMARY KEY" if self.pg else "id INT AUTO_INCREMENT PRIMARY KEY"

    @property
    def ts_type(self) -> str:
        return "TIMESTAMP(6)" if self.pg else "DATETIME(6)"

    @property
    def now(self) -> str:
        return "now()" if self.pg else "NOW(6)"

    @property
    def fqn_prefix(self) -> str:
        """What precedes the table name in Confluent's source partition."""
        return f"{self.name}.public." if self.pg else f"{self.name}."

    def config(self, **extra: Any) -> dict[str, str]:
        config = {
            "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
            "connection.url": self.server.jdbc_url(self.name),
            "connection.user": self.server.user,
            "connection.password": self.server.password,
            "poll.interval.ms": "200",
            "tasks.max": "1",
        }
        config.update({k: str(v) for k, v in extra.items()})
        return config


@pytest.fixture(params=["postgresql", "mariadb"])
def db(request) -> Db:
    return Db(request.param, request.getfixturevalue("postgres" if request.param == "postgresql" else "mariadb"))


def payloads(messages: list[Any]) -> list[dict]:
    return [orjson.loads(m.value())["payload"] for m in messages]


def keys(messages: list[Any]) -> list[Any]:
    return [orjson.loads(m.key())["payload"] if m.key() is not None else None for m in messages]


def envelope(message: Any) -> dict:
    return orjson.loads(message.value())


def consume_exactly(broker: Any, topic: str, n: int, *, is_marker: Callable[[dict], bool],
                    insert_marker: Callable[[], Any] | None = None, timeout: float = 60.0) -> list[Any]:
    """Exactly ``n`` records in ``topic`` (one partition) before a marker record, which are returned.

    Waits for ``n`` records, then calls ``insert_marker`` (a row the source reads after every
    row before it; the caller may have inserted it already) and waits for the marker. A source
    reads in order, so a record it wrongly produced twice is in the partition before the marker:
    the record after the first ``n`` must be the marker (``is_marker(payload)``). No fixed wait.
    """
    messages = broker.consume(topic, n, timeout=timeout)
    if insert_marker is not None:
        insert_marker()
    through = broker.consume(topic, n + 1, timeout=timeout)
    found = payloads(through)
    assert is_marker(found[n]), (f"expected exactly {n} records in {topic} before the marker, found more: "
                                 f"record {n} is {found[n]}")
    assert not any(is_marker(p) for p in found[:n]), f"the marker arrived before {n} records in {topic}: {found}"
    return messages


def decode_decimal(value: str, scale: int) -> decimal.Decimal:
    return decimal.Decimal(int.from_bytes(base64.b64decode(value), "big", signed=True)).scaleb(-scale)


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.2, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
