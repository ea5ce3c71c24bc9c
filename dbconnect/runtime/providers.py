"""The built-in config providers: Kafka's EnvVarConfigProvider, FileConfigProvider, DirectoryConfigProvider.

They are found as ``dbconnect.plugins`` entry points (pyproject.toml), like a third party's, under
their Java class names (``org.apache.kafka.common.config.provider.FileConfigProvider``), their
class names and their Python paths. Their messages name paths and keys, never values.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..api.config_provider import ConfigData, ConfigProvider
from ..api.errors import ConfigError
from .properties import parse_properties

log = logging.getLogger(__name__)

_JAVA_PACKAGE = "org.apache.kafka.common.config.provider."
ALLOWED_PATHS_CONFIG = "allowed.paths"
ALLOWLIST_PATTERN_CONFIG = "allowlist.pattern"


class AllowedPaths:
    """KIP-993's ``allowed.paths``: comma-separated absolute directories; None allows every path."""

    def __init__(self, setting: Any) -> None:
        self.roots: list[Path] | None = None
        text = ",".join(setting) if isinstance(setting, (list, tuple)) else str(setting or "")
        entries = [e.strip() for e in text.split(",") if e.strip()]
        if not entries:
            return
        roots = []
        for entry in entries:
            if not os.path.isabs(entry):
                raise ConfigError(f"Path {entry} in {ALLOWED_PATHS_CONFIG} is not absolute")
            roots.append(Path(os.path.normpath(entry)))
        self.roots = roots

    def check(self, path: str) -> Path:
        """The normalised ``path``, or a ConfigError when ``allowed.paths`` excludes it."""
        normal = Path(os.path.normpath(path)) if path else Path("")
        if self.roots is not None and not any(normal == r or r in normal.parents for r in self.roots):
            raise ConfigError(f"path '{path}' is not allowed: it is not under {ALLOWED_PATHS_CONFIG} "
                              f"({', '.join(str(r) for r in self.roots)})")
        return normal


class EnvVarConfigProvider(ConfigProvider):
    """``${env:VARIABLE}``: the worker process's environment, filtered by ``allowlist.pattern``."""

    aliases = (_JAVA_PACKAGE + "EnvVarConfigProvider",)

    def __init__(self) -> None:
        self._allow: re.Pattern[str] | None = None
        self._environ: Mapping[str, str] = os.environ

    def configure(self, configs: Mapping[str, Any]) -> None:
        pattern = configs.get(ALLOWLIST_PATTERN_CONFIG)
        if pattern:
            try:
                self._allow = re.compile(str(pattern))
            except re.error as exc:
                raise ConfigError(f"Invalid value {pattern} for configuration {ALLOWLIST_PATTERN_CONFIG}: "
                                  f"not a regular expression ({exc})") from exc

    def get(self, path: str, keys: Iterable[str] | None = None) -> ConfigData:
        if path:
            raise ConfigError(f"a path ('{path}') is not supported by EnvVarConfigProvider: write ${{env:VARIABLE}}")
        wanted = list(keys) if keys is not None else list(self._environ)
        data = {}
        for key in wanted:
            if key in self._environ and (self._allow is None or self._allow.fullmatch(key)):
                data[key] = self._environ[key]
        return ConfigData(data)


class _PathConfigProvider(ConfigProvider):
    """What the file and directory providers share: KIP-993's ``allowed.paths``."""

    def __init__(self) -> None:
        self._allowed = AllowedPaths(None)

    def configure(self, configs: Mapping[str, Any]) -> None:
        self._allowed = AllowedPaths(configs.get(ALLOWED_PATHS_CONFIG))


class FileConfigProvider(_PathConfigProvider):
    """``${file:/path/to/file.properties:key}``: a key of a Java properties file."""

    aliases = (_JAVA_PACKAGE + "FileConfigProvider",)

    def get(self, path: str, keys: Iterable[str] | None = None) -> ConfigData:
        if not path:
            raise ConfigError("FileConfigProvider needs a file: write ${file:/path/to/file.properties:key}")
        file = self._allowed.check(path)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"Could not read properties from file {path}: {exc.strerror or type(exc).__name__}") from None
        props = parse_properties(text, strip_inline_comments=False)
        wanted = set(keys) if keys is not None else None
        return ConfigData({k: v for k, v in props.items() if wanted is None or k in wanted})


class DirectoryConfigProvider(_PathConfigProvider):
    """``${dir:/path/to/dir:filename}``: the whole content of a file in a directory (Kubernetes secrets)."""

    aliases = (_JAVA_PACKAGE + "DirectoryConfigProvider",)

    def get(self, path: str, keys: Iterable[str] | None = None) -> ConfigData:
        if not path:
            raise ConfigError("DirectoryConfigProvider needs a directory: write ${dir:/path/to/dir:filename}")
        directory = self._allowed.check(path)
        if not directory.is_dir():
            raise ConfigError(f"Could not list directory {path}: not a directory")
        wanted = set(keys) if keys is not None else None
        data = {}
        # Regular files directly in the directory, named by the key (Kafka reads them whole, as bytes → UTF-8).
        for entry in directory.iterdir():
            if (wanted is None or entry.name in wanted) and entry.is_file():
                try:
                    data[entry.name] = entry.read_text(encoding="utf-8")
                except OSError as exc:
                    raise ConfigError(f"Could not read file {entry}: {exc.strerror or type(exc).__name__}") from None
        return ConfigData(data)

