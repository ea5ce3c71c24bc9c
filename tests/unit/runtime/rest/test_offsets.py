"""REST /connectors/{connector}/offsets routes over a fake herder."""

from __future__ import annotations

import pytest

from tests.unit.runtime.rest.fake_herder import assert_error, create


def test_offsets(client, herder):
    create(client, "src")
    assert client.get("/connectors/src/offsets").json() == {"offsets": []}
    entry = {"partition": {"table": "t"}, "offset": {"id": 5}}

    body = assert_error(client.patch("/connectors/src/offsets", json={"offsets": [entry]}), 400)
    assert "STOPPED" in body["message"]

    client.put("/connectors/src/stop")
    altered = client.patch("/connectors/src/offsets", json={"offsets": [entry, {"partition": {"table": "u"},
                                                                               "offset": None}]})
    assert altered.status_code == 200
    assert altered.json() == {"message": "The offsets for this connector have been altered successfully"}
    assert herder.calls[-1] == ("alter_offsets", "src", [entry, {"partition": {"table": "u"}, "offset": None}])
    assert client.get("/connectors/src/offsets").json()["offsets"][0] == entry

    reset = client.delete("/connectors/src/offsets")
    assert reset.status_code == 200
    assert reset.json() == {"message": "The offsets for this connector have been reset successfully"}
    assert_error(client.get("/connectors/nope/offsets"), 404)


@pytest.mark.parametrize("content", [b"", b"{}", b'{"offsets": []}', b'{"offsets": null}'])
def test_alter_offsets_without_offsets(client, content):
    create(client, "src")
    client.put("/connectors/src/stop")
    response = client.patch("/connectors/src/offsets", content=content, headers={"content-type": "application/json"})
    assert_error(response, 400, "Partitions / offsets need to be provided for an alter offsets request")


@pytest.mark.parametrize("body", [[1], {"offsets": {"a": 1}}, {"offsets": [1]}, {"offsets": [{"partition": [1]}]}])
def test_alter_offsets_wrong_shape(client, body):
    create(client, "src")
    assert_error(client.patch("/connectors/src/offsets", json=body), 400)
