"""Session-wide real services for the whole suite.

Each fixture starts its server the first time a test asks for it and stops it
when the session ends, so a run of unit tests alone starts nothing.  The
servers live on free loopback ports in temp dirs (see dbconnect.embedded).
"""

from __future__ import annotations

import re
import uuid
from typing import Iterator

import pytest

from dbconnect.embedded import EmbeddedBroker, EmbeddedMariaDB, EmbeddedPostgres, EmbeddedRegistry


_LEAK_WATCH_OF_WORKERS: list[list[int]] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """pytest-xdist's controller: collect each worker's secret leak watch figures."""
    figures = getattr(node, "workeroutput", {}).get("secret_leak_watch")
    if figures:
        _LEAK_WATCH_OF_WORKERS.append(figures)


def pytest_terminal_summary(terminalreporter) -> None:
    # Without xdist, tests/integration/conftest.py prints the watch's line itself.
    if _LEAK_WATCH_OF_WORKERS:
        passwords = "+".join(str(f[0]) for f in _LEAK_WATCH_OF_WORKERS)
        texts = sum(f[1] for f in _LEAK_WATCH_OF_WORKERS)
        leaks = sum(f[2] for f in _LEAK_WATCH_OF_WORKERS)
        terminalreporter.write_line(
            f"secret leak watch ({len(_LEAK_WATCH_OF_WORKERS)} xdist workers): {passwords} test passwords searched in "
            f"{texts} REST bodies and log records: {leaks} leak(s)")


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as server:
        yield server


@pytest.fixture(scope="session")
def postgres() -> Iterator[EmbeddedPostgres]:
    with EmbeddedPostgres() as server:
        yield server


@pytest.fixture(scope="session")
def mariadb() -> Iterator[EmbeddedMariaDB]:
    with EmbeddedMariaDB() as server:
        yield server


@pytest.fixture(scope="session")
def schema_registry() -> Iterator[EmbeddedRegistry]:
    """An in-memory Schema Registry (dbconnect.registry) on a free port, in this process."""
    with EmbeddedRegistry() as server:
        yield server


@pytest.fixture
def topic_name(request: pytest.FixtureRequest) -> str:
    """A topic name no other test uses (readable prefix from the test name, random suffix).

    The broker is shared by the whole session, so tests must never share topics.
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name).strip("-")[:80]
    return f"{stem}-{uuid.uuid4().hex[:8]}"
