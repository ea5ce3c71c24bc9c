"""REST /admin/loggers routes and the LoggerAdmin behind them."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from dbconnect.api.errors import BadRequestError, NotFoundError
from dbconnect.runtime.rest import create_app
from tests.unit.runtime.rest.fake_herder import assert_error, isolated_loggers


def test_loggers_endpoints(client, loggers):
    manager = loggers._manager
    manager.getLogger("org.example.a")
    manager.getLogger("org.example.b").setLevel(logging.DEBUG)

    listed = client.get("/admin/loggers")
    assert listed.status_code == 200
    body = listed.json()
    assert body["root"] == {"level": "INFO", "last_modified": None}
    assert body["org.example.b"] == {"level": "DEBUG", "last_modified": None}
    assert body["org.example.a"] == {"level": "INFO", "last_modified": None}
    assert list(body) == sorted(body)

    one = client.get("/admin/loggers/org.example.b")
    assert one.status_code == 200 and one.json() == {"level": "DEBUG", "last_modified": None}
    assert client.get("/admin/loggers/ROOT").json()["level"] == "INFO"
    assert_error(client.get("/admin/loggers/no.such"), 404, "Logger no.such not found.")

    changed = client.put("/admin/loggers/org.example", json={"level": "warn"})
    assert changed.status_code == 200
    assert changed.json() == ["org.example", "org.example.a", "org.example.b"]
    assert client.get("/admin/loggers/org.example.a").json() == {"level": "WARN", "last_modified": 1700000000500}
    assert manager.getLogger("org.example.b").getEffectiveLevel() == logging.WARNING

    # unchanged loggers are not reported again
    assert client.put("/admin/loggers/org.example", json={"level": "WARN"}).json() == []


def test_loggers_put_errors(client):
    assert_error(client.put("/admin/loggers/x", json={"level": "LOUD"}), 404, "invalid log level 'LOUD'.")
    assert_error(client.put("/admin/loggers/x", json={}), 400, "Desired 'level' parameter was not specified in request.")
    assert_error(client.put("/admin/loggers/x", json={"level": None}), 400)
    assert_error(client.put("/admin/loggers/x", content=b""), 400)
    assert_error(client.put("/admin/loggers/x", json=["DEBUG"]), 400)


def test_loggers_cluster_scope(client, loggers):
    response = client.put("/admin/loggers/org.cluster?scope=cluster", json={"level": "TRACE"})
    assert response.status_code == 204
    assert response.content == b""
    assert client.get("/admin/loggers/org.cluster").json()["level"] == "TRACE"
    # unknown scope: treated as worker
    response = client.put("/admin/loggers/org.cluster?scope=galaxy", json={"level": "ERROR"})
    assert response.status_code == 200 and response.json() == ["org.cluster"]


def test_logger_admin_levels_and_root():
    admin, manager = isolated_loggers()
    child = manager.getLogger("a.b.c")
    assert admin.set_level("root", "ERROR") == sorted(["root", "a.b.c"])
    assert child.getEffectiveLevel() == logging.ERROR
    assert admin.level("root") == {"level": "ERROR", "last_modified": 1700000000500}
    admin.set_level("a", "OFF")
    assert "a.b.c" not in admin.loggers()  # OFF loggers are not listed
    assert admin.level("a.b.c")["level"] == "OFF"
    admin.set_level("a.b", "ALL")
    assert admin.level("a.b.c")["level"] == "ALL"
    with pytest.raises(NotFoundError):
        admin.set_level("a", "verbose")
    with pytest.raises(BadRequestError):
        admin.set_level("a", None)
    assert admin.set_level("a", "FATAL", scope="cluster") is None
    assert admin.level("a")["level"] == "FATAL"


def test_default_logger_admin_uses_process_logging(herder):
    name = "dbconnect.tests.rest.defaultadmin"
    logger = logging.getLogger(name)
    previous = logger.level
    try:
        client = TestClient(create_app(herder))
        assert client.put(f"/admin/loggers/{name}", json={"level": "DEBUG"}).status_code == 200
        assert logger.level == logging.DEBUG
        assert client.get(f"/admin/loggers/{name}").json()["level"] == "DEBUG"
    finally:
        logger.setLevel(previous)
