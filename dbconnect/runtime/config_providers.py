"""The worker's config providers (Kafka's WorkerConfigTransformer, KIP-297/KIP-421).

``config.providers=env,file`` with ``config.providers.<name>.class`` (a Java class name, a class
name, an entry point or a Python path) and ``config.providers.<name>.param.*`` (passed to the
provider's ``configure``). References are resolved when a connector or a task starts, in the
worker that starts it; the resolved config is handed to the instance (through the pipe to its
process under ``task.isolation=process``) and never stored: the config store, REST answers and
logs keep the ``${…}`` text, and the resolved values are registered with the masking function so
that a message echoing one shows ``[hidden]``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from ..api.config_provider import ConfigProvider, ConfigTransformer, ConfigTransformerResult, references
from ..api.errors import ConfigError, ConnectError
from ..api.config import is_secret_key
from ..api.masking import VARIABLE_PATTERN, config_secrets, register_secrets
from .kafka_clients import prefixed

log = logging.getLogger(__name__)

PROVIDERS_CONFIG = "config.providers"
_JAVA_PACKAGE = "org.apache.kafka.common.config.provider."
# Worker keys never resolved: the providers' own settings, and plugin.path (scanned before the
# providers exist, as Kafka documents).
_UNRESOLVED_WORKER_KEYS = ("config.providers", "plugin.path")


def provider_names(props: Mapping[str, Any]) -> list[str]:
    value = props.get(PROVIDERS_CONFIG) or ""
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return [n.strip() for n in items if n and n.strip()]


def _entry_point_class(name: str) -> type | None:
    """A provider class by entry-point name (the Java class name's simple name too), without a Plugins scan."""
    simple = name[len(_JAVA_PACKAGE):] if name.startswith(_JAVA_PACKAGE) else name
    for ep in metadata.entry_points(group="dbconnect.plugins"):
        if ep.name in (name, simple):
            return ep.load()
    return None


def provider_class(name: str, plugins: Any = None) -> type[ConfigProvider]:
    cls: Any = None
    problem = None
    if plugins is not None:
        desc, problem = plugins.resolve(name)
        cls = desc.cls if desc is not None else None
    else:
        from .plugins import _import_class  # lazily: the worker config is read before any plugin is

        cls = _entry_point_class(name) or _import_class(name)
    if not (isinstance(cls, type) and issubclass(cls, ConfigProvider)):
        raise ConfigError(problem or f"Failed to find any class that implements ConfigProvider and which name "
                                     f"matches {name}")
    return cls


def build_providers(props: Mapping[str, Any], plugins: Any = None) -> dict[str, ConfigProvider]:
    """The providers ``config.providers`` names, configured; a ConfigError naming the bad setting otherwise."""
    providers: dict[str, ConfigProvider] = {}
    for name in provider_names(props):
        class_key = f"{PROVIDERS_CONFIG}.{name}.class"
        class_name = str(props.get(class_key) or "").strip()
        if not class_name:
            raise ConfigError(f'Missing required configuration "{class_key}" which has no default value '
                              f"(config provider {name} is listed in {PROVIDERS_CONFIG})")
        try:
            cls = provider_class(class_name, plugins)
        except ConfigError as exc:
            raise ConfigError(f"Invalid value {class_name} for configuration {class_key}: {exc}") from None
        provider = cls()
        try:
            provider.configure(prefixed(props, f"{PROVIDERS_CONFIG}.{name}.param."))
        except ConnectError as exc:
            raise ConfigError(f"Config provider {name} ({class_name}) refused its parameters: {exc}") from None
        providers[name] = provider
    return providers


class WorkerConfigTransformer:
    """Resolves connector and task configs with the worker's providers."""

    def __init__(self, providers: Mapping[str, ConfigProvider] | None = None,
                 factory: Any = None) -> None:
        self._providers = None if providers is None else dict(providers)
        self._factory = factory
        self._lock = threading.Lock()

    @classmethod
    def from_worker(cls, props: Mapping[str, Any], plugins: Any = None) -> WorkerConfigTransformer:
        """The providers are built on first use (or by ``start``): a task's process, which receives
        resolved configs, never builds (nor logs in to) them."""
        return cls(factory=lambda: build_providers(props, plugins))

    def start(self) -> None:
        """Build the providers now, so that bad ``config.providers`` settings fail the worker's start."""
        _ = self._transformer

    @property
    def _transformer(self) -> ConfigTransformer:
        with self._lock:
            if self._providers is None:
                self._providers = self._factory() if self._factory is not None else {}
            return ConfigTransformer(self._providers)

    def transform(self, config: Mapping[str, str], where: str, owner: str | None = None,
                  strict: bool = True) -> dict[str, str]:
        """``config`` with its references resolved; resolved secrets are registered for masking under ``owner``.

        ``strict=False`` (validation) leaves what cannot be resolved as written, as Kafka does.
        """
        return self.transform_result(config, where, owner, strict).data

    def transform_result(self, config: Mapping[str, str], where: str, owner: str | None = None,
                         strict: bool = True) -> ConfigTransformerResult:
        """``transform``, with the providers' TTLs (``ttls``: path → ms) for ``config.action.reload``."""
        if not any(isinstance(v, str) and "${" in v for v in config.values()):
            return ConfigTransformerResult(dict(config))
        if strict:
            result = self._transformer.transform(config, where)
        else:
            result = self._lenient(config, where)
        # The values resolved for secret-looking keys (and URL passwords) are masked from now on; a
        # resolved topic name or port is not a secret, and hiding it everywhere would blind the logs.
        # (The worker adds the values of the connector's PASSWORD keys, which it knows by definition.)
        resolved_keys = {k: v for k, v in result.data.items() if k in config and v != config[k]}
        register_secrets(owner or where, config_secrets(resolved_keys, (), is_secret_key))
        return result

    def _lenient(self, config: Mapping[str, str], where: str) -> ConfigTransformerResult:
        out = ConfigTransformerResult(dict(config))
        for key, value in config.items():
            if not isinstance(value, str) or not references(value):
                continue
            try:
                one = self._transformer.transform({key: value}, where)
            except ConfigError:
                continue
            out.data[key] = one.data[key]
            out.resolved_values += one.resolved_values
        return out

    def close(self) -> None:
        with self._lock:
            providers, self._providers = self._providers or {}, None
            self._factory = None
        for provider in providers.values():
            try:
                provider.close()
            except Exception:
                log.warning("Config provider %s failed to close", type(provider).__name__, exc_info=True)


def reverse_transform(raw_connector_config: Mapping[str, str], task_configs: list[dict[str, str]]) -> list[dict[str, str]]:
    """Kafka's ``AbstractHerder.reverseTransform``: a task config key whose connector value was a
    reference is stored as that reference, not as the resolved value the connector copied."""
    with_refs = {k: v for k, v in raw_connector_config.items() if isinstance(v, str) and VARIABLE_PATTERN.search(v)}
    if not with_refs:
        return task_configs
    return [{k: (with_refs[k] if k in with_refs else v) for k, v in config.items()} for config in task_configs]


def resolve_worker_props(props: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Worker properties with their references resolved (as Kafka's AbstractConfig does), and the values."""
    if not any("${" in str(v) for k, v in props.items() if not k.startswith(_UNRESOLVED_WORKER_KEYS)):
        return dict(props), []
    transformer = ConfigTransformer(build_providers(props))
    todo = {k: v for k, v in props.items() if not k.startswith(_UNRESOLVED_WORKER_KEYS)}
    result = transformer.transform(todo, "the worker configuration")
    return {**props, **result.data}, result.resolved_values
