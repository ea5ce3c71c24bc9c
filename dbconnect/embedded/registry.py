"""An in-process Schema Registry (dbconnect.registry) on a free loopback port.

Unlike the other embedded servers this is not a child process: the registry app runs on a
uvicorn thread (``RestServer``) in this interpreter, so it starts in milliseconds::

    with EmbeddedRegistry() as registry:
        client = SchemaRegistryClient({"url": registry.url})
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dbconnect.registry.server.app import create_registry_app
from dbconnect.registry.server.main import listener
from dbconnect.registry.server.store import SchemaStore
from dbconnect.http.server import RestServer

from . import ports
from .ports import LOOPBACK


class EmbeddedRegistry:
    """A Schema Registry in memory, or durable in ``data_dir``; ``port=0`` picks a free port."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None, host: str = LOOPBACK, port: int = 0):
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.host = host
        self._port = port
        self.store: SchemaStore | None = None
        self._server: RestServer | None = None

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.running

    @property
    def port(self) -> int:
        return self._server.port if self._server is not None else self._port

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the registry is not started")
        return self._server.url

    def start(self) -> "EmbeddedRegistry":
        """Open the store and serve it; a no-op when already running."""
        if self.running:
            return self
        self.stop()
        self.store = SchemaStore(self.data_dir)
        server = RestServer(create_registry_app(self.store), listener(self.host, self._port), access_log=False)
        try:
            server.start()
        except BaseException:
            self.store.close()
            self.store = None
            raise
        self._server = server
        with ports._live_lock:  # stopped at interpreter exit like the other embedded servers
            ports._live.add(self)  # type: ignore[arg-type]
        return self

    def stop(self) -> None:
        """Stop serving and close the store (releasing the data directory). Idempotent."""
        server, self._server = self._server, None
        store, self.store = self.store, None
        try:
            if server is not None:
                server.stop()
        finally:
            if store is not None:
                store.close()
            with ports._live_lock:
                ports._live.discard(self)  # type: ignore[arg-type]

    def __enter__(self) -> "EmbeddedRegistry":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"running at {self.url}" if self.running else "stopped"
        return f"<EmbeddedRegistry {state}>"
