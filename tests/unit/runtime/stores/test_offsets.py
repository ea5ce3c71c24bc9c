"""runtime.stores.offsets: the file and memory offset stores."""

from __future__ import annotations

import orjson
import pytest

from dbconnect.api.errors import ConnectError
from dbconnect.runtime.stores.offsets import (
    ConnectorOffsetReader, FileOffsetBackingStore, MemoryOffsetBackingStore, encode_offset, offset_key,
)


def test_file_offset_store_round_trip_and_atomicity(tmp_path):
    path = tmp_path / "offsets.json"
    store = FileOffsetBackingStore(path)
    store.start()
    key = offset_key("src", {"filename": "/x", "a": 1})
    store.set({key: encode_offset({"position": 42})})
    assert not list(tmp_path.glob("*.tmp"))
    reopened = FileOffsetBackingStore(path)
    reopened.start()
    # Key order inside the partition map does not matter.
    assert ConnectorOffsetReader(reopened, "src").offset({"a": 1, "filename": "/x"}) == {"position": 42}
    assert ConnectorOffsetReader(reopened, "other").offset({"filename": "/x", "a": 1}) is None
    assert reopened.connector_offsets("src") == [{"partition": {"a": 1, "filename": "/x"}, "offset": {"position": 42}}]
    assert reopened.delete_connector("src") == 1
    assert orjson.loads(path.read_bytes())["offsets"] == []


def test_corrupt_offsets_file_is_an_error(tmp_path):
    path = tmp_path / "offsets.json"
    path.write_text("{not json")
    with pytest.raises(ConnectError, match="corrupt"):
        FileOffsetBackingStore(path).start()


def test_memory_offset_store_tombstones():
    store = MemoryOffsetBackingStore()
    key = offset_key("c", {"p": 1})
    store.set({key: b'{"o":1}'})
    store.set({key: None})
    assert store.get([key]) == {key: None}
