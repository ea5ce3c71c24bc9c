"""dbconnect.http, the HTTP plumbing both apps share, and the API's errors without HTTP (issue 13)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import dbconnect.api
from dbconnect.api import errors as api_errors
from dbconnect.http import ErrorMappingRoute, RestError, http_status
from dbconnect.registry.server.app import RegistryRoute, create_registry_app
from dbconnect.registry.server.store import SchemaStore
from dbconnect.runtime.rest._http import ConnectRoute


@pytest.mark.parametrize("cls, status", [
    (api_errors.BadRequestError, 400),
    (api_errors.ForbiddenError, 403),
    (api_errors.NotFoundError, 404),
    (api_errors.AlreadyExistsError, 409),
    (api_errors.ConflictError, 409),
    (api_errors.RequestTimeoutError, 500),
])
def test_the_api_errors_are_plain_and_the_http_module_gives_their_status(cls, status):
    error = cls("no")
    assert isinstance(error, api_errors.ConnectError)
    assert not hasattr(error, "status_code")  # the API knows nothing of HTTP
    assert http_status(error) == status


def test_rest_error_carries_its_status_and_lives_in_the_http_module():
    assert http_status(RestError("teapot", 418)) == 418
    assert http_status(api_errors.ConnectError("boom")) is None  # unexpected: logged, then 500
    assert not hasattr(dbconnect.api, "RestError") and not hasattr(api_errors, "RestError")


def test_both_apps_use_the_one_route_class():
    for route in (ConnectRoute, RegistryRoute):
        assert issubclass(route, ErrorMappingRoute)
        assert "get_route_handler" not in vars(route)  # the handler is written once, in dbconnect.http


def test_the_registry_answers_its_errors_and_a_trailing_slash_through_the_shared_pieces():
    client = TestClient(create_registry_app(SchemaStore(None)), raise_server_exceptions=False)
    assert client.get("/subjects/").json() == []
    missing = client.get("/subjects/nope/versions")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/vnd.schemaregistry.v1+json"
    assert missing.json()["error_code"] == 40401
