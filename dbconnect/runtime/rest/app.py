"""The REST application: Kafka Connect's public REST API as a FastAPI app over a Herder.

``create_app(herder)`` builds the app; ``dbconnect.http.RestServer`` serves it. The app holds no
state beyond what its resources read from ``app.state`` (the herder, the logger admin, the version):
each resource translates HTTP into one Herder call and maps errors onto ``{"error_code", "message"}``.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

import dbconnect
from dbconnect.http.middleware import StripTrailingSlash
from dbconnect.runtime.distributed.peer_client import PeerClient
from dbconnect.runtime.herder import Herder
from dbconnect.runtime.rest import connectors, loggers as loggers_resource, metrics, offsets, plugins, root, tasks, ui
from dbconnect.runtime.rest._http import (
    OrjsonResponse,
    http_exception_response,
    internal_error_response,
    validation_error_response,
)
from dbconnect.runtime.rest.loggers import LoggerAdmin
from dbconnect.runtime.rest.security import RestSecurity

UNKNOWN_COMMIT = "unknown"


@functools.lru_cache(maxsize=1)
def default_commit() -> str:
    """``dbconnect.__commit__`` if the build set one, else the git commit of a source checkout
    (16 hex digits, like Kafka's), else ``unknown``."""
    commit = getattr(dbconnect, "__commit__", None)
    if commit:
        return str(commit)
    source_root = Path(dbconnect.__file__).resolve().parent.parent
    if not (source_root / ".git").exists():
        return UNKNOWN_COMMIT
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short=16", "HEAD"],
            cwd=source_root, capture_output=True, text=True, timeout=5, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN_COMMIT
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else UNKNOWN_COMMIT


def create_app(
    herder: Herder,
    *,
    loggers: LoggerAdmin | None = None,
    version: str = dbconnect.__version__,
    commit: str | None = None,
    security: RestSecurity | None = None,
    peers: PeerClient | None = None,
) -> FastAPI:
    """Build the REST app for ``herder``.

    ``loggers`` backs ``/admin/loggers`` (a process-wide ``LoggerAdmin`` by default);
    ``version``/``commit`` are reported by ``GET /`` (commit defaults to ``default_commit()``);
    ``security`` adds authentication and CORS in front of every route; ``peers`` is the worker's
    client for the other workers (forwarded requests, the cluster summary), by default one with
    ``security``'s https settings.
    """
    if loggers is None:
        loggers = LoggerAdmin()
    if commit is None:
        commit = default_commit()

    app = FastAPI(
        title="dbconnect",
        summary="Kafka Connect REST API",
        version=version,
        default_response_class=OrjsonResponse,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
        openapi_tags=[
            {"name": "root", "description": "Worker information and health"},
            {"name": "connectors", "description": "Create, configure, inspect and control connectors"},
            {"name": "connector-plugins", "description": "Installed plugins and configuration validation"},
            {"name": "admin", "description": "Runtime logger levels"},
            {"name": "metrics", "description": "Prometheus metrics and a JSON summary (docs/metrics.md)"},
        ],
    )
    app.state.herder = herder
    app.state.loggers = loggers
    app.state.version = version
    app.state.commit = commit
    app.state.peers = peers if peers is not None else _peer_client(security)

    for resource in (root, connectors, tasks, offsets, plugins, loggers_resource, metrics):
        app.include_router(resource.router)
    # The status page (static files, not part of the API's OpenAPI document).
    app.include_router(ui.router)
    worker_metrics = getattr(getattr(herder, "worker", None), "metrics", None)
    if worker_metrics is not None and hasattr(herder, "connectors"):
        worker_metrics.set_connectors_source(herder.connectors)  # every connector, even one that never started

    @app.exception_handler(StarletteHTTPException)
    async def _http_exception(_request: Request, exc: StarletteHTTPException):
        return http_exception_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError):
        return validation_error_response(exc)

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception):
        # Last resort (routes already map their own failures): still a JSON body, never a trace.
        return internal_error_response(request, exc)

    _clean_openapi(app)
    app.add_middleware(StripTrailingSlash)
    if security is not None:
        security.install(app)
    return app


def _peer_client(security: RestSecurity | None) -> PeerClient:
    return security.peer_client() if security is not None else PeerClient()


def create_metrics_app(herder: Herder, *, security: RestSecurity | None = None,
                       peers: PeerClient | None = None) -> FastAPI:
    """The app of ``metrics.listener``: only ``GET /metrics`` and ``GET /metrics/summary``, behind
    the REST API's authentication (docs/metrics.md)."""
    app = FastAPI(title="dbconnect metrics", default_response_class=OrjsonResponse, docs_url=None,
                  redoc_url=None, openapi_url=None, redirect_slashes=False)
    app.state.herder = herder
    app.state.peers = peers if peers is not None else _peer_client(security)
    app.include_router(metrics.router)

    @app.exception_handler(StarletteHTTPException)
    async def _http_exception(_request: Request, exc: StarletteHTTPException):
        return http_exception_response(exc)

    app.add_middleware(StripTrailingSlash)
    if security is not None:
        security.install(app)
    return app


def _clean_openapi(app: FastAPI) -> None:
    """Drop FastAPI's 422 responses from the OpenAPI document (this API answers 400 instead) and
    close every entity: Kafka's entities have exactly their fields, so the document says so."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
        schemas = schema.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for entity in schemas.values():
            if "properties" in entity:
                entity.setdefault("additionalProperties", False)
        if "components" in schema and not schemas:
            schema["components"].pop("schemas", None)
            if not schema["components"]:
                del schema["components"]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
