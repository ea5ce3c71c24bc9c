"""The answers a real standalone worker never gives (topic tracking on, a starting or broken worker, a
conflict, an internal error) still match what ``/openapi.json`` documents; the fake herder gives them.
The real worker's answers are checked in tests/integration/test_rest_openapi.py."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dbconnect.api.errors import ConflictError
from dbconnect.runtime.rest import create_app
from tests.rest_conformance import OpenApiConformance
from tests.unit.runtime.rest.fake_herder import SOURCE_CONFIG, FakeHerder, isolated_loggers


@pytest.fixture
def herder() -> FakeHerder:
    return FakeHerder()


@pytest.fixture
def api(herder) -> OpenApiConformance:
    app = create_app(herder, loggers=isolated_loggers()[0], version="9.9.9", commit="0123456789abcdef")
    return OpenApiConformance(TestClient(app, base_url="http://testserver"))


def test_topic_tracking_answers(api):
    assert api.call("post", "/connectors", json={"name": "src", "config": SOURCE_CONFIG}).status_code == 201
    assert api.call("get", "/connectors/{connector}/topics", {"connector": "src"}).json() == {"src": {"topics": ["t1"]}}
    assert api.call("put", "/connectors/{connector}/topics/reset", {"connector": "src"}).status_code == 202


def test_health_while_starting_and_when_broken(api, herder):
    herder.ready = False
    assert api.call("get", "/health").status_code == 503

    def broken() -> bool:
        raise RuntimeError("the herder is gone")

    herder.is_ready = broken
    assert api.call("get", "/health").status_code == 500


def test_conflict_and_internal_error(api, herder):
    assert api.call("post", "/connectors", json={"name": "src", "config": SOURCE_CONFIG}).status_code == 201
    herder.explode = ConflictError("Cannot complete request because of a conflicting operation (e.g. worker rebalance)")
    assert api.call("get", "/connectors/{connector}", {"connector": "src"}).status_code == 409
    assert api.call("delete", "/connectors/{connector}", {"connector": "src"}).status_code == 409
    herder.explode = RuntimeError("boom")
    assert api.call("get", "/connectors").status_code == 500
    assert api.call("get", "/connectors/{connector}/offsets", {"connector": "src"}).status_code == 500


def test_validate_of_a_plugin_name_with_a_slash(api):
    # Starlette routes on the decoded path: "a%2Fb" is two segments and matches no route.
    assert api.call("put", "/connector-plugins/{plugin}/config/validate", {"plugin": "a%2Fb"},
                    json={"connector.class": "a"}).status_code == 404
