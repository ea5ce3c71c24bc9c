"""JdbcSourceConnector bad input and outages: 400s naming table/column/host, secrets never shown."""

from __future__ import annotations

import logging

import pytest

from .jdbc_helpers import Db, consume_exactly, db, payloads, wait_until  # noqa: F401

pytestmark = pytest.mark.integration

VALIDATE = "/connector-plugins/JdbcSourceConnector/config/validate"


def _errors(body: dict) -> dict[str, list[str]]:
    return {c["value"]["name"]: c["value"]["errors"] for c in body["configs"] if c["value"]["errors"]}


def test_missing_table_column_and_nullable(db: Db, worker):
    db.execute(f"CREATE TABLE t1 ({db.serial}, maybe INT NULL, ts {db.ts_type} NULL)")
    cases = [
        ({"mode": "bulk", "table.whitelist": "nope"}, "table.whitelist", "nope"),
        ({"mode": "incrementing", "incrementing.column.name": "missing", "table.whitelist": "t1"},
         "incrementing.column.name", "missing not found in table"),
        ({"mode": "incrementing", "incrementing.column.name": "maybe", "table.whitelist": "t1"},
         "incrementing.column.name", "because this column is nullable"),
        ({"mode": "timestamp", "timestamp.column.name": "ts", "table.whitelist": "t1"},
         "timestamp.column.name", "are nullable"),
        ({"mode": "timestamp", "timestamp.column.name": "nope", "table.whitelist": "t1"},
         "timestamp.column.name", "Timestamp column nope not found in table"),
        ({"mode": "timestamp"}, "timestamp.column.name", "must be set"),
        ({"mode": "bulk", "table.whitelist": "t1", "table.blacklist": "t2"}, "table.whitelist", "mutually exclusive"),
        ({}, "mode", "Invalid value  for configuration mode"),
    ]
    for extra, key, text in cases:
        config = db.config(**extra)
        body = worker.put(VALIDATE, json={**config, "name": "bad"}).json()
        errors = _errors(body)
        assert key in errors and any(text in m for m in errors[key]), (extra, errors)
        if key in ("incrementing.column.name", "timestamp.column.name") and "must be set" not in text:
            assert any("t1" in m for m in errors[key])
        created = worker.put("/connectors/bad/config", json=config)
        assert created.status_code == 400, (extra, created.text)
        assert text in created.json()["message"]
        assert created.json()["message"].startswith("Connector configuration is invalid")
    # validate.non.null=false accepts the nullable column.
    ok = worker.put(VALIDATE, json=db.config(name="ok", mode="incrementing", **{
        "incrementing.column.name": "maybe", "validate.non.null": "false"})).json()
    assert ok["error_count"] == 0, _errors(ok)


def test_wrong_password_names_host_never_the_password(db: Db, worker, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "Sup3r-Secret-pw"
    config = db.config(mode="bulk", **{"connection.password": secret})
    body = worker.put(VALIDATE, json={**config, "name": "pw"})
    assert secret not in body.text
    errors = _errors(body.json())
    assert any("127.0.0.1" in m and "Could not connect" in m for m in errors["connection.url"]), errors
    created = worker.post("/connectors", json={"name": "pw", "config": config})
    assert created.status_code == 400 and "127.0.0.1" in created.json()["message"]
    assert secret not in created.text
    # Password in the URL (JDBC style): our messages never repeat it. (The runtime echoes the
    # connection.url value itself in the validate answer, as Kafka does: that is not a secret key.)
    url_config = db.config(mode="bulk", **{"connection.url": db.server.jdbc_url(db.name) + f"?password={secret}"})
    url_config.pop("connection.password")
    response = worker.put(VALIDATE, json={**url_config, "name": "pw"})
    messages = [m for msgs in _errors(response.json()).values() for m in msgs]
    assert messages and not any(secret in m for m in messages)
    assert secret not in caplog.text


def test_hostile_table_name_is_quoted_not_executed(db: Db, start_worker, broker, topic_name):
    name = 'we"ird; DROP TABLE victim; --' if db.pg else "we`ird; DROP TABLE victim; --"
    db.execute(f"CREATE TABLE victim (id INT)")
    db.execute(f"CREATE TABLE {db.q(name)} ({db.serial}, v VARCHAR(10))")
    db.execute(f"INSERT INTO {db.q(name)} (v) VALUES ('x'), ('100%')")
    worker = start_worker()
    config = db.config(mode="incrementing", **{"table.whitelist": name, "topic.prefix": f"{topic_name}-"})
    response = worker.put("/connectors/src/config", json=config)
    assert response.status_code == 201, response.text
    topic = f"{topic_name}-we_ird__DROP_TABLE_victim__--"
    assert [p["v"] for p in payloads(broker.consume(topic, 2, timeout=60, partition=None))] in (["x", "100%"], ["100%", "x"])
    assert db.execute("SELECT count(*) FROM victim")[0][0] == 0  # still there


def test_outage_reconnects_then_fails_naming_host(db: Db, start_worker, broker, topic_name):
    db.execute(f"CREATE TABLE items ({db.serial}, v INT)")
    db.execute("INSERT INTO items (v) VALUES (1)")
    topic = f"{topic_name}-items"
    broker.create_topic(topic, partitions=1)
    worker = start_worker()
    config = db.config(mode="incrementing", **{"topic.prefix": f"{topic_name}-", "connection.backoff.ms": 300,
                                               "connection.attempts": 3})
    assert worker.put("/connectors/src/config", json=config).status_code == 201
    broker.consume(topic, 1, timeout=60)
    # Kill the connector's sessions: it reconnects, stays RUNNING and goes on.
    if db.pg:
        db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dbconnect-jdbc-source'")
    else:
        for (conn_id,) in db.execute("SELECT id FROM information_schema.processlist WHERE db = %s AND id <> CONNECTION_ID()",
                                     (db.name,)):
            try:
                db.execute(f"KILL {int(conn_id)}")
            except Exception:
                pass
    db.execute("INSERT INTO items (v) VALUES (2)")
    assert [p["v"] for p in payloads(consume_exactly(
        broker, topic, 2, is_marker=lambda p: p["v"] == -1,
        insert_marker=lambda: db.execute("INSERT INTO items (v) VALUES (-1)")))] == [1, 2]
    assert worker.get("/connectors/src/status").json()["tasks"][0]["state"] == "RUNNING"
    # A server that stays unreachable: the task goes FAILED after connection.attempts, naming the host.
    worker.put("/connectors/src/stop")
    user, password = f"u{db.name[2:]}", "Locked-pw-42"
    if db.pg:
        db.execute(f"CREATE ROLE {user} LOGIN SUPERUSER PASSWORD '{password}'")
    else:
        db.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
        db.execute(f"GRANT ALL ON *.* TO '{user}'@'%'")
    locked = {**config, "connection.user": user, "connection.password": password, "topic.prefix": f"{topic_name}-l-"}
    assert worker.put("/connectors/locked/config", json=locked).status_code == 201
    worker.wait_for_state("locked")
    if db.pg:
        db.execute(f"ALTER ROLE {user} NOLOGIN")
        db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (user,))
    else:
        db.execute(f"ALTER USER '{user}'@'%' ACCOUNT LOCK")
        for (conn_id,) in db.execute("SELECT id FROM information_schema.processlist WHERE user = %s", (user,)):
            try:
                db.execute(f"KILL {int(conn_id)}")
            except Exception:  # already gone
                pass
    status = worker.wait_for_task_state("locked", 0, "FAILED", timeout=30)
    assert "127.0.0.1" in status["trace"] and "Giving up after 3" in status["trace"]
    assert password not in status["trace"]
