"""Assembling a worker process: worker + herder + REST server (Kafka's ``Connect`` class)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from ..api.errors import ConnectError
from .plugins import Plugins
from .rest.app import create_app, create_metrics_app
from .rest.security import RestSecurity
from ..http.server import RestServer
from .standalone import StandaloneHerder
from .stores.offsets import FileOffsetBackingStore, MemoryOffsetBackingStore
from .stores.status import MemoryStatusBackingStore
from .worker import Worker
from .worker_config import WorkerConfig

log = logging.getLogger(__name__)


class StandaloneConnect:
    """A standalone worker: offsets in ``offset.storage.file.filename``, configs in memory."""

    def __init__(self, worker_props: Mapping[str, str], plugins: Plugins | None = None) -> None:
        self.config = WorkerConfig(worker_props)
        # Checked first: a bad REST security setting stops the worker before anything starts.
        self.security = RestSecurity.from_worker_config(self.config)
        plugin_path = self.config.get("plugin.path")
        self.plugins = plugins or Plugins(plugin_path if isinstance(plugin_path, list) else None)
        filename = self.config.get("offset.storage.file.filename")
        offset_store = FileOffsetBackingStore(filename) if filename else MemoryOffsetBackingStore()
        if not filename:
            log.warning("offset.storage.file.filename is not set: source offsets are kept in memory only")
        self.worker = Worker(self.config, self.plugins, offset_store, MemoryStatusBackingStore(), worker_id="")
        self.herder = StandaloneHerder(self.worker)
        self.rest = RestServer(
            create_app(self.herder, security=self.security),
            self.config.listeners,
            advertised_host=self.config.get("rest.advertised.host.name"),
            advertised_port=self.config.get("rest.advertised.port"),
            advertised_listener=self.config.get("rest.advertised.listener"),
            tls=self.security.tls,
        )
        # metrics.listener: GET /metrics on a port of its own too (docs/metrics.md).
        metrics_listener = self.config.get("metrics.listener")
        self.metrics_rest = RestServer(create_metrics_app(self.herder, security=self.security),
                                       [metrics_listener], access_log=False) if metrics_listener else None
        self._stopping = threading.Event()
        self._stopped = threading.Event()

    def start(self) -> None:
        self.rest.start()
        if self.metrics_rest is not None:
            self.metrics_rest.start()
        # The worker id is the advertised REST address, known once the port is bound.
        self.worker.worker_id = self.rest.advertised_url.split("://", 1)[1]
        self.herder.start()
        log.info("Kafka Connect standalone worker %s started; REST API at %s", self.worker.worker_id, self.rest.url)

    def add_connector(self, name: str, config: Mapping[str, str], initial_state: str | None = None) -> None:
        try:
            self.herder.put_connector_config(name, dict(config), allow_replace=True, initial_state=initial_state)
        except ConnectError as exc:
            raise ConnectError(f"Failed to create connector {name}: {exc}") from exc

    def stop(self) -> None:
        if self._stopping.is_set():
            self._stopped.wait()
            return
        self._stopping.set()
        log.info("Kafka Connect stopping")
        try:
            self.rest.stop()
            if self.metrics_rest is not None:
                self.metrics_rest.stop()
        finally:
            try:
                self.herder.stop()
            finally:
                self._stopped.set()
        log.info("Kafka Connect stopped")

    def await_stop(self, timeout: float | None = None) -> bool:
        """True once a stop has completed (tasks stopped, offsets flushed)."""
        return self._stopped.wait(timeout)

    @property
    def url(self) -> str:
        return self.rest.url
