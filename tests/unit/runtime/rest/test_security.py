"""REST security over the app (fake herder): Basic auth on every route, CORS, refused settings."""

from __future__ import annotations

import base64

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from dbconnect.api.errors import ConfigError
from dbconnect.http.auth import hash_password
from dbconnect.runtime.rest import create_app
from dbconnect.runtime.rest.security import RestSecurity, security_settings
from tests.tls_certs import make_pki
from tests.unit.runtime.rest.fake_herder import FakeHerder, isolated_loggers

BASE = {"key.converter": "JsonConverter", "value.converter": "JsonConverter"}


@pytest.fixture(scope="module")
def credentials_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("creds") / "credentials.properties"
    path.write_text(f"# users\nadmin={hash_password('admin-pw', rounds=4)}\nops: {hash_password('ops-pw', rounds=4)}\n")
    return path


def _app(props: dict[str, str]):
    herder = FakeHerder()
    herder.configs["c"] = {"connector.class": "FileStreamSource"}
    herder.states["c"] = "RUNNING"
    app = create_app(herder, loggers=isolated_loggers()[0], security=security_settings({**BASE, **props}))
    return app, TestClient(app, base_url="http://testserver")


def _routes(routes, prefix=""):
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI >= 0.120 keeps included routers
        if included is not None:
            yield from _routes(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, (APIRoute, Route)):
            yield prefix + route.path, route.methods or ()


def _every_request(app):
    """(method, path) for every route of the app, path parameters filled: a new route is covered
    without editing this test."""
    for path, methods in _routes(app.routes):
        for name in ("connector", "task", "plugin", "logger"):
            path = path.replace("{" + name + "}", "0" if name == "task" else "c")
        assert "{" not in path, f"a path parameter this test does not know: {path}"
        for method in sorted(methods):
            if method != "HEAD":
                yield method, path


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_every_route_needs_credentials(credentials_file):
    app, client = _app({"rest.basic.auth.credentials.file": str(credentials_file), "rest.basic.auth.realm": "Connect"})
    requests = list(_every_request(app))
    paths = {path for _, path in requests}
    assert {"/", "/health", "/openapi.json", "/connectors", "/admin/loggers"} <= paths and len(requests) >= 29
    # The one route open without credentials: a worker's random instance id, which a distributed
    # worker asks of its own advertised URL at start (two workers on one URL), as a Java worker's
    # internal requests pass Kafka's JaasBasicAuthFilter.
    assert client.get("/connect-worker-instance").status_code == 200
    requests = [(m, p) for m, p in requests if p != "/connect-worker-instance"]
    for method, path in requests:
        for headers in ({}, _basic("admin", "wrong"), _basic("nobody", "admin-pw"), {"Authorization": "Bearer x"}):
            response = client.request(method, path, headers=headers, json={})
            where = f"{method} {path} {headers}"
            assert response.status_code == 401, where
            assert response.headers["www-authenticate"] == 'Basic realm="Connect", charset="UTF-8"', where
            assert response.json() == {"error_code": 401, "message": "User cannot access the resource."}, where
        for user, password in (("admin", "admin-pw"), ("ops", "ops-pw")):
            response = client.request(method, path, headers=_basic(user, password), json={})
            assert response.status_code != 401, f"{method} {path}: {response.text}"
    ok = _basic("admin", "admin-pw")
    # (The loop above deleted connector c with the right credentials.)
    assert client.get("/connectors", headers=ok).json() == []
    assert client.get("/connectors/", headers={}).status_code == 401  # trailing slash: same rule
    assert client.get("/nope", headers={}).status_code == 401  # unknown paths reveal nothing either
    assert client.get("/nope", headers=ok).status_code == 404


def test_openapi_documents_basic_auth_and_401(credentials_file):
    app, client = _app({"rest.basic.auth.credentials.file": str(credentials_file)})
    spec = client.get("/openapi.json", headers=_basic("admin", "admin-pw")).json()
    assert spec["components"]["securitySchemes"]["basicAuth"] == {
        "type": "http", "scheme": "basic", "description": "The users of rest.basic.auth.credentials.file"}
    assert spec["security"] == [{"basicAuth": []}]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorMessage"}, (method, path)
    _, plain = _app({})
    assert "securitySchemes" not in plain.get("/openapi.json").json().get("components", {})


def test_credentials_file_errors(tmp_path):
    plain = tmp_path / "plain.properties"
    plain.write_text("admin=admin-secret\n")
    with pytest.raises(ConfigError) as info:
        security_settings({**BASE, "rest.basic.auth.credentials.file": str(plain)})
    assert "not a bcrypt hash" in str(info.value) and "admin-secret" not in str(info.value)
    with pytest.raises(ConfigError, match=r"rest.basic.auth.credentials.file=.*missing.properties: cannot read it"):
        security_settings({**BASE, "rest.basic.auth.credentials.file": str(tmp_path / "missing.properties")})


def test_no_cors_headers_by_default():
    _, client = _app({})
    response = client.get("/connectors", headers={"Origin": "https://ui.example.com"})
    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers
    preflight = client.options("/connectors", headers={
        "Origin": "https://ui.example.com", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_preflight_passes_before_authentication(credentials_file):
    _, client = _app({"access.control.allow.origin": "https://ui.example.com,https://*.corp.example",
                      "rest.basic.auth.credentials.file": str(credentials_file)})
    preflight = client.options("/connectors", headers={
        "Origin": "https://ui.example.com", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://ui.example.com"
    # Kafka's (Jetty's) default methods: GET, POST, HEAD.
    assert set(preflight.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST", "HEAD"}
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    wildcard = client.options("/connectors", headers={
        "Origin": "https://team.corp.example", "Access-Control-Request-Method": "GET"})
    assert wildcard.headers["access-control-allow-origin"] == "https://team.corp.example"
    # A method not allowed, an origin not allowed: refused, no allow-origin for the stranger.
    delete = client.options("/connectors/c", headers={
        "Origin": "https://ui.example.com", "Access-Control-Request-Method": "DELETE"})
    assert delete.status_code == 400
    stranger = client.options("/connectors", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert stranger.status_code == 400 and "access-control-allow-origin" not in stranger.headers
    # The actual request still needs credentials, and carries the CORS header.
    assert client.get("/connectors", headers={"Origin": "https://ui.example.com"}).status_code == 401
    ok = client.get("/connectors", headers={"Origin": "https://ui.example.com", **_basic("admin", "admin-pw")})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://ui.example.com"


def test_cors_methods_setting():
    _, client = _app({"access.control.allow.origin": "*", "access.control.allow.methods": "GET,PUT,DELETE"})
    preflight = client.options("/connectors/c", headers={"Origin": "https://a.example",
                                                          "Access-Control-Request-Method": "DELETE"})
    assert preflight.status_code == 200
    assert set(preflight.headers["access-control-allow-methods"].split(", ")) == {"GET", "PUT", "DELETE"}
    with pytest.raises(ConfigError, match="access.control.allow.methods is set but access.control.allow.origin is not"):
        security_settings({**BASE, "access.control.allow.methods": "GET"})
    with pytest.raises(ConfigError, match="Invalid value G ET for access.control.allow.methods"):
        security_settings({**BASE, "access.control.allow.origin": "*", "access.control.allow.methods": "G ET"})


def test_rest_extension_classes_are_refused_with_what_to_use_instead():
    kafka = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"
    with pytest.raises(ConfigError) as info:
        security_settings({**BASE, "rest.extension.classes": kafka})
    message = str(info.value)
    assert message.startswith(f"rest.extension.classes={kafka}: dbconnect cannot load REST extensions")
    assert "rest.basic.auth.credentials.file" in message and "dbconnect passwd" in message
    with pytest.raises(ConfigError, match=r"rest.extension.classes=com.example.MyExtension: dbconnect cannot"):
        security_settings({**BASE, "rest.extension.classes": "com.example.MyExtension"})
    assert security_settings({**BASE, "rest.extension.classes": ""}) == RestSecurity()


def test_tls_settings_are_checked_at_start(tmp_path):
    pki = make_pki(tmp_path)
    https = {**BASE, "listeners": "https://127.0.0.1:0"}
    with pytest.raises(ConfigError, match="An https listener needs listeners.https.ssl.keystore.location"):
        security_settings({**https, "listeners.https.ssl.client.auth": "none"})
    with pytest.raises(ConfigError, match="An https listener needs ssl.keystore.location"):
        security_settings(https)
    with pytest.raises(ConfigError, match=r"listeners.https.ssl.keystore.location=.*nope.pem: no such file"):
        security_settings({**https, "listeners.https.ssl.keystore.location": str(tmp_path / "nope.pem")})
    # A certificate without its key: cannot load.
    with pytest.raises(ConfigError, match="cannot load the private key and certificate chain"):
        security_settings({**https, "listeners.https.ssl.keystore.location": str(pki.server_cert)})
    keystore = tmp_path / "keystore.pem"
    keystore.write_bytes(pki.server_key.read_bytes() + pki.server_cert.read_bytes())
    ok = security_settings({**https, "listeners.https.ssl.keystore.location": str(keystore)})
    assert ok.tls is not None and ok.tls.client_auth == "none"
    # Kafka's all-or-nothing: the plain ssl.* keys when no listeners.https.* key is set.
    assert security_settings({**https, "ssl.keystore.location": str(keystore)}).tls.keystore == str(keystore)
    with pytest.raises(ConfigError, match="listeners.https.ssl.client.auth=required needs listeners.https.ssl.truststore.location"):
        security_settings({**https, "listeners.https.ssl.keystore.location": str(keystore),
                           "listeners.https.ssl.client.auth": "required"})
    with pytest.raises(ConfigError, match="listeners.https.ssl.cipher.suites: not supported for the REST listeners"):
        security_settings({**https, "listeners.https.ssl.keystore.location": str(keystore),
                           "listeners.https.ssl.cipher.suites": "TLS_AES_128_GCM_SHA256"})
    with pytest.raises(ConfigError, match="listeners.https.ssl.keystore.password applies to JKS/PKCS12"):
        security_settings({**https, "listeners.https.ssl.keystore.location": str(keystore),
                           "listeners.https.ssl.keystore.password": "x"})
    with pytest.raises(ConfigError, match="no listener is https"):
        security_settings({**BASE, "listeners.https.ssl.keystore.location": str(keystore)})
    with pytest.raises(ConfigError, match="String must be one of \\(case insensitive\\): PEM"):
        security_settings({**https, "listeners.https.ssl.keystore.type": "JKS"})


def test_response_header_rules_apply_to_every_answer(credentials_file):
    rules = 'set X-Frame-Options: DENY,"add Cache-Control: no-cache, no-store",addDate Expires: 3600000'
    _, client = _app({"response.http.headers.config": rules,
                      "rest.basic.auth.credentials.file": str(credentials_file)})
    for response in (client.get("/connectors"), client.get("/connectors", headers=_basic("admin", "admin-pw")),
                     client.get("/nope", headers=_basic("admin", "admin-pw"))):
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-cache, no-store"
        assert response.headers["expires"].endswith(" GMT")
    _, plain = _app({})
    assert "x-frame-options" not in plain.get("/connectors").headers


@pytest.mark.parametrize("rules, message", [
    ("X-Frame-Options: DENY", "expected '\\[action\\] \\[header name\\]:\\[header value\\]'"),
    ("replace X-Frame-Options: DENY", "Invalid action 'replace'"),
    ("setDate Expires: tomorrow", "setDate takes a number of milliseconds"),
])
def test_invalid_response_header_rules_are_refused(rules, message):
    with pytest.raises(ConfigError, match=message):
        security_settings({**BASE, "response.http.headers.config": rules})


def test_internal_task_configs_pass_basic_auth_only_with_a_signature(credentials_file):
    """POST /connectors/<n>/tasks (a follower's task configs for the leader) is let through on its
    KIP-507 signature, which the herder checks (here the standalone herder refuses the request)."""
    _app_, client = _app({"rest.basic.auth.credentials.file": str(credentials_file)})
    unsigned = client.post("/connectors/c/tasks", json=[])
    assert unsigned.status_code == 401
    signed = client.post("/connectors/c/tasks", json=[], headers={"X-Connect-Authorization": "x",
                                                                  "X-Connect-Request-Signature-Algorithm": "HmacSHA256"})
    assert signed.status_code not in (401, 200, 201, 204), signed.text
    # Only that path: a signature header opens nothing else.
    assert client.post("/connectors", json={}, headers={"X-Connect-Authorization": "x"}).status_code == 401
