"""The no-missed-rows bounds hold when the database's own view of open transactions lags.

MariaDB serves information_schema.innodb_trx from a cache that it refreshes only after 0.1 s
without a read, so a monitoring tool reading it every 20 ms keeps it stale for as long as it
runs. The source must not trust such a list (docs/design/jdbc-source.md, "No missed rows").
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import orjson
import pytest

from dbconnect.connectors.jdbc.config import parse_config
from dbconnect.connectors.jdbc.dialect import get_dialect
from dbconnect.connectors.jdbc.postgresql.source import log as dialect_log

from .jdbc_helpers import Db, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

STALE_NOTE = "innodb_trx could not be proved fresh"


class InnodbTrxMonitor:
    """A monitoring tool: reads information_schema.innodb_trx every 20 ms on its own connection."""

    def __init__(self, db: Db) -> None:
        self.conn = db.connect(autocommit=True)
        self.reads = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self.conn.cursor() as cur:
                cur.execute("SELECT COUNT(*) FROM information_schema.innodb_trx")
                cur.fetchall()
            self.reads += 1
            self._stop.wait(0.02)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.conn.close()


def _ids(broker: Any, topic: str) -> list[int]:
    try:
        messages = broker.consume(topic, 1000, timeout=1.0, partition=None, allow_fewer=True)
    except Exception:  # the topic does not exist yet: nothing produced
        return []
    return sorted(orjson.loads(m.value())["payload"]["id"] for m in messages)


def test_mariadb_incrementing_misses_nothing_while_innodb_trx_is_stale(mariadb, start_worker, broker, topic_name):
    db = Db("mariadb", mariadb)
    db.execute("CREATE TABLE gap (id INT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL)")
    monitor = InnodbTrxMonitor(db)
    monitor.start()
    # The monitor's first read fills the cache; from then on it never refreshes while the monitor runs.
    wait_until(lambda: monitor.reads >= 3, what="the monitor's first reads")
    slow = db.connect(autocommit=False)
    try:
        with slow.cursor() as cur:
            cur.execute("INSERT INTO gap (v) VALUES (1)")  # id 1, its transaction open and not in the cache
        db.execute("INSERT INTO gap (v) VALUES (2)")  # id 2, committed
        worker = start_worker()
        prefix = f"{topic_name}-"
        config = db.config(mode="incrementing", **{"incrementing.column.name": "id", "topic.prefix": prefix})
        response = worker.put("/connectors/gap-source/config", json=config)
        assert response.status_code == 201, response.text
        topic = f"{prefix}gap"
        # Either the connector trusts the stale list, sees nobody who could own id 1 and publishes
        # id 2 (moving its offset past 1: the bug), or it tells in the task status that it cannot
        # trust the list and holds the horizon.
        def published_or_held() -> str | None:
            if 2 in _ids(broker, topic):
                return "published"
            tasks = worker.get("/connectors/gap-source/status").json().get("tasks") or [{}]
            return "held" if STALE_NOTE in tasks[0].get("trace", "") else None
        wait_until(published_or_held, timeout=60, what="id 2 published, or the stale list reported")
        slow.commit()
    finally:
        slow.close()
        monitor.stop()
    db.execute("INSERT INTO gap (v) VALUES (3)")  # the marker: once it arrives, id 1 would have too
    ids = wait_until(lambda: (lambda got: got if 3 in got else None)(_ids(broker, topic)), timeout=60,
                     what="the marker row id 3")
    assert ids == [1, 2, 3], f"records published: ids {ids} (id 1 committed late and was skipped)"
    task = worker.get("/connectors/gap-source/status").json()["tasks"][0]
    assert task["state"] == "RUNNING" and "trace" not in task, task  # the note cleared once the list was fresh


VALIDATE = "/connector-plugins/JdbcSourceConnector/config/validate"
VISIBILITY = "open.transactions.visibility.required"


def _errors(body: dict) -> dict[str, list[str]]:
    return {c["value"]["name"]: c["value"]["errors"] for c in body["configs"] if c["value"]["errors"]}


def test_postgresql_role_blind_to_other_transactions_is_refused_unless_opted_out(postgres, worker, caplog):
    db = Db("postgresql", postgres)
    db.execute("CREATE TABLE items (id SERIAL PRIMARY KEY, v INT NOT NULL)")
    user, password = f"u{db.name[2:]}", "Blind-pw-42"
    db.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")  # no pg_read_all_stats
    db.execute(f"GRANT SELECT ON items TO {user}")
    config = {**db.config(mode="incrementing", **{"incrementing.column.name": "id"}),
              "connection.user": user, "connection.password": password}
    errors = _errors(worker.put(VALIDATE, json={**config, "name": "blind"}).json())
    assert VISIBILITY in errors and "pg_read_all_stats" in errors[VISIBILITY][0], errors
    created = worker.put("/connectors/blind/config", json=config)
    assert created.status_code == 400 and "pg_read_all_stats" in created.json()["message"], created.text
    # The explicit opt-out accepts the risk; the grant removes it.
    opted_out = worker.put(VALIDATE, json={**config, "name": "blind", VISIBILITY: "false"}).json()
    assert opted_out["error_count"] == 0, _errors(opted_out)
    # The task's connection warns of the risk; once the user opted out it only notes it (no advice
    # to set what they already set).
    said_when = {"true": (logging.WARNING, f"{VISIBILITY}=false to accept"),
                 "false": (logging.INFO, f"{VISIBILITY}=false accepts")}
    for required, (level, text) in said_when.items():
        caplog.clear()
        dialect = get_dialect(parse_config({**config, VISIBILITY: required}))
        with caplog.at_level(logging.INFO, logger=dialect_log.name):
            dialect.connect(autocommit=True).close()
        said = [(r.levelno, r.getMessage()) for r in caplog.records if "pg_read_all_stats" in r.getMessage()]
        assert len(said) == 1 and said[0][0] == level and text in said[0][1], said
    db.execute(f"GRANT pg_read_all_stats TO {user}")
    granted = worker.put(VALIDATE, json={**config, "name": "blind"}).json()
    assert granted["error_count"] == 0, _errors(granted)


def test_unquoted_identifiers_are_checked_as_the_sink_checks_them(postgres, mariadb, worker):
    pg = Db("postgresql", postgres)
    pg.execute('CREATE SCHEMA "odd-schema"')
    pg.execute('CREATE TABLE "odd-schema".items (id SERIAL PRIMARY KEY)')
    pg.execute("CREATE TABLE plain (id SERIAL PRIMARY KEY)")
    odd_db = f"t_{pg.name[2:]}-odd"  # a MariaDB catalog (database) name that needs quoting
    mariadb.create_database(odd_db)
    mariadb.execute("CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY)", dbname=odd_db)
    never = {"quote.sql.identifiers": "never", "mode": "incrementing", "incrementing.column.name": "id"}
    cases = [
        ({**pg.config(**never), "schema.pattern": "odd-schema"}, "'odd-schema'"),
        ({**pg.config(**never), "connection.url": mariadb.jdbc_url(odd_db), "connection.user": mariadb.user,
          "connection.password": mariadb.password}, f"'{odd_db}'"),
    ]
    for config, named in cases:
        errors = _errors(worker.put(VALIDATE, json={**config, "name": "odd"}).json())
        assert "quote.sql.identifiers" in errors and named in errors["quote.sql.identifiers"][0], errors
        created = worker.put("/connectors/odd/config", json=config)
        assert created.status_code == 400 and named in created.json()["message"], created.text
    # Plain names stay valid unquoted.
    plain = worker.put(VALIDATE, json={**pg.config(**never), "schema.pattern": "public", "name": "plain"}).json()
    assert plain["error_count"] == 0, _errors(plain)


def test_postgresql_old_open_transaction_is_shown_in_the_task_status(postgres, start_worker, broker, topic_name):
    db = Db("postgresql", postgres)
    db.execute("CREATE TABLE events (id SERIAL PRIMARY KEY, at TIMESTAMP(6) NOT NULL DEFAULT now())")
    worker = start_worker()
    prefix = f"{topic_name}-"
    config = db.config(mode="timestamp", **{"timestamp.column.name": "at", "topic.prefix": prefix})
    assert worker.put("/connectors/held/config", json=config).status_code == 201
    worker.wait_for_state("held")
    writer = db.connect(autocommit=False)
    try:
        with writer.cursor() as cur:
            cur.execute("INSERT INTO events DEFAULT VALUES")
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]

        def held() -> dict | None:
            task = worker.get("/connectors/held/status").json()["tasks"][0]
            return task if "held back" in task.get("trace", "") else None
        task = wait_until(held, timeout=60, what="the status to show the old transaction")
        assert task["state"] == "RUNNING"
        assert f"pid) {pid}," in task["trace"] and "open for" in task["trace"], task
        writer.commit()
    finally:
        writer.close()
    broker.consume(f"{prefix}events", 1, timeout=60, partition=None)  # the row, once its transaction ended
    cleared = wait_until(lambda: (lambda t: t if "trace" not in t else None)(
        worker.get("/connectors/held/status").json()["tasks"][0]), timeout=30, what="the note to clear")
    assert cleared["state"] == "RUNNING"
