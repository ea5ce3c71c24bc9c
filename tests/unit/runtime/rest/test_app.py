"""The REST app over a fake herder: errors common to every route, and /openapi.json."""

from __future__ import annotations

import logging

from dbconnect.api.errors import ConflictError, ConnectError, ForbiddenError
from tests.unit.runtime.rest.fake_herder import assert_error


def test_unknown_route_and_wrong_method(client):
    assert_error(client.get("/nope"), 404, "HTTP 404 Not Found")
    assert_error(client.get("/connectors/a/b/c/d"), 404, "HTTP 404 Not Found")
    assert_error(client.delete("/connectors"), 405, "HTTP 405 Method Not Allowed")
    assert_error(client.post("/connectors/a/config"), 405, "HTTP 405 Method Not Allowed")
    assert_error(client.get("/connectors/a/restart"), 405, "HTTP 405 Method Not Allowed")


def test_internal_error_is_500_without_trace(client, herder, caplog):
    herder.explode = RuntimeError("boom")
    with caplog.at_level(logging.ERROR, logger="dbconnect.runtime.rest"):
        response = client.get("/connectors")
    assert_error(response, 500, "boom")
    assert "Traceback" not in response.text
    assert any("Uncaught exception in REST call" in r.getMessage() for r in caplog.records)


def test_rest_error_status_codes(client, herder):
    herder.configs["x"] = {}
    herder.states["x"] = "RUNNING"
    herder.explode = ConflictError(
        "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"
    )
    assert_error(client.get("/connectors/x"), 409)
    herder.explode = ForbiddenError("no")
    assert_error(client.get("/connectors/x/config"), 403, "no")
    herder.explode = ConnectError("")
    assert_error(client.get("/connectors/x"), 500, "ConnectError")


def test_openapi(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    paths = spec["paths"]
    for path in ("/", "/health", "/connectors", "/connectors/{connector}", "/connectors/{connector}/config",
                 "/connectors/{connector}/status", "/connectors/{connector}/restart",
                 "/connectors/{connector}/tasks/{task}/status", "/connectors/{connector}/offsets",
                 "/connectors/{connector}/topics/reset", "/connector-plugins",
                 "/connector-plugins/{plugin}/config/validate", "/admin/loggers", "/admin/loggers/{logger}"):
        assert path in paths, path
    assert "/connectors/{connector}/tasks-config" not in paths
    assert paths["/connectors"]["post"]["summary"] == "Create a new connector"
    assert "requestBody" in paths["/connectors"]["post"]
    assert all(op.get("summary") and op.get("tags") for ops in paths.values() for op in ops.values())
