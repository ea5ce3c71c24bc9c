"""Assembling a worker process: worker + herder + REST server (Kafka's ``Connect`` class).

``StandaloneConnect`` (connect-standalone) and ``DistributedConnect`` (connect-distributed).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import requests

from ..api.errors import ConfigError, ConnectError
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


class _ConnectProcess:
    """What both worker processes share: REST servers and a herder, stopped in that order, once."""

    rest: RestServer
    metrics_rest: RestServer | None
    herder: Any
    peers: Any = None  # distributed: the client for the other workers, closed last
    _stopping: threading.Event
    _stopped: threading.Event

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
                if self.peers is not None:
                    self.peers.close()
                self._stopped.set()
        log.info("Kafka Connect stopped")

    def await_stop(self, timeout: float | None = None) -> bool:
        """True once a stop has completed (tasks stopped, offsets flushed)."""
        return self._stopped.wait(timeout)

    @property
    def url(self) -> str:
        return self.rest.url

    def _start_metrics_listener(self) -> None:
        """The error names the setting: "the REST server" alone sends an operator to ``listeners``."""
        if self.metrics_rest is None:
            return
        try:
            self.metrics_rest.start()
        except ConnectError as exc:
            raise ConnectError(f"metrics.listener {self.config.get('metrics.listener')} could not be started: "
                               f"{exc}") from exc


class StandaloneConnect(_ConnectProcess):
    """A standalone worker: offsets in ``offset.storage.file.filename``, configs in memory."""

    def __init__(self, worker_props: Mapping[str, str], plugins: Plugins | None = None) -> None:
        self.config = WorkerConfig(worker_props)
        self.config.log_unknown()
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

    def start(self, connectors: Iterable[tuple[str, Mapping[str, str], str | None]] = ()) -> None:
        """Starts the worker, then creates ``connectors`` (the command line's files: name, config,
        initial state); ``GET /health`` says healthy only after them, as in Kafka's standalone CLI.
        Raises ConnectError for the first connector that cannot be created."""
        self.rest.start()
        try:
            self._start_metrics_listener()
        except BaseException:
            self.rest.stop()
            raise
        # The worker id is the advertised REST address, known once the port is bound.
        self.worker.worker_id = self.rest.advertised_url.split("://", 1)[1]
        self.herder.url = self.rest.advertised_url
        self.herder.start()
        log.info("Kafka Connect standalone worker %s started; REST API at %s", self.worker.worker_id, self.rest.url)
        for name, config, initial_state in connectors:
            self.add_connector(name, config, initial_state)
            log.info("Created connector %s", name)
        self.herder.ready()

    def add_connector(self, name: str, config: Mapping[str, str], initial_state: str | None = None) -> None:
        try:
            self.herder.put_connector_config(name, dict(config), allow_replace=True, initial_state=initial_state)
        except ConnectError as exc:
            raise ConnectError(f"Failed to create connector {name}: {exc}") from exc



# Worker keys without a default that distributed mode needs (Kafka's DistributedConfig).
DISTRIBUTED_REQUIRED = ("group.id", "config.storage.topic", "offset.storage.topic", "status.storage.topic")


def check_distributed_config(config: WorkerConfig) -> None:
    """What schemas/worker.json cannot say alone: the keys distributed mode requires."""
    missing = [key for key in DISTRIBUTED_REQUIRED if not config.get(key)]
    if missing:
        raise ConfigError("The worker configuration is invalid:\n" + "\n".join(
            f'Missing required configuration "{key}" which has no default value.' for key in missing),
            {key: ["Missing required configuration"] for key in missing})
    topics = [config.get(key) for key in ("config.storage.topic", "offset.storage.topic", "status.storage.topic")]
    if len(set(topics)) < 3:
        raise ConfigError("config.storage.topic, offset.storage.topic and status.storage.topic must be three "
                          f"different topics (they are {', '.join(topics)}): each holds records of its own format")
    if str(config.get("exactly.once.source.support", "disabled")).lower() != "disabled":
        raise ConfigError("exactly.once.source.support=enabled/preparing is not supported by dbconnect's distributed "
                          "worker (source offsets are committed at least once); remove it or set it to disabled")
    if config.get("offset.storage.file.filename"):
        raise ConfigError("offset.storage.file.filename is a standalone setting: a distributed worker keeps source "
                          "offsets in offset.storage.topic. Remove it from the worker's configuration.")


class DistributedConnect(_ConnectProcess):
    """A distributed worker: configs, offsets and statuses in Kafka topics, work shared by a group."""

    def __init__(self, worker_props: Mapping[str, str], plugins: Plugins | None = None) -> None:
        from .distributed.wiring import DistributedParts

        self.config = WorkerConfig(worker_props)
        self.config.log_unknown()
        check_distributed_config(self.config)
        self.security = RestSecurity.from_worker_config(self.config)
        plugin_path = self.config.get("plugin.path")
        self.plugins = plugins or Plugins(plugin_path if isinstance(plugin_path, list) else None)
        self.parts = DistributedParts(self.config)
        self.worker = Worker(self.config, self.plugins, self.parts.offset_store, self.parts.status_store, worker_id="")
        # One client for every request to the other workers (and to this one's advertised URL), with
        # the https listeners' TLS settings, as Kafka's RestClient.
        self.peers = self.security.peer_client()
        self.herder = self.parts.herder(self.worker, self.peers)
        # Basic authentication lets the workers' internal task-config requests through on their
        # signature (rest/security.internal_request): with it on, that signature is always checked.
        self.herder.require_signature = self.security.authenticator is not None
        self.rest = RestServer(
            create_app(self.herder, security=self.security, peers=self.peers),
            self.config.listeners,
            advertised_host=self.config.get("rest.advertised.host.name"),
            advertised_port=self.config.get("rest.advertised.port"),
            advertised_listener=self.config.get("rest.advertised.listener"),
            tls=self.security.tls,
        )
        metrics_listener = self.config.get("metrics.listener")
        self.metrics_rest = RestServer(create_metrics_app(self.herder, security=self.security, peers=self.peers),
                                       [metrics_listener], access_log=False) if metrics_listener else None
        self._stopping = threading.Event()
        self._stopped = threading.Event()

    def start(self) -> None:
        self.rest.start()
        try:
            self._start_metrics_listener()
            # The worker id (in statuses) is the advertised host:port; the URL is what the others forward to.
            url = self.rest.advertised_url
            self.worker.worker_id = url.split("://", 1)[1]
            self.herder.url = url
            self._check_advertised_url(url)
            self.parts.ensure_internal_topics()
            self.herder.start()
        except BaseException:
            self.stop()
            raise
        log.info("Kafka Connect distributed worker %s started in group %s; REST API at %s",
                 self.worker.worker_id, self.config.get("group.id"), self.rest.url)

    def _check_advertised_url(self, url: str) -> None:
        """The other workers forward requests to ``url``: it must reach this worker, not another one
        that advertises the same URL (a copied rest.advertised.host.name, a port mapped twice)."""
        try:
            answer = self.peers.get(f"{url}/connect-worker-instance", timeout=5)
            instance = answer.json().get("instance") if answer.status_code == 200 else None
        except (requests.RequestException, ValueError, AttributeError) as exc:
            log.warning("This worker's advertised REST URL %s does not answer here (%s): the other workers "
                        "cannot forward requests to it. Check rest.advertised.host.name / rest.advertised.port.",
                        url, exc)
            return
        if instance is not None and instance != self.herder.instance_id:
            raise ConfigError(
                f"Another worker already answers at {url}, the REST URL this worker advertises: two workers "
                "advertising the same URL cannot both be reached (requests forwarded to one reach the other). "
                "Give each worker its own rest.advertised.host.name / rest.advertised.port.",
                {"rest.advertised.host.name": ["another worker advertises the same URL"]})

