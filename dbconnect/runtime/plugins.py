"""Plugin discovery and aliases (runtime/isolation in Kafka Connect).

A plugin is found by any of its names:
- a registered alias: the short name (``FileStreamSource``), the class name
  (``FileStreamSourceConnector``) or the Java class name Kafka tutorials use
  (``org.apache.kafka.connect.file.FileStreamSourceConnector``);
- a Python path, ``package.module.Class`` or ``package.module:Class``;
- the name of an entry point in the group ``dbconnect.plugins`` (dbconnect declares its built-in
  connectors and converters there, and third-party packages publish their plugins there; the entry point's name is an alias too, so a package may publish a
  connector under the Java class name its users already have in their configs);
- the Python path, class name or declared ``aliases`` of a class found in a ``plugin.path``
  directory (see plugin_path.py).

A name two different classes answer to is ambiguous and refused with both full names, never
resolved to whichever registered first. A class whose module exists but fails on import is
refused with that module's own error, not as "not found".
"""

from __future__ import annotations

import importlib
import inspect
import logging
import threading
from dataclasses import dataclass, field
from importlib import metadata
from collections.abc import Iterable
from typing import Any

import dbconnect

from ..api.config_provider import ConfigProvider
from ..api.connector import Connector, SinkConnector, SourceConnector
from ..api.converter import HEADER_CONVERTER_TYPE, CONVERTER_TYPE_KEY, Converter, HeaderConverter
from ..api.errors import BadRequestError, ConnectError
from ..api.transformation import Predicate, Transformation, plugin_kind
from .plugin_guard import PluginRefused, check_before_import
from .plugin_path import ImportFailure, PluginImportError, import_failure, module_not_found, scan

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "dbconnect.plugins"
#: The distribution whose entry points are the built-in plugins.
DISTRIBUTION = "dbconnect"

CONNECTOR_TYPES = ("source", "sink")


@dataclass
class PluginDesc:
    cls: type
    type: str
    class_name: str
    aliases: list[str] = field(default_factory=list)

    @property
    def version(self) -> str:
        if callable(getattr(self.cls, "version", None)):
            try:
                return str(self.cls().version())
            except Exception:  # a plugin whose constructor fails still lists
                log.debug("Could not instantiate %s to read its version", self.class_name, exc_info=True)
        version = getattr(self.cls, "VERSION", None) or getattr(self.cls, "version", None)
        return version if isinstance(version, str) else dbconnect.__version__

    @property
    def python_name(self) -> str:
        return _python_name(self.cls)

    def to_json(self) -> dict[str, str]:
        return {"class": self.class_name, "type": self.type, "version": self.version}


def plugin_type(cls: type) -> str | None:
    if not inspect.isclass(cls):
        return None
    if issubclass(cls, SourceConnector):
        return "source"
    if issubclass(cls, SinkConnector):
        return "sink"
    if issubclass(cls, Converter):
        return "converter"  # a header converter too when it also derives from HeaderConverter
    if issubclass(cls, HeaderConverter):
        return "header_converter"
    if issubclass(cls, Transformation):
        return "transformation"
    if issubclass(cls, Predicate):
        return "predicate"
    if issubclass(cls, ConfigProvider):
        return "config_provider"
    return plugin_kind(cls)  # transforms that do not subclass the API's bases


def _python_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class Plugins:
    def __init__(self, plugin_path: Iterable[str] | None = None, load_entry_points: bool = True) -> None:
        """``load_entry_points=False`` loads only dbconnect's own entry points (the built-ins),
        not those other installed packages publish."""
        self._by_alias: dict[str, list[PluginDesc]] = {}
        # Names of classes in plugin.path modules that failed to import → those failures.
        self._broken: dict[str, list[ImportFailure]] = {}
        self._descs: list[PluginDesc] = []
        self._lock = threading.Lock()
        self._load_entry_points(third_party=load_entry_points)
        if plugin_path:
            self._load_plugin_path(plugin_path)

    # -- registration -------------------------------------------------------------------------
    def register(self, cls: type, *aliases: str) -> PluginDesc:
        kind = plugin_type(cls)
        if kind is None:
            raise ConnectError(f"{_python_name(cls)} is not a connector, converter, transformation or predicate")
        declared = list(getattr(cls, "aliases", ()) or ())
        names = list(dict.fromkeys([*aliases, *declared]))
        class_name = next((n for n in names if "." in n), _python_name(cls))
        simple = cls.__name__
        names += [simple, _python_name(cls), f"{cls.__module__}:{cls.__qualname__}"]
        if kind in CONNECTOR_TYPES and simple.endswith("Connector") and len(simple) > len("Connector"):
            names.append(simple[: -len("Connector")])
        with self._lock:
            existing = next((d for d in self._descs if d.cls is cls), None)
            desc = existing or PluginDesc(cls, kind, class_name)
            if existing is None:
                self._descs.append(desc)
            for name in dict.fromkeys(names):
                holders = self._by_alias.setdefault(name, [])
                if desc not in holders:
                    holders.append(desc)
                if name not in desc.aliases:
                    desc.aliases.append(name)
        return desc

    def _load_entry_points(self, third_party: bool) -> None:
        # The built-in connectors, converters and transforms are entry points of dbconnect's own
        # distribution (pyproject.toml), found exactly as a third party's: the runtime imports no
        # plugin module by name, so the layers point one way (CONTRIBUTING.md, "The layer rule").
        # An installation whose metadata lacks them (an editable install older than the
        # declarations) has no built-ins: reinstall it.
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if not third_party and not _is_builtin(ep):
                continue
            try:
                cls = ep.load()
                self.register(cls, ep.name)
            except Exception as exc:  # one broken plugin must not take the worker down
                log.error("Could not load plugin entry point %s = %s: %s", ep.name, ep.value, exc)

    def _load_plugin_path(self, plugin_path: Iterable[str]) -> None:
        result = scan(plugin_path, plugin_type)
        for cls, location in result.classes:
            desc = self.register(cls)
            log.info("Loaded plugin %s (%s, version %s) from %s", desc.class_name, desc.type, desc.version,
                     location.entry)
        with self._lock:
            for failure in result.failures:
                for name in dict.fromkeys(failure.names()):
                    self._broken.setdefault(name, []).append(failure)

    # -- lookup ---------------------------------------------------------------------------------
    def find(self, name: str) -> PluginDesc | None:
        """The plugin ``name`` denotes, or None (unknown, ambiguous or failing: see ``load_problem``)."""
        return self.resolve(name)[0]

    def load_problem(self, name: str) -> str | None:
        """Why ``name`` cannot be used although something answers to it: ambiguous, or failing on import."""
        return self.resolve(name)[1]

    def resolve(self, name: str) -> tuple[PluginDesc | None, str | None]:
        """(the plugin, None), or (None, why it cannot be used), or (None, None) when nothing answers."""
        name = (name or "").strip()
        if not name:
            return None, None
        with self._lock:
            descs = list(self._by_alias.get(name, ()))
            broken = list(self._broken.get(name, ()))
        if len(descs) + len(broken) > 1:
            candidates = [d.python_name for d in descs]
            candidates += [f"{full} (which fails to load: {f.description})"
                           for f in broken for full in f.classes_named(name)]
            return None, (f"Plugin name {name} is ambiguous: it matches {' and '.join(candidates)}; "
                          f"use the full name")
        if descs:
            return descs[0], None
        if broken:
            return None, f"Could not load {name}: {broken[0].description}"
        try:
            cls = _import_class(name)
        except PluginRefused as exc:
            log.warning("Refused to load plugin %s: %s", name, exc)
            return None, f"Refusing to load {name}: {exc}"
        except PluginImportError as exc:
            log.error("Could not load plugin %s: %s", name, exc, exc_info=exc.failure.error)
            return None, f"Could not load {name}: {exc}"
        if cls is None or plugin_type(cls) is None:
            return None, None
        if inspect.isabstract(cls):
            missing = ", ".join(sorted(cls.__abstractmethods__))
            return None, f"{name} is abstract and cannot be instantiated: it does not implement {missing}"
        return self.register(cls, name), None

    def connector_desc(self, name: str) -> PluginDesc:
        desc, problem = self.resolve(name)
        if problem:
            raise BadRequestError(problem)
        if desc is None or desc.type not in CONNECTOR_TYPES:
            available = ", ".join(sorted(d.cls.__name__ for d in self._descs if d.type in CONNECTOR_TYPES))
            raise BadRequestError(
                f"Failed to find any class that implements Connector and which name matches {name}, "
                f"available connectors are: {available}"
            )
        return desc

    def new_connector(self, name: str) -> Connector:
        return self.connector_desc(name).cls()

    def converter_class(self, name: str) -> type[Converter]:
        desc, problem = self.resolve(name)
        if problem:
            raise ConnectError(problem)
        if desc is None or desc.type != "converter":
            available = ", ".join(sorted(d.class_name for d in self._descs if d.type == "converter"))
            raise ConnectError(
                f"Failed to find any class that implements Converter and which name matches {name}, "
                f"available converters are: {available}"
            )
        return desc.cls

    def new_converter(self, name: str, configs: dict[str, Any], is_key: bool) -> Converter:
        converter = self.converter_class(name)()
        converter.configure(configs, is_key)
        return converter

    def header_converter_class(self, name: str) -> type[HeaderConverter]:
        """The HeaderConverter ``name`` denotes: a HeaderConverter, or a Converter that is one too
        (Kafka's String, JSON and ByteArray converters); a Converter that is not (Confluent's
        JsonSchemaConverter) is refused, as Kafka refuses it."""
        desc, problem = self.resolve(name)
        if problem:
            raise ConnectError(problem)
        if desc is None or not issubclass(desc.cls, HeaderConverter):
            available = ", ".join(sorted(d.class_name for d in self._descs if issubclass(d.cls, HeaderConverter)))
            if desc is not None and desc.type == "converter":
                raise ConnectError(f"{name} is a Converter but not a HeaderConverter, so it cannot be used as "
                                   f"header.converter; header converters are: {available}")
            raise ConnectError(
                f"Failed to find any class that implements HeaderConverter and which name matches {name}, "
                f"available header converters are: {available}"
            )
        return desc.cls

    def new_header_converter(self, name: str, configs: dict[str, Any]) -> HeaderConverter:
        cls = self.header_converter_class(name)
        converter = cls()
        if issubclass(cls, Converter):
            # As Kafka's Plugins.newHeaderConverter: a converter learns it serves headers.
            converter.configure({**configs, CONVERTER_TYPE_KEY: HEADER_CONVERTER_TYPE}, False)
        else:
            converter.configure(configs, False)
        return converter

    def plugin_class(self, name: str, kind: str) -> type:
        desc, problem = self.resolve(name)
        if problem:
            raise ConnectError(problem)
        if desc is None or desc.type != kind:
            raise ConnectError(f"Failed to find any class that implements {kind} and which name matches {name}")
        return desc.cls

    def connector_plugins(self, connectors_only: bool = True) -> list[dict[str, str]]:
        with self._lock:
            descs = list(self._descs)
        if connectors_only:
            descs = [d for d in descs if d.type in CONNECTOR_TYPES]
        # Config providers are worker settings, not connector plugins: Connect does not list them.
        descs = [d for d in descs if d.type != "config_provider"]
        listed = [d.to_json() for d in descs]
        # A converter that is also a HeaderConverter (String, Json, ByteArray) is listed once per
        # role, as Kafka's PluginsResource lists it.
        listed += [{**d.to_json(), "type": "header_converter"} for d in descs
                   if d.type == "converter" and issubclass(d.cls, HeaderConverter)]
        return sorted(listed, key=lambda p: (p["type"], p["class"]))


def _is_builtin(ep: metadata.EntryPoint) -> bool:
    dist = getattr(ep, "dist", None)
    return dist is not None and dist.metadata["Name"] == DISTRIBUTION


def _import_class(name: str) -> type | None:
    """The class a Python path names; None when no such module or attribute exists.

    Raises PluginImportError when the module exists but fails on import (a missing dependency,
    a syntax error): that is what the user must fix, not the name; PluginRefused when the module
    must not be imported at all (plugin_guard.py: importing runs code the config's author chose).
    """
    if ":" in name:
        module_name, _, attr = name.partition(":")
    elif "." in name:
        module_name, _, attr = name.rpartition(".")
    else:
        return None
    if not all(part.isidentifier() for part in module_name.split(".")):
        return None
    if not check_before_import(module_name, attr):
        return None
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if module_not_found(module_name, exc):
            return None
        raise PluginImportError(import_failure(module_name, exc)) from exc
    except (Exception, SystemExit) as exc:  # the module exists but fails on import
        raise PluginImportError(import_failure(module_name, exc)) from exc
    obj: Any = module
    for part in attr.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj if inspect.isclass(obj) else None
