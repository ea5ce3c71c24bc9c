"""runtime.plugins: aliases and Python paths of plugins."""

from __future__ import annotations

import pytest

from dbconnect.api.errors import BadRequestError
from dbconnect.runtime.plugins import Plugins


def test_plugin_aliases_and_paths():
    plugins = Plugins(load_entry_points=False)
    names = ["FileStreamSource", "FileStreamSourceConnector", "org.apache.kafka.connect.file.FileStreamSourceConnector",
             "dbconnect.connectors.file.FileStreamSourceConnector", "dbconnect.connectors.file:FileStreamSourceConnector"]
    assert len({plugins.find(n).cls for n in names}) == 1
    assert plugins.find("org.apache.kafka.connect.json.JsonConverter").type == "converter"
    with pytest.raises(BadRequestError, match="com.example.Missing"):
        plugins.connector_desc("com.example.Missing")
    with pytest.raises(BadRequestError):
        plugins.connector_desc("JsonConverter")  # a converter is not a connector
    listed = plugins.connector_plugins()
    import dbconnect

    assert {"class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "type": "sink", "version": dbconnect.__version__} in listed
    assert all(p["type"] in ("source", "sink") for p in listed)
    assert any(p["type"] == "converter" for p in plugins.connector_plugins(connectors_only=False))
