"""The REST layer: Kafka Connect's public REST API over a Herder, one module per resource.

Resources (each a module-level ``router``; no state, each route is one Herder call):

- ``root``       ``/``, ``/health``                              Kafka's RootResource
- ``connectors`` ``/connectors``, ``/connectors/{c}[/config|/status|/topics|/restart|/pause|/resume|/stop]``
                                                                 ConnectorsResource
- ``tasks``      ``/connectors/{c}/tasks[/{t}/status|/{t}/restart]``   ConnectorsResource (tasks)
- ``offsets``    ``/connectors/{c}/offsets``                     ConnectorsResource (KIP-875 offsets)
- ``plugins``    ``/connector-plugins``                          ConnectorPluginsResource
- ``loggers``    ``/admin/loggers`` and ``LoggerAdmin``          LoggingResource and Loggers

Around them: ``app`` assembles the FastAPI app (``create_app``) and its OpenAPI document;
``_http`` is the Connect-specific plumbing (Kafka's error mapping, body parsing, the
``app_herder`` dependency) over the shared ``dbconnect.http``; ``entities`` types the REST-only answers, while
``dbconnect.runtime.herder_entities`` types the herder's, shared with the herder that builds them.
Routes return their bodies as orjson ``Response``s, so the response models only describe them in
``/openapi.json`` and cost nothing per request; ``dbconnect.http.RestServer`` runs the app on
uvicorn (``server`` remains as an alias module of it).

Public names:
- ``create_app(herder, *, loggers=None, version=..., commit=None)`` → the FastAPI app;
- ``RestServer(app, listeners=["http://:8083"], ...)`` serves it with uvicorn on a daemon thread;
- ``LoggerAdmin`` backs ``/admin/loggers`` over Python ``logging``.
"""

from dbconnect.runtime.rest.app import create_app
from dbconnect.runtime.rest.loggers import LoggerAdmin
from dbconnect.http.server import RestServer

__all__ = ["LoggerAdmin", "RestServer", "create_app"]
