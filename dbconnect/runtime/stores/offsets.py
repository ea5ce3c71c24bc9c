"""Source offsets: the backing stores (memory, file) and the per-connector reader.

Keys and values are the exact JSON of Kafka Connect's offsets topic: the key is
``["<connector>", {<source partition>}]`` and the value the offset map (None deletes), so
offsets can move between dbconnect and Kafka Connect (and, later, into a Kafka-backed store)
unchanged. Keys are canonicalised (sorted map keys) so the same partition always matches.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from ...api.errors import ConnectError
from ...api.task import OffsetStorageReader

log = logging.getLogger(__name__)


def offset_key(connector: str, partition: Mapping[str, Any]) -> bytes:
    return orjson.dumps([connector, partition], option=orjson.OPT_SORT_KEYS)


def encode_offset(offset: Mapping[str, Any] | None) -> bytes | None:
    return None if offset is None else orjson.dumps(offset, option=orjson.OPT_SORT_KEYS)


def decode_offset(value: bytes | None) -> dict[str, Any] | None:
    return None if value is None else orjson.loads(value)


class OffsetBackingStore(ABC):
    """A map of key bytes → value bytes; ``set`` is durable when it returns."""

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    @abstractmethod
    def get(self, keys: Iterable[bytes]) -> dict[bytes, bytes | None]: ...

    @abstractmethod
    def set(self, values: Mapping[bytes, bytes | None]) -> None:
        """Store the values; a None value deletes the key."""

    @abstractmethod
    def items(self) -> list[tuple[bytes, bytes]]: ...

    def connector_offsets(self, connector: str) -> list[dict[str, Any]]:
        """``[{"partition": {…}, "offset": {…}}]`` for one connector (REST offsets format)."""
        out = []
        for key, value in self.items():
            name, partition = orjson.loads(key)
            if name == connector and value is not None:
                out.append({"partition": partition, "offset": orjson.loads(value)})
        return out

    def delete_connector(self, connector: str) -> int:
        keys = [k for k, _ in self.items() if orjson.loads(k)[0] == connector]
        if keys:
            self.set({k: None for k in keys})
        return len(keys)


class MemoryOffsetBackingStore(OffsetBackingStore):
    def __init__(self) -> None:
        self._data: dict[bytes, bytes] = {}
        self._lock = threading.Lock()

    def get(self, keys: Iterable[bytes]) -> dict[bytes, bytes | None]:
        with self._lock:
            return {k: self._data.get(k) for k in keys}

    def set(self, values: Mapping[bytes, bytes | None]) -> None:
        with self._lock:
            self._apply(values)
            self._persist()

    def items(self) -> list[tuple[bytes, bytes]]:
        with self._lock:
            return list(self._data.items())

    def _apply(self, values: Mapping[bytes, bytes | None]) -> None:
        for key, value in values.items():
            if value is None:
                self._data.pop(key, None)
            else:
                self._data[key] = value

    def _persist(self) -> None:
        pass


class FileOffsetBackingStore(MemoryOffsetBackingStore):
    """Offsets kept in memory and rewritten atomically to a JSON file on every ``set``.

    The file is ``{"version": 1, "offsets": [[key, value], …]}`` with key and value as JSON.
    Writes go to a temporary file in the same directory, are fsynced, then renamed over the
    old file (and the directory fsynced), so a crash leaves either the old or the new file.
    Unlike Kafka's FileOffsetBackingStore, a corrupt file is an error, not silently empty:
    silently forgetting offsets would replay or skip data.
    """

    def __init__(self, filename: str | Path) -> None:
        super().__init__()
        self.path = Path(filename)

    def start(self) -> None:
        with self._lock:
            self._data = self._load()

    def _load(self) -> dict[bytes, bytes]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        if not raw.strip():
            return {}
        try:
            doc = orjson.loads(raw)
            return {
                orjson.dumps(key, option=orjson.OPT_SORT_KEYS): orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
                for key, value in doc["offsets"]
            }
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ConnectError(f"The offsets file {self.path} is corrupt: {exc}") from exc

    def _persist(self) -> None:
        doc = {"version": 1, "offsets": [[orjson.loads(k), orjson.loads(v)] for k, v in self._data.items()]}
        data = orjson.dumps(doc, option=orjson.OPT_INDENT_2)
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class ConnectorOffsetReader(OffsetStorageReader):
    """What a source task sees: offsets of its own connector only."""

    def __init__(self, store: OffsetBackingStore, connector: str) -> None:
        self._store = store
        self._connector = connector

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        key = offset_key(self._connector, partition)
        return decode_offset(self._store.get([key])[key])
