"""Config providers (KIP-297): ``${provider:[path:]key}`` references in configs, resolved by the worker.

``ConfigProvider`` is Kafka's ``org.apache.kafka.common.config.provider.ConfigProvider``;
``ConfigTransformer`` is Kafka's ``ConfigTransformer``, with one difference: a reference that
cannot be resolved (unknown provider, missing variable, file or key) is an error naming the
provider, the path and the key, where Kafka leaves the ``${…}`` text in place and lets the
connector fail on it later. Error messages never include a resolved value.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError
from .masking import VARIABLE_PATTERN

__all__ = ["ConfigProvider", "ConfigData", "ConfigTransformer", "ConfigTransformerResult", "VariableReference",
           "references"]


@dataclass
class ConfigData:
    """What ``ConfigProvider.get`` returns: key → value, and an optional time-to-live in ms."""

    data: dict[str, str]
    ttl: int | None = None


class ConfigProvider(ABC):
    """Supplies values for ``${name:path:key}`` references.

    Configured once per worker from ``config.providers.<name>.param.*`` (the ``param.`` prefix
    stripped); ``get(path, keys)`` returns the values of ``keys`` at ``path`` (all of them when
    ``keys`` is None). A key it does not have is simply absent from the answer.
    """

    plugin_kind = "config_provider"
    aliases: tuple[str, ...] = ()

    def configure(self, configs: Mapping[str, Any]) -> None:  # noqa: B027 — optional
        """Receives the ``config.providers.<name>.param.*`` settings."""

    @abstractmethod
    def get(self, path: str, keys: Iterable[str] | None = None) -> ConfigData: ...

    def close(self) -> None:  # noqa: B027 — optional
        pass


@dataclass(frozen=True)
class VariableReference:
    provider: str
    path: str
    key: str
    text: str

    def describe(self) -> str:
        where = f" in path '{self.path}'" if self.path else ""
        return f"key '{self.key}'{where} of config provider '{self.provider}'"


def references(value: str) -> list[VariableReference]:
    """The ``${provider:[path:]key}`` references in ``value``, in order."""
    if "${" not in value:
        return []
    return [VariableReference(m.group(1), m.group(3) or "", m.group(4), m.group(0))
            for m in VARIABLE_PATTERN.finditer(value)]


@dataclass
class ConfigTransformerResult:
    """The resolved config, the resolved values (secrets to mask) and the smallest provider TTL per path."""

    data: dict[str, str]
    resolved_values: list[str] = field(default_factory=list)
    ttls: dict[str, int] = field(default_factory=dict)


class ConfigTransformer:
    """Replaces ``${provider:[path:]key}`` references in a config's values with the providers' answers."""

    def __init__(self, providers: Mapping[str, ConfigProvider]) -> None:
        self.providers = dict(providers)

    def transform(self, config: Mapping[str, str | None], where: str = "") -> ConfigTransformerResult:
        """Every reference resolved, or a ConfigError naming the first unresolvable ones (never a value)."""
        wanted: dict[tuple[str, str], set[str]] = {}
        found: dict[str, list[VariableReference]] = {}
        for name, value in config.items():
            if isinstance(value, str):
                refs = references(value)
                if refs:
                    found[name] = refs
                    for ref in refs:
                        wanted.setdefault((ref.provider, ref.path), set()).add(ref.key)
        if not found:
            return ConfigTransformerResult(dict(config))  # type: ignore[arg-type]
        answers: dict[tuple[str, str], dict[str, str]] = {}
        ttls: dict[str, int] = {}
        problems: list[str] = []
        for (provider_name, path), keys in wanted.items():
            provider = self.providers.get(provider_name)
            if provider is None:
                known = ", ".join(sorted(self.providers)) or "none"
                problems.append(f"config provider '{provider_name}' is not configured "
                                f"(config.providers lists: {known}); it is referenced for "
                                + ", ".join(f"key '{k}'" for k in sorted(keys)))
                continue
            try:
                data = provider.get(path, sorted(keys))
            except Exception as exc:  # the provider's own message: a path, never a value
                problems.append(f"config provider '{provider_name}' could not read path '{path}': {exc}")
                continue
            answers[(provider_name, path)] = dict(data.data)
            if data.ttl is not None:
                ttls[path] = min(data.ttl, ttls.get(path, data.ttl))
        resolved: dict[str, str] = {}
        values: list[str] = []
        for name, value in config.items():
            if name not in found:
                resolved[name] = value  # type: ignore[assignment]
                continue
            text = str(value)
            for ref in found[name]:
                answer = answers.get((ref.provider, ref.path))
                if answer is None:
                    continue  # reported above
                if ref.key not in answer or answer[ref.key] is None:
                    problems.append(f"{ref.describe()} (referenced by configuration '{name}') has no value")
                    continue
                text = text.replace(ref.text, answer[ref.key])
                values.append(answer[ref.key])
            resolved[name] = text
        if problems:
            unique = list(dict.fromkeys(problems))
            raise ConfigError(f"Could not resolve the config provider references{' of ' + where if where else ''}: "
                              + "; ".join(unique))
        return ConfigTransformerResult(resolved, values, ttls)
