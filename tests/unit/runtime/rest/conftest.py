"""The REST unit tests' fixtures: a fake herder, isolated loggers, and a client of the app over both."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dbconnect.runtime.rest import LoggerAdmin, create_app
from tests.unit.runtime.rest.fake_herder import FakeHerder, isolated_loggers


@pytest.fixture
def herder() -> FakeHerder:
    return FakeHerder()


@pytest.fixture
def loggers() -> LoggerAdmin:
    return isolated_loggers()[0]


@pytest.fixture
def client(herder: FakeHerder, loggers: LoggerAdmin) -> TestClient:
    app = create_app(herder, loggers=loggers, version="9.9.9", commit="0123456789abcdef")
    return TestClient(app, base_url="http://testserver")
