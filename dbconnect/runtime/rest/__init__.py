"""The REST layer: Kafka Connect's public REST API over a Herder.

- ``create_app(herder, *, loggers=None, version=..., commit=None)`` → the FastAPI app;
- ``RestServer(app, listeners=["http://:8083"], ...)`` serves it with uvicorn on a daemon thread;
- ``LoggerAdmin`` backs ``/admin/loggers`` over Python ``logging``.
"""

from dbconnect.runtime.rest.app import create_app
from dbconnect.runtime.rest.loggers import LoggerAdmin
from dbconnect.runtime.rest.server import RestServer

__all__ = ["LoggerAdmin", "RestServer", "create_app"]
