"""RestServer: serving the app over HTTP, a port in use, listeners."""

from __future__ import annotations

import socket

import httpx
import pytest

from dbconnect.api.errors import ConfigError, ConnectError
from dbconnect.runtime.rest import RestServer, create_app


def test_rest_server_serves_over_http(herder):
    server = RestServer(create_app(herder, version="9.9.9", commit="c"), ["http://127.0.0.1:0"])
    server.start()
    try:
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.advertised_url == f"http://127.0.0.1:{server.port}"
        response = httpx.get(server.url + "/", timeout=5)
        assert response.status_code == 200
        assert response.json() == {"version": "9.9.9", "commit": "c", "kafka_cluster_id": "cluster-1"}
        missing = httpx.get(server.url + "/connectors/none", timeout=5)
        assert missing.status_code == 404
        assert missing.json() == {"error_code": 404, "message": "Connector none not found"}
    finally:
        server.stop()
    assert not server.running
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{server.port or 1}/", timeout=1)


def test_rest_server_port_in_use(herder):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        server = RestServer(create_app(herder), [f"http://127.0.0.1:{port}"])
        with pytest.raises(ConnectError, match="already in use"):
            server.start()
        assert not server.running
    finally:
        blocker.close()


def test_rest_server_listener_config():
    app = object()
    with pytest.raises(ConfigError, match="An https listener needs TLS settings: listeners.https.ssl.keystore.location"):
        RestServer(app, ["https://:8443"])
    with pytest.raises(ConfigError, match="rest.advertised.listener=https names a protocol that no listener uses"):
        RestServer(app, ["http://:8083"], advertised_listener="https")
    with pytest.raises(ConfigError, match="Unsupported protocol 'ftp'"):
        RestServer(app, ["ftp://:8083"])
    with pytest.raises(ConfigError):
        RestServer(app, ["localhost:8083"])
    server = RestServer(app)  # default http://:8083, all interfaces
    assert server.port == 8083
    assert server.url == "http://127.0.0.1:8083"
    advertised = RestServer(app, ["http://:0"], advertised_host="connect-1", advertised_port=18083)
    assert advertised.advertised_url == "http://connect-1:18083"
    assert RestServer(app, "http://[::1]:9000").url == "http://[::1]:9000"
