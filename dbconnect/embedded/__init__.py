"""Real servers on free loopback ports, started and stopped from Python.

Used by the test suite (session fixtures in tests/conftest.py), the benchmark
scripts and ``dbconnect demo``::

    from dbconnect.embedded import EmbeddedBroker, EmbeddedPostgres, EmbeddedMariaDB

    with EmbeddedBroker() as broker, EmbeddedPostgres() as pg:
        print(broker.bootstrap_servers, pg.jdbc_url())

Each server gets a private temp dir, waits until it really answers before
``start()`` returns, and is stopped at interpreter exit if nobody else did.
"""

from .broker import EmbeddedBroker
from .mariadb import EmbeddedMariaDB
from .ports import EmbeddedServer, EmbeddedServerError, ServerTls, free_port
from .postgres import EmbeddedPostgres
from .registry import EmbeddedRegistry

__all__ = [
    "EmbeddedBroker",
    "EmbeddedMariaDB",
    "EmbeddedPostgres",
    "EmbeddedRegistry",
    "EmbeddedServer",
    "EmbeddedServerError",
    "ServerTls",
    "free_port",
]
