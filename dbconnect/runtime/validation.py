"""Connector config validation: the static definition, the cross-key rules, then the connector's own checks."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from ..api.config import ConfigDefinition, invalid_config_message, mask_passwords, sink_topics_errors
from ..api.errors import BadRequestError, ConfigError, ConnectError
from .plugins import PluginDesc, Plugins
from .topic_creation import topic_creation_errors
from .transforms_config import TransformsConfig
from .worker import connector_definition

log = logging.getLogger(__name__)


class ConnectorValidator:
    def __init__(self, plugins: Plugins, topic_creation_enabled: bool = True) -> None:
        self.plugins = plugins
        # The worker's topic.creation.enable: with false, a source's topic.creation.* keys are refused.
        self.topic_creation_enabled = topic_creation_enabled

    def validate(self, config: Mapping[str, str]) -> tuple[PluginDesc, ConfigDefinition, dict[str, list[str]], dict[str, list[str]]]:
        """Returns (plugin, merged definition, definition errors, extra errors)."""
        class_name = config.get("connector.class")
        if not class_name:
            raise BadRequestError("Connector config " + str(dict(mask_passwords(config, ConfigDefinition.of(None)))) + " contains no connector type")
        desc = self.plugins.connector_desc(class_name)
        connector = desc.cls()
        # Each transform's and predicate's keys join the definition under their alias (ConnectorConfig.enrich).
        transforms = TransformsConfig(self.plugins, config)
        enriched, transform_errors = transforms.enrich()
        definition = connector_definition(desc.type, connector).merge(enriched)
        errors = definition.validate(config)
        extra: dict[str, list[str]] = {}
        _merge(extra, transform_errors)
        if not any(k.startswith(("transforms", "predicates")) for k in [*errors, *extra]):
            _merge(extra, transforms.configure_errors())
        if desc.type == "sink":
            _merge(extra, sink_topics_errors(config))
        else:
            _merge(extra, topic_creation_errors(config, self.topic_creation_enabled))
        for key in ("key.converter", "value.converter"):
            if config.get(key):
                found, problem = self.plugins.resolve(config[key])
                if found is None or found.type != "converter":
                    reason = problem or f"Class {config[key]} could not be found."
                    _merge(extra, {key: [f"Invalid value {config[key]} for configuration {key}: {reason}"]})
        _merge(extra, self._header_converter_errors(config))
        if not errors:
            # Live checks (a file, a database) only make sense once the static ones pass.
            try:
                _merge(extra, connector.validate(dict(config)) or {})
            except Exception as exc:
                log.warning("Connector %s validate() raised", class_name, exc_info=True)
                _merge(extra, {"connector.class": [f"{type(exc).__name__}: {exc}"]})
        return desc, definition, errors, extra

    def _header_converter_errors(self, config: Mapping[str, str]) -> dict[str, list[str]]:
        """The connector's header.converter: a HeaderConverter, which its header.converter.* settings
        configure (as Kafka's AbstractHerder.validateHeaderConverterConfig)."""
        name = config.get("header.converter")
        if not name:
            return {}
        try:
            self.plugins.header_converter_class(name)
        except ConnectError as exc:
            return {"header.converter": [f"Invalid value {name} for configuration header.converter: {exc}"]}
        settings = {k[len("header.converter."):]: v for k, v in config.items() if k.startswith("header.converter.")}
        try:
            self.plugins.new_header_converter(name, settings).close()
        except ConfigError as exc:
            if exc.errors:
                return {f"header.converter.{k}": [str(exc)] for k in exc.errors}
            return {"header.converter": [str(exc)]}
        except Exception as exc:  # noqa: BLE001 - the converter's own message is the point
            return {"header.converter": [f"{name} refuses its settings: {exc}"]}
        return {}

    def check(self, config: Mapping[str, str]) -> tuple[PluginDesc, ConfigDefinition]:
        desc, definition, errors, extra = self.validate(config)
        merged = dict(errors)
        _merge(merged, extra)
        if merged:
            raise BadRequestError(invalid_config_message(merged))
        return desc, definition


def _merge(into: dict[str, list[str]], more: Mapping[str, list[str]]) -> None:
    for key, messages in more.items():
        into.setdefault(key, []).extend(m for m in messages if m not in into.get(key, []))
