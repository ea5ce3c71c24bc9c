"""``plugin.path``: finding Python plugins in directories, as Kafka's plugin scanner finds jars.

Each element of ``plugin.path`` is a directory (or a single ``*.py`` file); each top-level entry
of such a directory is one plugin location:

- ``name.py``: a module ``name``;
- ``name/`` holding ``__init__.py``: a package ``name`` with all its submodules;
- any other directory: an unpacked wheel or source tree. Its import root is its ``src/``
  subdirectory when there is one, else the directory itself; every module and package directly
  in the import root is part of the plugin (its own dependencies may sit beside it).
  ``*.dist-info``/``*.egg-info`` and directories without ``__init__.py`` are not imported.

Modules named ``__main__``, ``setup``, ``conftest``, ``test`` or ``tests`` are never imported.
Importing a module runs it, so a location is imported only if one of its files uses dbconnect
and defines (at top level) a class deriving from one of the API's plugin bases, by name
(``class X(SourceConnector)``, ``class X(api.Converter)``) — or uses dbconnect and does not even
parse (so that its syntax error is reported). Anything else is skipped unimported: shared
directories (seed 003 lists ``/tmp``) hold scripts that must not run.

Python has one module namespace, not a class loader per plugin: a plugin's top-level module
names must be free. A name the worker's environment already provides (``json``, an installed
package) or another plugin location already claimed is not loaded, with a warning naming both.
Plugin modules become importable through a meta-path finder appended after the standard ones,
so a plugin can never replace a module of the worker itself.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import logging
import pkgutil
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from ..api.errors import ConnectError

log = logging.getLogger(__name__)

SKIPPED_MODULES = frozenset({"__main__", "setup", "conftest", "test", "tests"})
MARKER = b"dbconnect"
PLUGIN_BASES = frozenset({"Connector", "SourceConnector", "SinkConnector", "Converter", "HeaderConverter",
                          "Transformation", "Predicate"})


# -- import failures ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportFailure:
    """A plugin module that exists but raised while being imported."""

    module: str
    file: str
    error: BaseException
    #: classes its source defines at top level (empty when it does not even parse)
    class_names: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        return (f"importing module {self.module} from {self.file} raised "
                f"{type(self.error).__name__}: {self.error}")

    def names(self) -> list[str]:
        """The names a config could use for the classes of this module."""
        return [n for cls in self.class_names for n in self._names_of(cls)]

    def classes_named(self, name: str) -> list[str]:
        """Full names of this module's classes that ``name`` denotes."""
        return [f"{self.module}.{cls}" for cls in self.class_names if name in self._names_of(cls)]

    def _names_of(self, cls: str) -> list[str]:
        names = [cls, f"{self.module}.{cls}", f"{self.module}:{cls}"]
        if cls.endswith("Connector") and len(cls) > len("Connector"):
            names.append(cls[: -len("Connector")])
        return names


class PluginImportError(ConnectError):
    def __init__(self, failure: ImportFailure) -> None:
        super().__init__(failure.description)
        self.failure = failure


def module_not_found(module_name: str, exc: BaseException) -> bool:
    """True when ``exc`` says ``module_name`` (or a parent package) does not exist, as opposed to
    an existing module failing on a missing dependency of its own."""
    missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
    return missing is not None and (module_name == missing or module_name.startswith(missing + "."))


def import_failure(module_name: str, exc: BaseException) -> ImportFailure:
    file = _module_file(module_name)
    return ImportFailure(module_name, file or "?", exc, tuple(_class_names(file)) if file else ())


def _module_file(module_name: str) -> str | None:
    try:
        spec = importlib.util.find_spec(module_name)
    except Exception:  # a parent package that fails to import: no spec to be had
        return None
    return spec.origin if spec is not None and spec.has_location else None


def _class_names(file: str) -> list[str]:
    """Top-level classes of a module (all files of a package: its submodules cannot load either)."""
    path = Path(file)
    files = sorted(path.parent.rglob("*.py")) if path.name == "__init__.py" else [path]
    names: list[str] = []
    for source in files:
        try:
            tree = ast.parse(source.read_bytes(), str(source))
        except (SyntaxError, ValueError, OSError):
            continue
        names += [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
    return list(dict.fromkeys(names))


# -- making plugin modules importable ----------------------------------------------------------

class _PluginModuleFinder(importlib.abc.MetaPathFinder):
    """Finds the top-level modules claimed by plugin locations; submodules are then found the
    ordinary way, through their package's ``__path__``."""

    def __init__(self) -> None:
        self._roots: dict[str, Path] = {}
        self._lock = threading.Lock()

    def claim(self, name: str, root: Path) -> str | None:
        """Make top-level module ``name`` importable from ``root``, or say who already provides it."""
        with self._lock:
            owner = self._roots.get(name)
            if owner is not None:
                return None if owner == root else f"the plugin location {owner}"
            provider = _environment_provider(name, root)
            if provider is not None:
                return provider
            self._roots[name] = root
            if self not in sys.meta_path:
                sys.meta_path.append(self)
            return None

    def find_spec(self, fullname: str, path=None, target=None):  # noqa: ANN001 - importlib's signature
        if path is not None:
            return None
        root = self._roots.get(fullname)
        return None if root is None else importlib.machinery.PathFinder.find_spec(fullname, [str(root)])


FINDER = _PluginModuleFinder()


def _environment_provider(name: str, root: Path) -> str | None:
    """Where the worker's own environment provides module ``name``, unless that is ``root`` itself
    (the plugin directory may also be on sys.path)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError) as exc:
        return f"an already imported module ({exc})"
    if spec is None:
        return None
    own = {(root / f"{name}.py").resolve(), (root / name / "__init__.py").resolve()}
    if spec.origin and spec.has_location and Path(spec.origin).resolve() in own:
        return None
    locations = list(spec.submodule_search_locations or ())
    return spec.origin if spec.has_location else (", ".join(locations) or spec.origin or "a built-in module")


# -- locations ----------------------------------------------------------------------------------

@dataclass
class PluginLocation:
    entry: Path          # the top-level entry of a plugin.path directory
    import_root: Path    # the directory its top-level modules live in
    modules: list[str] = field(default_factory=list)

    def files(self) -> Iterator[Path]:
        for name in self.modules:
            single = self.import_root / f"{name}.py"
            if single.is_file():
                yield single
            else:
                yield from sorted((self.import_root / name).rglob("*.py"))


def _module_name(entry: Path) -> str | None:
    """The top-level module an entry of an import root provides, if it provides one."""
    if entry.is_file() and entry.suffix == ".py":
        name = entry.stem
    elif entry.is_dir() and (entry / "__init__.py").is_file():
        name = entry.name
    else:
        return None
    return name if name.isidentifier() and name not in SKIPPED_MODULES else None


def _location(entry: Path) -> PluginLocation | None:
    if entry.name.startswith(".") or entry.name == "__pycache__":
        return None
    if entry.is_dir() and not (entry / "__init__.py").is_file():
        root = entry / "src" if (entry / "src").is_dir() else entry
        modules = [m for m in map(_module_name, sorted(root.iterdir())) if m]
        return PluginLocation(entry, root, modules) if modules else None
    name = _module_name(entry)
    if name is not None:
        return PluginLocation(entry, entry.parent, [name])
    stem = entry.stem if entry.is_file() else entry.name
    if entry.suffix in (".whl", ".zip", ".egg"):
        log.warning("%s in plugin.path is an archive; plugins are read from directories only: unpack it "
                    "into a directory of its own (python -m zipfile -e %s %s)", entry, entry.name, entry.stem)
    elif (entry.suffix == ".py" or entry.is_dir()) and not stem.isidentifier():
        log.warning("%s in plugin.path cannot be imported: %r is not a valid Python module name", entry, stem)
    else:
        log.debug("%s in plugin.path is not a plugin", entry)
    return None


def plugin_locations(plugin_path: Iterable[str]) -> list[PluginLocation]:
    locations: list[PluginLocation] = []
    for element in plugin_path:
        if not element.strip():
            log.warning("plugin.path has an empty element (a stray comma?); it is ignored. "
                        "Write '.' to name the working directory")
            continue
        path = Path(element.strip()).absolute()
        if not path.exists():
            # Kafka's behaviour: a missing element is reported and the worker starts without it.
            log.warning("plugin.path element %s does not exist; no plugins are loaded from it", element)
        elif path.is_dir():
            locations += [loc for loc in map(_location, sorted(path.iterdir())) if loc is not None]
        elif path.suffix == ".py" and (loc := _location(path)) is not None:
            locations.append(loc)
        else:
            log.warning("plugin.path element %s is neither a directory nor a Python module; it is ignored", element)
    return locations


def _may_define_plugins(location: PluginLocation) -> bool:
    return any(_may_define_plugin(file) for file in location.files())


def _may_define_plugin(file: Path) -> bool:
    try:
        source = file.read_bytes()
    except OSError:
        return False
    if MARKER not in source:
        return False
    try:
        tree = ast.parse(source, str(file))
    except (SyntaxError, ValueError):
        return True  # import it so that its error is reported
    return any(_base_name(base) in PLUGIN_BASES
               for node in tree.body if isinstance(node, ast.ClassDef) for base in node.bases)


def _base_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Subscript):  # Transformation[SourceRecord]
        node = node.value
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


# -- scanning ---------------------------------------------------------------------------------

@dataclass
class ScanResult:
    classes: list[tuple[type, PluginLocation]] = field(default_factory=list)
    failures: list[ImportFailure] = field(default_factory=list)


def scan(plugin_path: Iterable[str], kind_of: Callable[[type], str | None]) -> ScanResult:
    """Import every plugin location and collect the concrete plugin classes their modules define."""
    result = ScanResult()
    seen: set[type] = set()
    for location in plugin_locations(plugin_path):
        if not _may_define_plugins(location):
            log.info("Skipping %s in plugin.path: none of its Python files defines a class based on a dbconnect "
                     "plugin interface", location.entry)
            continue
        claimed = []
        for name in location.modules:  # all names first: the modules may import one another
            taken_by = FINDER.claim(name, location.import_root)
            if taken_by is None:
                claimed.append(name)
            else:
                log.warning("Module %s of plugin %s is not loaded: that module name is already provided by %s; "
                            "rename one of them", name, location.entry, taken_by)
        for name in claimed:
            for module in _import_tree(name, result.failures):
                for cls in _defined_plugins(module, kind_of):
                    if cls not in seen:
                        seen.add(cls)
                        result.classes.append((cls, location))
    return result


def _import_tree(name: str, failures: list[ImportFailure]) -> Iterator[ModuleType]:
    try:
        module = importlib.import_module(name)
    except (Exception, SystemExit) as exc:  # a plugin's failure is reported, never fatal to the worker
        failure = import_failure(name, exc)
        failures.append(failure)
        log.error("Could not load plugin module %s from %s: %s: %s", name, failure.file, type(exc).__name__, exc,
                  exc_info=exc)
        return
    yield module
    for info in pkgutil.iter_modules(getattr(module, "__path__", None) or [], prefix=name + "."):
        if info.name.rpartition(".")[2] not in SKIPPED_MODULES:
            yield from _import_tree(info.name, failures)


def _defined_plugins(module: ModuleType, kind_of: Callable[[type], str | None]) -> Iterator[type]:
    """Plugin classes defined in ``module`` itself, not ones it imports (from dbconnect or elsewhere)."""
    for obj in list(vars(module).values()):
        if not inspect.isclass(obj) or obj.__module__ != module.__name__ or kind_of(obj) is None:
            continue
        if inspect.isabstract(obj):
            log.info("%s.%s is abstract (it does not implement %s); it is not listed as a plugin", module.__name__,
                     obj.__qualname__, ", ".join(sorted(obj.__abstractmethods__)))
            continue
        yield obj
