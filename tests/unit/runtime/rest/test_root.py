"""REST root routes over a fake herder: / and /health."""

from __future__ import annotations

from fastapi.testclient import TestClient

from dbconnect.runtime.rest import create_app


def test_root(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.json() == {"version": "9.9.9", "commit": "0123456789abcdef", "kafka_cluster_id": "cluster-1"}


def test_root_defaults(herder):
    import dbconnect

    body = TestClient(create_app(herder)).get("/").json()
    assert body["version"] == dbconnect.__version__
    assert isinstance(body["commit"], str) and body["commit"]


def test_health(client, herder):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "healthy",
        "message": "Worker has completed startup and is ready to handle requests.",
    }
    herder.ready = False
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "starting"
    assert response.json()["message"] == "Worker is still starting up."
