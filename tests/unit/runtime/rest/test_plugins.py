"""REST /connector-plugins routes over a fake herder: the list, a plugin's config, validate."""

from __future__ import annotations

from tests.unit.runtime.rest.fake_herder import assert_error


def test_connector_plugins(client, herder):
    only = client.get("/connector-plugins")
    assert only.status_code == 200
    assert [p["type"] for p in only.json()] == ["source"]
    assert herder.calls[-1] == ("plugins", True)
    everything = client.get("/connector-plugins?connectorsOnly=false")
    assert [p["type"] for p in everything.json()] == ["source", "transformation"]
    assert herder.calls[-1] == ("plugins", False)
    assert client.get("/connector-plugins?connectorsOnly=TRUE").json() == only.json()
    assert client.get("/connector-plugins/").status_code == 200


def test_plugin_config(client):
    response = client.get("/connector-plugins/JdbcSourceConnector/config")
    assert response.status_code == 200
    assert response.json()[0]["name"] == "connection.url"
    assert_error(client.get("/connector-plugins/Nope/config"), 404, "Unknown plugin Nope.")


def test_validate_is_200_even_when_invalid(client, herder):
    response = client.put("/connector-plugins/JdbcSource/config/validate",
                          json={"connector.class": "JdbcSource", "tasks.max": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["error_count"] == 1
    assert body["configs"][0]["value"]["errors"]
    assert herder.calls[-1] == ("validate", "JdbcSource", {"connector.class": "JdbcSource", "tasks.max": "1"})
    valid = client.put("/connector-plugins/JdbcSource/config/validate",
                       json={"connector.class": "JdbcSource", "connection.url": "jdbc:x"})
    assert valid.status_code == 200 and valid.json()["error_count"] == 0
    assert_error(client.put("/connector-plugins/JdbcSource/config/validate", json=[1]), 400)
