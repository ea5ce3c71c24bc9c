"""What a plugin name given as a Python path may import (docs/securing-rest.md, "Who can run code").

``connector.class``, ``key.converter``, ``transforms.x.type`` and the like may name a class by its
Python path (``package.module.Class``). Importing a module runs its top-level code, and whoever may
POST a connector config chooses that path, so the worker reads the module before importing it and
refuses, unimported:

- a module of Python's standard library (none holds a plugin; some run code on import:
  ``antigravity`` opens a browser, ``this`` prints);
- a module that cannot be read as Python source (an extension module, a namespace package);
- a module whose source does not define the named class at top level: neither ``class Name``
  nor an import or assignment binding a capitalised ``Name`` (a class re-exported by a package's
  ``__init__``). So ``setup.setup`` or ``os.system`` is never imported to find out that it is not
  a connector.

A module already imported by the worker (its own, or a plugin's) is not re-read: importing it again
runs nothing. Entry points and ``plugin.path`` classes are found by name before any of this
(plugin_path.py has its own static check). After the import, ``plugins.py`` checks that the class
is of the kind the key asks for (a connector for ``connector.class``, …).

What this does not stop: the packages on the way (``pkg`` and ``pkg.sub`` of
``pkg.sub.module.Class``) run their ``__init__`` when the named module is imported, as Java runs
static initialisers of the classes it loads; installed packages are the operator's choice.
"""

from __future__ import annotations

import ast
import importlib.machinery
import sys
from pathlib import Path

_NOT_A_PLUGIN = "dbconnect does not import it to look"


class PluginRefused(Exception):
    """A Python path that names no importable plugin class, refused before importing it."""


def _find_spec(fullname: str, search: list[str] | None) -> importlib.machinery.ModuleSpec | None:
    """What ``import`` would find for ``fullname`` (every finder of ``sys.meta_path``, the
    plugin.path finder included), with the parent's search path given, so no parent is imported."""
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is None:
            continue
        try:
            spec = find_spec(fullname, search)
        except (ImportError, ValueError, TypeError):
            continue
        if spec is not None:
            return spec
    return None


def _source_of(module_name: str) -> Path | None:
    """The source file of ``module_name``, found without importing anything new; None when no
    such module exists. Raises PluginRefused for a module that is not Python source."""
    parts = module_name.split(".")
    search: list[str] | None = None
    spec = None
    for i, part in enumerate(parts):
        prefix = ".".join(parts[: i + 1])
        loaded = sys.modules.get(prefix)
        if loaded is not None and i < len(parts) - 1:
            search = list(getattr(loaded, "__path__", None) or [])
            if not search:
                return None  # a module, not a package: it has no submodules
            continue
        spec = _find_spec(prefix, search)
        if spec is None:
            return None
        if i < len(parts) - 1:
            search = list(spec.submodule_search_locations or [])
            if not search:
                return None
    if spec is None or not spec.has_location or not str(spec.origin or "").endswith(".py"):
        raise PluginRefused(f"module {module_name} is not a Python source file; {_NOT_A_PLUGIN}")
    return Path(str(spec.origin))


def _binds(tree: ast.Module, name: str) -> bool:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return True
        if not name[:1].isupper():
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((alias.asname or alias.name.split(".")[0]) == name for alias in node.names):
                return True
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
    return False


def check_before_import(module_name: str, attr: str) -> bool:
    """True when importing ``module_name`` to read ``attr`` is allowed; False when no such module
    exists. Raises PluginRefused (with the reason) when it exists but must not be imported."""
    if module_name in sys.modules:
        return True
    top = module_name.split(".")[0]
    if top in sys.stdlib_module_names:
        raise PluginRefused(f"{module_name} is a module of Python's standard library, which holds no plugins; "
                            f"{_NOT_A_PLUGIN}")
    source = _source_of(module_name)
    if source is None:
        return False
    try:
        tree = ast.parse(source.read_bytes(), str(source))
    except (OSError, SyntaxError, ValueError):
        return True  # let the import report the module's own error
    name = attr.split(".")[0]
    if not _binds(tree, name):
        raise PluginRefused(f"module {module_name} ({source}) defines no class {name} at top level; {_NOT_A_PLUGIN}")
    return True
