"""The worker's configuration (WorkerConfig): parsed once from the worker file."""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping
from typing import Any

from ..api.config import ConfigDefinition
from ..api.errors import ConfigError
from ..api.config import is_secret_key
from ..api.masking import config_secrets, register_secrets
from .config_providers import resolve_worker_props
from .kafka_clients import prefixed, translate

log = logging.getLogger(__name__)


# Top-level client settings applied to every client the worker creates (base_client_config).
CLIENT_WIDE_PREFIXES = ("security.", "sasl.", "ssl.")
# Families of worker keys read by prefix rather than declared one by one in schemas/worker.json.
KNOWN_PREFIXES = (
    "producer.", "consumer.", "admin.",  # the clients' own settings
    "key.converter.", "value.converter.", "header.converter.",  # the worker-level converters'
    *CLIENT_WIDE_PREFIXES,
    "listeners.https.",  # an https listener's TLS
    "config.providers.",  # each provider's class and params
)


def unknown_keys(originals: Mapping[str, str], definition: ConfigDefinition) -> list[str]:
    """Worker keys neither declared nor in a family read by prefix: nothing reads them."""
    return sorted(key for key in originals if key not in definition and not key.startswith(KNOWN_PREFIXES))


class WorkerConfig:
    def __init__(self, props: Mapping[str, str]) -> None:
        # ${provider:…} references in worker settings are resolved here, as Kafka's AbstractConfig
        # does; the secret ones (by key, and URL passwords) join those every log line is masked for.
        self.originals, _resolved = resolve_worker_props(dict(props))
        register_secrets("worker", config_secrets(self.originals, (), is_secret_key))
        definition = ConfigDefinition.load("worker")
        errors = definition.validate(self.originals)
        if errors:
            lines = [message for messages in errors.values() for message in messages]
            raise ConfigError("The worker configuration is invalid:\n" + "\n".join(lines), errors)
        self.values: dict[str, Any] = definition.parse(self.originals)
        self._definition = definition

    def log_unknown(self) -> list[str]:
        """Warn once per key nothing reads (called by the worker process at start, not by each
        task process): a typo, or a setting of a Kafka version or plugin this worker does not
        have, is said instead of ignored quietly, in Kafka's AbstractConfig.logUnused words."""
        unknown = unknown_keys(self.originals, self._definition)
        for key in unknown:
            log.warning("The configuration '%s' was supplied but isn't a known config.", key)
        return unknown

    def get(self, key: str, default: Any = None) -> Any:
        value = self.values.get(key)
        return default if value is None else value

    @property
    def bootstrap_servers(self) -> str:
        servers = self.values.get("bootstrap.servers") or ["localhost:9092"]
        return ",".join(servers) if isinstance(servers, list) else str(servers)

    @property
    def listeners(self) -> list[str]:
        """``listeners``, or the deprecated ``rest.host.name``/``rest.port`` pair when only they are set."""
        if "listeners" not in self.originals and (self.values.get("rest.port") or self.values.get("rest.host.name")):
            host = self.values.get("rest.host.name") or ""
            return [f"http://{host}:{self.values.get('rest.port') or 8083}"]
        listeners = self.values.get("listeners") or ["http://:8083"]
        return listeners if isinstance(listeners, list) else [listeners]

    def worker_id(self, bound_port: int) -> str:
        """``host:port`` as Kafka Connect shows it in statuses."""
        host = self.values.get("rest.advertised.host.name") or socket.gethostname()
        port = self.values.get("rest.advertised.port") or bound_port
        return f"{host}:{port}"

    def client_settings(self, prefix: str) -> dict[str, Any]:
        """``producer.*`` / ``consumer.*`` / ``admin.*`` settings, translated for librdkafka."""
        return translate(prefixed(self.originals, prefix))

    def base_client_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"bootstrap.servers": self.bootstrap_servers}
        # Security settings given at the top level apply to every client, as in Kafka Connect.
        for key, value in self.originals.items():
            if key.startswith(CLIENT_WIDE_PREFIXES):
                config.update(translate({key: value}))
        return config
