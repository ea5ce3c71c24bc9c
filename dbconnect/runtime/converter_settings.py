"""Schema Registry settings given to a converter that uses no Schema Registry: warned about, not ignored.

Tutorials (seed 000's compose among them) set ``value.converter.schema.registry.url`` next to
``value.converter=org.apache.kafka.connect.json.JsonConverter``. Kafka's JsonConverter reads no
Schema Registry and ignores the setting, and so does ours; refusing it would break those configs,
which must work unchanged. So the setting is accepted, and the worker logs one WARNING naming
the key: at its start for the worker's own ``key.converter.*``, ``value.converter.*`` and
``header.converter.*`` settings, and when a connector starts for the converter settings in the
connector's config. A converter uses a registry when it declares ``schema.registry.url`` among
its config keys (``config_keys()``: Confluent's JsonSchemaConverter does); for any other
(JsonConverter, StringConverter, ByteArrayConverter, SimpleHeaderConverter, …) every
``schema.registry.*`` setting it is given is reported.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .kafka_clients import prefixed

log = logging.getLogger(__name__)

REGISTRY_PREFIX = "schema.registry."
REGISTRY_URL = "schema.registry.url"
REGISTRY_CONVERTER = "io.confluent.connect.json.JsonSchemaConverter"
DEFAULT_HEADER_CONVERTER = "org.apache.kafka.connect.storage.SimpleHeaderConverter"
CONVERTER_KINDS = ("key", "value", "header")


def unused_registry_settings(converter_class: type, settings: Mapping[str, Any]) -> list[str]:
    """The ``schema.registry.*`` keys of ``settings`` (the converter's own, prefix stripped) that
    ``converter_class`` does not read: all of them unless it declares ``schema.registry.url``."""
    config_keys = getattr(converter_class, "config_keys", None)
    declared = {entry.get("name") for entry in (config_keys() if callable(config_keys) else [])}
    if REGISTRY_URL in declared:
        return []
    return sorted(k for k in settings if k.startswith(REGISTRY_PREFIX))


def _message(setting: str, converter: str, where: str) -> str:
    return (f"{setting} is set in {where}, but {converter} does not use a Schema Registry: the setting has "
            f"no effect (Kafka's JsonConverter ignores it too). {REGISTRY_CONVERTER} is the converter that "
            f"writes and reads schemas in a Schema Registry.")


def _class_of(plugins: Any, name: str) -> type | None:
    try:
        desc = plugins.find(name)
    except Exception:  # noqa: BLE001 — a name that cannot be used fails elsewhere, with its own message
        return None
    return desc.cls if desc is not None else None  # unknown names too


def worker_warnings(plugins: Any, worker_config: Mapping[str, Any]) -> list[str]:
    """One message per ``<kind>.converter.schema.registry.*`` worker setting its converter does not use."""
    messages = []
    for kind in CONVERTER_KINDS:
        key = f"{kind}.converter"
        name = worker_config.get(key) or (DEFAULT_HEADER_CONVERTER if kind == "header" else None)
        settings = prefixed(worker_config, key + ".")
        if not name or not settings:
            continue
        converter_class = _class_of(plugins, str(name))
        if converter_class is None:
            continue
        messages += [_message(f"{key}.{k}", str(name), "the worker config")
                     for k in unused_registry_settings(converter_class, settings)]
    return messages


def connector_warnings(plugins: Any, worker_config: Mapping[str, Any], connector: str,
                       connector_config: Mapping[str, Any]) -> list[str]:
    """One message per ``<kind>.converter.schema.registry.*`` setting of the connector's config that
    the connector's converter (its own class, else the worker's) does not use. The worker's
    settings are the worker's start's business: they are not repeated for each connector."""
    messages = []
    for kind in CONVERTER_KINDS:
        key = f"{kind}.converter"
        settings = prefixed(connector_config, key + ".")
        if not settings:
            continue
        name = (connector_config.get(key) or worker_config.get(key)
                or (DEFAULT_HEADER_CONVERTER if kind == "header" else None))
        converter_class = _class_of(plugins, str(name)) if name else None
        if converter_class is None:
            continue
        messages += [_message(f"{key}.{k}", str(name), f"the config of connector {connector}")
                     for k in unused_registry_settings(converter_class, settings)]
    return messages


def warn_worker_settings(plugins: Any, worker_config: Mapping[str, Any]) -> None:
    for message in worker_warnings(plugins, worker_config):
        log.warning("%s", message)


def warn_connector_settings(plugins: Any, worker_config: Mapping[str, Any], connector: str,
                            connector_config: Mapping[str, Any]) -> None:
    for message in connector_warnings(plugins, worker_config, connector, connector_config):
        log.warning("%s", message)
