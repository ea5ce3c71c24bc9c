"""The Schema Registry REST API (Confluent's, JSON Schema only) as a FastAPI app over a SchemaStore.

``create_registry_app(store)`` builds the app; ``RestServer`` or ``EmbeddedRegistry`` serve it.
Like the Connect REST layer (dbconnect.runtime.rest) the app holds no state: each route is one
store call, and every failure leaves as ``{"error_code": …, "message": …}``, here with
Confluent's five-digit codes (``RegistryError``). Responses are
``application/vnd.schemaregistry.v1+json``; request bodies are read as JSON whatever their
content type says (Confluent's clients send the vnd type, curl users often send none).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

import dbconnect
from dbconnect.registry.server.store import (
    SCHEMA_TYPE,
    RegistryError,
    SchemaStore,
    mode_not_configured,
    parse_request_schema,
    parse_version,
)
from dbconnect.http import ErrorMappingRoute, OrjsonResponse, StripTrailingSlash, http_status_message, parse_bool

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"
MODE = "READWRITE"


class RegistryResponse(OrjsonResponse):
    media_type = MEDIA_TYPE


def _json(content: Any, status_code: int = 200) -> Response:
    return RegistryResponse(content, status_code=status_code)


def _raw(text: str) -> Response:
    """A schema document itself (the ``/schema`` endpoints), not wrapped in a JSON string."""
    return Response(content=text.encode(), media_type=MEDIA_TYPE)


def _error(status: int, error_code: int, message: str) -> Response:
    return _json({"error_code": error_code, "message": message}, status)


class RegistryRoute(ErrorMappingRoute):
    """Maps RegistryError to Confluent's error body and anything unexpected to a 500 body."""

    def known_error(self, exc: Exception) -> Response | None:
        if isinstance(exc, RegistryError):
            return _error(exc.status, exc.error_code, exc.message)
        return None

    def unexpected_error(self, request: Request, exc: Exception) -> Response:
        return _internal_error(request, exc)


def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("Uncaught exception in %s %s", request.method, request.url.path, exc_info=exc)
    return _error(500, 500, str(exc) or type(exc).__name__)


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RegistryError(400, 400, f"Unrecognized JSON in the request body: {exc}") from None


_INT_RE = re.compile(r"[0-9]{1,10}")


def _schema_id(text: str) -> int:
    # Jersey answers a path segment that is not an Integer with a plain 404.
    if not _INT_RE.fullmatch(text) or int(text) >= 2**31:
        raise RegistryError(404, 404, http_status_message(404))
    return int(text)


def _flag(value: str | None) -> bool:
    return parse_bool(value, False)


def _schema_body(entry: Any, schema: Any) -> dict[str, Any]:
    return {"subject": entry.subject, "version": entry.version, "id": schema.id,
            "schemaType": SCHEMA_TYPE, "schema": schema.text}


def _compatibility_body(messages: list[str], verbose: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"is_compatible": not messages}
    if verbose:
        body["messages"] = messages
    return body


def build_router(store: SchemaStore) -> APIRouter:
    router = APIRouter(route_class=RegistryRoute)

    @router.get("/", tags=["root"], summary="An empty object: the registry is up")
    def root() -> Response:
        return _json({})

    # -- subjects

    @router.get("/subjects", tags=["subjects"], summary="List subjects")
    def list_subjects(subjectPrefix: str = "", deleted: str | None = None,
                      deletedOnly: str | None = None) -> Response:
        return _json(store.subjects(_flag(deleted), _flag(deletedOnly), subjectPrefix or ""))

    @router.post("/subjects/{subject}", tags=["subjects"], summary="Look up a schema under a subject")
    def lookup(subject: str, deleted: str | None = None, normalize: str | None = None,
               body: Any = Depends(_body)) -> Response:
        document, _ = parse_request_schema(body)
        entry, schema = store.lookup(subject, document, _flag(deleted))
        return _json(_schema_body(entry, schema))

    @router.delete("/subjects/{subject}", tags=["subjects"], summary="Delete a subject (soft, or permanent)")
    def delete_subject(subject: str, permanent: str | None = None) -> Response:
        return _json(store.delete_subject(subject, _flag(permanent)))

    @router.get("/subjects/{subject}/versions", tags=["subjects"], summary="List a subject's versions")
    def list_versions(subject: str, deleted: str | None = None, deletedOnly: str | None = None) -> Response:
        return _json(store.versions(subject, _flag(deleted), _flag(deletedOnly)))

    @router.post("/subjects/{subject}/versions", tags=["subjects"], summary="Register a schema under a subject")
    def register(subject: str, normalize: str | None = None, body: Any = Depends(_body)) -> Response:
        document, text = parse_request_schema(body)
        schema_id = store.register(subject, document, text)
        return _json({"id": schema_id})

    @router.get("/subjects/{subject}/versions/{version}", tags=["subjects"], summary="Get a version")
    def get_version(subject: str, version: str, deleted: str | None = None) -> Response:
        entry, schema = store.get_version(subject, parse_version(version), _flag(deleted))
        return _json(_schema_body(entry, schema))

    @router.get("/subjects/{subject}/versions/{version}/schema", tags=["subjects"],
                summary="Get a version's schema document only")
    def get_version_schema(subject: str, version: str, deleted: str | None = None) -> Response:
        _, schema = store.get_version(subject, parse_version(version), _flag(deleted))
        return _raw(schema.text)

    @router.get("/subjects/{subject}/versions/{version}/referencedby", tags=["subjects"],
                summary="Ids of schemas referencing this version (always none: references are not supported)")
    def referenced_by(subject: str, version: str) -> Response:
        store.get_version(subject, parse_version(version), True)
        return _json([])

    @router.delete("/subjects/{subject}/versions/{version}", tags=["subjects"], summary="Delete a version")
    def delete_version(subject: str, version: str, permanent: str | None = None) -> Response:
        return _json(store.delete_version(subject, parse_version(version), _flag(permanent)))

    # -- schemas by id

    @router.get("/schemas/types", tags=["schemas"], summary="Schema types this registry accepts")
    def schema_types() -> Response:
        return _json([SCHEMA_TYPE])

    @router.get("/schemas/ids/{schema_id}", tags=["schemas"], summary="Get a schema by its global id")
    def get_schema(schema_id: str, subject: str | None = None) -> Response:
        schema = store.schema(_schema_id(schema_id))
        return _json({"schemaType": SCHEMA_TYPE, "schema": schema.text})

    @router.get("/schemas/ids/{schema_id}/schema", tags=["schemas"], summary="Get a schema document by id")
    def get_schema_only(schema_id: str, subject: str | None = None) -> Response:
        return _raw(store.schema(_schema_id(schema_id)).text)

    @router.get("/schemas/ids/{schema_id}/versions", tags=["schemas"],
                summary="The subject versions that hold a schema")
    def get_schema_versions(schema_id: str, deleted: str | None = None) -> Response:
        usages = store.usages(_schema_id(schema_id), _flag(deleted))
        return _json([{"subject": u.subject, "version": u.version} for u in usages])

    @router.get("/schemas/ids/{schema_id}/subjects", tags=["schemas"], summary="The subjects that hold a schema")
    def get_schema_subjects(schema_id: str, deleted: str | None = None) -> Response:
        usages = store.usages(_schema_id(schema_id), _flag(deleted))
        return _json(sorted({u.subject for u in usages}))

    # -- compatibility settings and checks

    @router.get("/config", tags=["config"], summary="The global compatibility level")
    def get_config() -> Response:
        return _json({"compatibilityLevel": store.global_level()})

    @router.put("/config", tags=["config"], summary="Set the global compatibility level")
    def put_config(body: Any = Depends(_body)) -> Response:
        return _json({"compatibility": store.set_level(None, _requested_level(body))})

    @router.delete("/config", tags=["config"], summary="Reset the global compatibility level to BACKWARD")
    def delete_config() -> Response:
        return _json({"compatibilityLevel": store.delete_level(None)})

    @router.get("/config/{subject}", tags=["config"], summary="A subject's compatibility level")
    def get_subject_config(subject: str, defaultToGlobal: str | None = None) -> Response:
        return _json({"compatibilityLevel": store.subject_level(subject, _flag(defaultToGlobal))})

    @router.put("/config/{subject}", tags=["config"], summary="Set a subject's compatibility level")
    def put_subject_config(subject: str, body: Any = Depends(_body)) -> Response:
        return _json({"compatibility": store.set_level(subject, _requested_level(body))})

    @router.delete("/config/{subject}", tags=["config"], summary="Remove a subject's compatibility level")
    def delete_subject_config(subject: str) -> Response:
        return _json({"compatibilityLevel": store.delete_level(subject)})

    @router.post("/compatibility/subjects/{subject}/versions/{version}", tags=["compatibility"],
                 summary="Test a schema against one version (or latest) of a subject")
    def test_version(subject: str, version: str, verbose: str | None = None, normalize: str | None = None,
                     body: Any = Depends(_body)) -> Response:
        return _test(subject, parse_version(version), body, _flag(verbose), every=False)

    @router.post("/compatibility/subjects/{subject}/versions", tags=["compatibility"],
                 summary="Test a schema as registering it would (against the subject's versions)")
    def test_all(subject: str, verbose: str | None = None, normalize: str | None = None,
                 body: Any = Depends(_body)) -> Response:
        return _test(subject, None, body, _flag(verbose), every=True)

    def _test(subject: str, version: int | None, body: Any, verbose: bool, every: bool) -> Response:
        try:
            document, _ = parse_request_schema(body)
        except RegistryError as exc:
            if not verbose or exc.error_code != 42201:
                raise
            return _json(_compatibility_body([exc.message], True))  # Confluent: verbose reports it
        if every:
            messages = store.test_compatibility_all(subject, document)
        else:
            messages = store.test_compatibility(subject, version, document)
        return _json(_compatibility_body(messages, verbose))

    # -- mode (this registry is always READWRITE)

    @router.get("/mode", tags=["mode"], summary="The registry mode (always READWRITE)")
    def get_mode() -> Response:
        return _json({"mode": MODE})

    @router.get("/mode/{subject}", tags=["mode"], summary="A subject's mode (never set: 40409 unless defaulted)")
    def get_subject_mode(subject: str, defaultToGlobal: str | None = None) -> Response:
        if not _flag(defaultToGlobal):
            raise mode_not_configured(subject)
        return _json({"mode": MODE})

    @router.put("/mode", tags=["mode"], summary="Set the mode (only READWRITE is supported)")
    def put_mode(body: Any = Depends(_body)) -> Response:
        mode = body.get("mode") if isinstance(body, dict) else None
        if not isinstance(mode, str) or mode.upper() != MODE:
            raise RegistryError(422, 42204, f"Invalid mode {mode}: this registry only supports READWRITE")
        return _json({"mode": MODE})

    return router


def _requested_level(body: Any) -> Any:
    if not isinstance(body, dict):
        return None
    return body.get("compatibility", body.get("compatibilityLevel"))


def create_registry_app(store: SchemaStore) -> FastAPI:
    """The registry app for ``store`` (in memory or backed by a data directory)."""
    app = FastAPI(
        title="dbconnect schema registry",
        summary="Confluent-compatible Schema Registry for JSON Schema",
        version=dbconnect.__version__,
        default_response_class=RegistryResponse,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
    )
    app.state.store = store
    app.include_router(build_router(store))

    @app.exception_handler(StarletteHTTPException)
    async def _http_exception(_request: Request, exc: StarletteHTTPException) -> Response:
        return _error(exc.status_code, exc.status_code, http_status_message(exc.status_code))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
        return _error(422, 422, "; ".join(str(e.get("msg")) for e in exc.errors()) or "Invalid request")

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> Response:
        return _internal_error(request, exc)

    app.add_middleware(StripTrailingSlash)
    return app
