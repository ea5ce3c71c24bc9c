"""REST security on a real worker: Basic authentication on every documented operation, https
listeners with a certificate made by the test, client certificates, http and https at once."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from dbconnect.api.errors import ConfigError
from dbconnect.runtime.connect import StandaloneConnect
from tests.integration.conftest import worker_properties
from tests.integration.test_rest_openapi import test_real_answers_match_the_documented_schemas as every_operation
from tests.rest_conformance import OpenApiConformance
from tests.tls_certs import CLIENT_KEY_PASSWORD, make_pki

ADMIN = ("admin", "correct horse")
UNAUTHORIZED = {"error_code": 401, "message": "User cannot access the resource."}


@pytest.fixture
def credentials_file(tmp_path):
    path = tmp_path / "rest-credentials.properties"
    # The README's way: dbconnect passwd, the password on standard input.
    subprocess.run([sys.executable, "-m", "dbconnect.cli", "passwd", str(path), ADMIN[0], "--rounds", "6"],
                   input=ADMIN[1] + "\n", text=True, check=True, capture_output=True)
    return path


@pytest.fixture
def pki(tmp_path):
    pki = make_pki(tmp_path / "pki")
    keystore = tmp_path / "pki" / "keystore.pem"
    keystore.write_bytes(pki.server_key.read_bytes() + pki.server_cert.read_bytes())
    return pki, keystore


def _fill(path: str) -> str:
    return path.format(connector="c", task="0", plugin="FileStreamSource", logger="root")


def test_every_operation_answers_401_without_credentials_and_works_with_them(
        start_worker, credentials_file, tmp_path, topic_name):
    worker = start_worker(credentials=ADMIN, **{"rest.basic.auth.credentials.file": str(credentials_file),
                                                "rest.basic.auth.realm": "connect-test"})
    # The right credentials: every documented operation called, each answered with a success at
    # least once (the whole conformance walk of test_rest_openapi.py, through the worker's client).
    every_operation(worker, tmp_path, topic_name)

    api = OpenApiConformance(worker)
    assert "401" in api.spec["paths"]["/connectors"]["get"]["responses"]
    for method, path in api.operations():
        for auth in (None, (ADMIN[0], "wrong"), ("nobody", ADMIN[1])):
            response = requests.request(method, worker.url + _fill(path), auth=auth, json={}, timeout=30)
            where = f"{method.upper()} {path} auth={auth}"
            assert response.status_code == 401, where
            assert response.json() == UNAUTHORIZED, where
            assert response.headers["WWW-Authenticate"] == 'Basic realm="connect-test", charset="UTF-8"', where
            api.check(method, path, response)  # 401 is documented with its body
    assert requests.get(worker.url + "/openapi.json", timeout=30).status_code == 401
    assert requests.get(worker.url + "/", auth=ADMIN, timeout=30).status_code == 200


def test_https_listener_with_a_test_certificate(start_worker, pki, credentials_file):
    pki, keystore = pki
    worker = start_worker(credentials=ADMIN, **{
        "listeners": "https://localhost:0",
        "rest.advertised.host.name": "localhost",
        "listeners.https.ssl.keystore.location": str(keystore),
        "listeners.https.ssl.truststore.location": str(pki.ca),
        "rest.basic.auth.credentials.file": str(credentials_file),
    })
    assert worker.url.startswith("https://localhost:")
    assert worker.connect.rest.advertised_url.startswith("https://localhost:")
    # The worker's own client trusts the configured truststore, and checks it.
    assert worker.get("/").status_code == 200
    assert worker.get("/connectors").json() == []
    # A client that does not trust the test CA refuses the server.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(worker.url + "/", auth=ADMIN, timeout=30)
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(worker.url + "/", auth=ADMIN, verify=str(pki.wrong_ca), timeout=30)
    # Host name checks: 127.0.0.1 is not in the certificate.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(worker.url.replace("localhost", "127.0.0.1") + "/", auth=ADMIN, verify=str(pki.ca), timeout=30)
    # Plain HTTP to the TLS port gets no answer from the API.
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(worker.url.replace("https://", "http://") + "/", auth=ADMIN, timeout=30)
    # Auth still applies over TLS.
    assert requests.get(worker.url + "/", verify=str(pki.ca), timeout=30).status_code == 401


def test_http_and_https_listeners_at_once_and_client_certificates(start_worker, pki, tmp_path):
    pki, keystore = pki
    worker = start_worker(**{
        "listeners": "http://127.0.0.1:0,https://localhost:0",
        "listeners.https.ssl.keystore.location": str(keystore),
        "listeners.https.ssl.truststore.location": str(pki.ca),
        "listeners.https.ssl.client.auth": "required",
    })
    rest = worker.connect.rest
    http_url, https_url = rest.urls
    assert http_url.startswith("http://127.0.0.1:") and https_url.startswith("https://localhost:")
    # Kafka advertises the http listener unless rest.advertised.listener says otherwise.
    assert worker.url == http_url
    assert requests.get(http_url + "/", timeout=30).status_code == 200
    client_cert = (str(pki.client_cert), str(_decrypted_client_key(pki, tmp_path)))
    assert requests.get(https_url + "/", verify=str(pki.ca), cert=client_cert, timeout=30).status_code == 200
    # ssl.client.auth=required: no client certificate, no answer.
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        requests.get(https_url + "/", verify=str(pki.ca), timeout=30)


def test_advertised_https_listener(broker, tmp_path, pki):
    pki, keystore = pki
    connect = StandaloneConnect(worker_properties(broker, tmp_path, **{
        "listeners": "http://127.0.0.1:0,https://localhost:0", "rest.advertised.listener": "https",
        "rest.advertised.host.name": "localhost",
        "listeners.https.ssl.keystore.location": str(keystore)}))
    connect.start()
    try:
        assert connect.url.startswith("https://localhost:") and connect.rest.advertised_url == connect.url
        assert connect.worker.worker_id == connect.url.split("://", 1)[1]
        session = connect.security.client_session()
        with pytest.raises(requests.exceptions.SSLError):  # no truststore: the system CAs do not know the test CA
            session.get(connect.url + "/", timeout=30)
        assert requests.get(connect.url + "/", verify=str(pki.ca), timeout=30).status_code == 200
    finally:
        connect.stop()


def test_bad_security_settings_stop_the_worker_before_it_listens(broker, tmp_path, credentials_file):
    extension = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"
    with pytest.raises(ConfigError, match="rest.extension.classes=.*rest.basic.auth.credentials.file"):
        StandaloneConnect(worker_properties(broker, tmp_path, **{"rest.extension.classes": extension}))
    with pytest.raises(ConfigError, match="An https listener needs listeners.https.ssl.keystore.location"):
        StandaloneConnect(worker_properties(broker, tmp_path, **{
            "listeners": "https://127.0.0.1:0", "listeners.https.ssl.client.auth": "none"}))
    plain = tmp_path / "plain.properties"
    plain.write_text("admin: admin-password\n")  # Kafka's PropertyFileLoginModule file, as is
    with pytest.raises(ConfigError, match="not a bcrypt hash") as info:
        StandaloneConnect(worker_properties(broker, tmp_path, **{"rest.basic.auth.credentials.file": str(plain)}))
    assert "admin-password" not in str(info.value)


def _decrypted_client_key(pki, tmp_path):
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(pki.client_key.read_bytes(), CLIENT_KEY_PASSWORD.encode())
    path = tmp_path / "client-plain.key"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path


def test_encrypted_server_key_needs_its_password(broker, tmp_path, pki):
    from cryptography.hazmat.primitives import serialization

    pki, _ = pki
    key = serialization.load_pem_private_key(pki.server_key.read_bytes(), None)
    encrypted = tmp_path / "encrypted-keystore.pem"
    encrypted.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.BestAvailableEncryption(b"key-secret"))
                          + pki.server_cert.read_bytes())
    props = {"listeners": "https://localhost:0", "listeners.https.ssl.keystore.location": str(encrypted)}
    with pytest.raises(ConfigError, match="an encrypted key needs listeners.https.ssl.key.password"):
        StandaloneConnect(worker_properties(broker, tmp_path, **props))
    connect = StandaloneConnect(worker_properties(broker, tmp_path, **props, **{"listeners.https.ssl.key.password": "key-secret"}))
    connect.start()
    try:
        assert requests.get(connect.url + "/", verify=str(pki.ca), timeout=30).status_code == 200
    finally:
        connect.stop()


def test_the_workers_own_client_checks_host_names_unless_told_not_to(start_worker, pki):
    pki, keystore = pki
    tls = {"listeners": "https://127.0.0.1:0",  # the certificate names localhost only
           "listeners.https.ssl.keystore.location": str(keystore),
           "listeners.https.ssl.truststore.location": str(pki.ca)}
    checked = start_worker(**tls)
    with pytest.raises(requests.exceptions.SSLError, match="match|mismatch|hostname"):
        checked.get("/")
    unchecked = start_worker(**tls, **{"listeners.https.ssl.endpoint.identification.algorithm": ""})
    assert unchecked.get("/").status_code == 200
    # The chain is still checked: a session trusting another CA fails.
    wrong = start_worker(**{**tls, "listeners.https.ssl.truststore.location": str(pki.wrong_ca),
                            "listeners.https.ssl.endpoint.identification.algorithm": ""})
    with pytest.raises(requests.exceptions.SSLError):
        wrong.get("/")


def test_a_posted_python_path_runs_no_code_unless_it_names_a_plugin_class(worker, tmp_path, monkeypatch, topic_name):
    marker = tmp_path / "imported.marker"
    module = f"restsec_side_effect_{topic_name.rsplit('-', 1)[1]}"
    (tmp_path / f"{module}.py").write_text(f"open({str(marker)!r}, 'w').close()\nfrom os import system as setup\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name, expected in [
        ("antigravity.Connector", "Refusing to load antigravity.Connector: antigravity is a module of Python's standard library"),
        (f"{module}.setup", f"Refusing to load {module}.setup: module {module} ("),
        (f"{module}.MyConnector", f"Refusing to load {module}.MyConnector: module {module} ("),
    ]:
        config = {"connector.class": name, "topic": topic_name}
        for response in (worker.post("/connectors", json={"name": "x", "config": config}),
                         worker.put("/connectors/x/config", json=config),
                         worker.put(f"/connector-plugins/{name}/config/validate", json=config)):
            assert response.status_code == 400, response.text
            assert response.json()["message"].startswith(expected), response.text
    assert not marker.exists()
    assert "antigravity" not in sys.modules and module not in sys.modules
    assert worker.get("/connectors").json() == []
