"""``transforms`` and ``predicates``: their keys for validation, and the chain a task runs.

Kafka's ConnectorConfig.enrich and ConnectorConfig.transformationStages. For each alias listed in
``transforms`` (and ``predicates``), ``transforms.<alias>.type`` names a transformation (any name the
worker's Plugins resolve: Java class name, short alias, Python path, entry point, ``plugin.path``);
its own keys join the connector's definition under ``transforms.<alias>.`` in the group
``Transforms: <alias>``, with the implicit ``predicate`` and ``negate``, so that ``validate`` reports
them and their errors, and create/update refuse a config that has any. The transform is configured
with every ``transforms.<alias>.*`` key, prefix stripped, ``type`` included and ``predicate`` and
``negate`` removed (as Kafka's ``originalsWithPrefix``); a predicate with every
``predicates.<name>.*`` key.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import Any

from ..api.config import ConfigDefinition
from ..api.errors import ConfigError, ConnectError
from .plugins import Plugins
from .transformation_chain import TransformationChain, TransformationStage

log = logging.getLogger(__name__)

TRANSFORMS = "transforms"
PREDICATES = "predicates"
PREDICATE = "predicate"
NEGATE = "negate"

# (the list key, Kafka's group and interface name, the plugin type Plugins reports)
_TRANSFORM_KIND = (TRANSFORMS, "Transforms", "Transformation", "transformation")
_PREDICATE_KIND = (PREDICATES, "Predicates", "Predicate", "predicate")


def aliases(config: Mapping[str, Any], list_key: str) -> list[str]:
    """The aliases a ``transforms``/``predicates`` value lists, in order, each once."""
    raw = config.get(list_key)
    items = raw if isinstance(raw, (list, tuple)) else str(raw or "").split(",")
    return list(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


def strip_prefix(config: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix):]: v for k, v in config.items() if k.startswith(prefix)}


class TransformsConfig:
    """The transforms and predicates a connector config declares, resolved through ``plugins``."""

    def __init__(self, plugins: Plugins, config: Mapping[str, Any]) -> None:
        self.plugins = plugins
        self.config = config
        self.transforms = aliases(config, TRANSFORMS)
        self.predicates = aliases(config, PREDICATES)

    # -- validation (ConnectorConfig.enrich) ---------------------------------------------------
    def enrich(self) -> tuple[ConfigDefinition, dict[str, list[str]]]:
        """(every alias's keys, prefixed and grouped, errors the definition cannot express).

        The definition's own validation then reports missing and bad values under their prefixed
        names; the errors returned here are the type's (unknown, not a transformation) and the
        alias wiring's (a predicate not defined, ``negate`` without ``predicate``).
        """
        properties: dict[str, dict[str, Any]] = {}
        required: list[str] = []
        groups: list[str] = []
        errors: dict[str, list[str]] = {}
        for kind, names in ((_TRANSFORM_KIND, self.transforms), (_PREDICATE_KIND, self.predicates)):
            list_key, group_name, interface, _ = kind
            for alias in names:
                prefix = f"{list_key}.{alias}."
                group = f"{group_name}: {alias}"
                groups.append(group)
                implicit = _implicit_keys(kind, alias, group)
                properties.update(implicit)
                required.append(prefix + "type")
                cls, problem = self._plugin_class(kind, prefix + "type")
                if problem:
                    errors.setdefault(prefix + "type", []).append(problem)
                    continue
                if cls is None:
                    continue  # no type given: reported as missing by the definition
                try:
                    own = ConfigDefinition.of(cls().config())
                except Exception as exc:  # noqa: BLE001 — a plugin's config() failing is a config error
                    errors.setdefault(prefix + "type", []).append(
                        f"Invalid value {self.config.get(prefix + 'type')} for configuration {prefix}type: "
                        f"Error getting config definition from {interface}: {exc}")
                    continue
                order = len(implicit)
                for name, key in own.keys.items():
                    if name in ("type",) or (kind is _TRANSFORM_KIND and name in (PREDICATE, NEGATE)):
                        continue  # the implicit keys mask the plugin's own of the same name, as in Kafka
                    order += 1
                    schema = dict(key.schema)
                    schema.update({"x-group": group, "x-order": order})
                    schema.setdefault("x-display-name", name)
                    properties[prefix + name] = schema
                    if key.required:
                        required.append(prefix + name)
        for alias in self.transforms:
            self._check_predicate(alias, errors)
        definition = ConfigDefinition(properties, required, groups)
        return definition, errors

    def configure_errors(self) -> dict[str, list[str]]:
        """Errors a transform's or predicate's own ``configure`` raises (a path or pattern that its
        definition cannot check), under the alias's keys; run only once the definition's checks pass."""
        errors: dict[str, list[str]] = {}
        for kind, names in ((_TRANSFORM_KIND, self.transforms), (_PREDICATE_KIND, self.predicates)):
            for alias in names:
                prefix = f"{kind[0]}.{alias}."
                cls, problem = self._plugin_class(kind, prefix + "type")
                if cls is None or problem:
                    continue
                instance = cls()
                try:
                    instance.configure(self._plugin_props(kind, prefix))
                except ConfigError as exc:
                    for key, messages in (exc.errors or {"type": [str(exc)]}).items():
                        name = key if key.startswith(prefix) else prefix + key
                        # "… for configuration field: …" names the key as the connector has it.
                        errors.setdefault(name, []).extend(
                            m.replace(f" for configuration {key}:", f" for configuration {name}:") for m in messages)
                except Exception as exc:  # noqa: BLE001 — reported, not raised: validate answers 200
                    errors.setdefault(prefix + "type", []).append(f"{type(exc).__name__}: {exc}")
                finally:
                    _close_quietly(instance)
        return errors

    def _check_predicate(self, alias: str, errors: dict[str, list[str]]) -> None:
        prefix = f"{TRANSFORMS}.{alias}."
        predicate = str(self.config.get(prefix + PREDICATE) or "").strip()
        if prefix + NEGATE in self.config and not predicate:
            errors.setdefault(prefix + NEGATE, []).append(
                f"Config '{prefix}{NEGATE}' was provided but there is no config '{prefix}{PREDICATE}' "
                "defining a predicate to be negated.")
        if predicate and predicate not in self.predicates:
            errors.setdefault(prefix + PREDICATE, []).append(
                f"Invalid value {predicate} for configuration {prefix}{PREDICATE}: the predicate '{predicate}' is "
                f"not defined: list it in '{PREDICATES}' and set '{PREDICATES}.{predicate}.type'")

    def _plugin_class(self, kind: tuple[str, str, str, str], type_key: str) -> tuple[type | None, str | None]:
        """(the class ``type_key`` names, None), (None, why it cannot be used), or (None, None) when unset."""
        name = str(self.config.get(type_key) or "").strip()
        if not name:
            return None, None
        _, _, interface, plugin_type = kind
        desc, problem = self.plugins.resolve(name)
        if problem:
            return None, f"Invalid value {name} for configuration {type_key}: {problem}"
        if desc is None:
            return None, f"Invalid value {name} for configuration {type_key}: Class {name} could not be found."
        if desc.type != plugin_type:
            what = f"a {desc.type} connector" if desc.type in ("source", "sink") else f"a {desc.type}"
            return None, f"Invalid value {name} for configuration {type_key}: Not a {interface} ({name} is {what})"
        if inspect.isabstract(desc.cls):
            return None, (f"Invalid value {name} for configuration {type_key}: This class is abstract and "
                          "cannot be created.")
        return desc.cls, None

    def _plugin_props(self, kind: tuple[str, str, str, str], prefix: str) -> dict[str, Any]:
        props = strip_prefix(self.config, prefix)
        if kind is _TRANSFORM_KIND:
            props.pop(PREDICATE, None)
            props.pop(NEGATE, None)
        return props

    # -- the chain (ConnectorConfig.transformationStages) --------------------------------------
    def build_chain(self) -> TransformationChain:
        """The configured stages, each transform and predicate configured; raises ConnectError
        naming the alias when one cannot be built (the task then fails with it)."""
        stages: list[TransformationStage] = []
        try:
            for alias in self.transforms:
                prefix = f"{TRANSFORMS}.{alias}."
                transform = self._new(_TRANSFORM_KIND, alias)
                predicate_alias = str(self.config.get(prefix + PREDICATE) or "").strip()
                predicate = None
                negate = str(self.config.get(prefix + NEGATE, "false")).strip().lower() == "true"
                if predicate_alias:
                    if predicate_alias not in self.predicates:
                        raise ConnectError(f"Transformation '{alias}' names the predicate '{predicate_alias}', "
                                           f"which is not listed in '{PREDICATES}'")
                    predicate = self._new(_PREDICATE_KIND, predicate_alias)
                stages.append(TransformationStage(transform, predicate, negate))
        except BaseException:
            TransformationChain(stages).close()
            raise
        return TransformationChain(stages)

    def _new(self, kind: tuple[str, str, str, str], alias: str) -> Any:
        prefix = f"{kind[0]}.{alias}."
        cls, problem = self._plugin_class(kind, prefix + "type")
        if cls is None:
            raise ConnectError(problem or f'Missing required configuration "{prefix}type" which has no default value.')
        instance = cls()
        try:
            instance.configure(self._plugin_props(kind, prefix))
        except Exception as exc:
            _close_quietly(instance)
            raise ConnectError(f"Could not configure the {kind[3]} '{alias}' ({prefix}type={self.config.get(prefix + 'type')}): "
                               f"{exc}") from exc
        return instance


def _implicit_keys(kind: tuple[str, str, str, str], alias: str, group: str) -> dict[str, dict[str, Any]]:
    list_key, _, interface, plugin_type = kind
    prefix = f"{list_key}.{alias}."
    keys: dict[str, dict[str, Any]] = {
        prefix + "type": {
            "type": "string", "x-connect-type": "CLASS", "x-importance": "HIGH", "x-group": group, "x-order": 0,
            "x-width": "LONG", "x-display-name": f"{interface} type for {alias}",
            "description": f"Class for the '{alias}' {plugin_type}.",
        },
    }
    if kind is _TRANSFORM_KIND:
        keys[prefix + PREDICATE] = {
            "type": ["string", "null"], "x-connect-type": "STRING", "default": None, "x-importance": "MEDIUM",
            "x-group": group, "x-order": 1, "x-display-name": PREDICATE,
            "description": "The alias of a predicate used to determine whether to apply this transformation.",
        }
        keys[prefix + NEGATE] = {
            "type": "boolean", "x-connect-type": "BOOLEAN", "default": False, "x-importance": "MEDIUM",
            "x-group": group, "x-order": 2, "x-display-name": NEGATE,
            "description": "Whether the configured predicate should be negated.",
        }
    return keys


def _close_quietly(instance: Any) -> None:
    try:
        instance.close()
    except Exception:  # noqa: BLE001
        log.debug("close() of %s failed", type(instance).__name__, exc_info=True)
