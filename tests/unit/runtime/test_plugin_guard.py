"""A plugin named by its Python path: modules that cannot hold it are refused before they run."""

from __future__ import annotations

import sys
import uuid

import pytest

from dbconnect.api.errors import BadRequestError, ConnectError
from dbconnect.runtime.plugin_guard import PluginRefused, check_before_import
from dbconnect.runtime.plugins import Plugins

CONNECTOR = """\
from dbconnect.api.connector import SourceConnector
class {name}(SourceConnector):
    def version(self): return "1"
    def start(self, props): pass
    def task_class(self): return None
    def task_configs(self, n): return []
    def stop(self): pass
    def config(self): return None
"""


def _marker_module(tmp_path, monkeypatch, body: str) -> tuple[str, object]:
    """A module on sys.path that writes a marker file when imported, then ``body``."""
    name = f"sideeffect_{uuid.uuid4().hex[:8]}"
    marker = tmp_path / f"{name}.ran"
    (tmp_path / f"{name}.py").write_text(f"open({str(marker)!r}, 'w').close()\n{body}")
    monkeypatch.syspath_prepend(str(tmp_path))
    return name, marker


@pytest.fixture(scope="module")
def plugins() -> Plugins:
    return Plugins(load_entry_points=False)


@pytest.mark.parametrize("name", ["antigravity.Connector", "this.Connector", "turtle.Turtle", "idlelib.idle.X"])
def test_standard_library_modules_are_never_imported(plugins, name):
    module = name.rpartition(".")[0]
    assert module not in sys.modules
    with pytest.raises(BadRequestError) as info:
        plugins.connector_desc(name)
    assert str(info.value).startswith(f"Refusing to load {name}: {module} is a module of Python's standard library")
    assert module not in sys.modules and module.split(".")[0] not in sys.modules


def test_a_module_without_the_named_class_does_not_run(plugins, tmp_path, monkeypatch):
    name, marker = _marker_module(tmp_path, monkeypatch, "from subprocess import run as setup\nx = 1\n")
    for attr in ("Connector", "setup", "x"):
        with pytest.raises(BadRequestError, match=rf"Refusing to load {name}.{attr}: module {name} .* defines no class"):
            plugins.connector_desc(f"{name}.{attr}")
    assert not marker.exists() and name not in sys.modules


def test_a_module_defining_the_class_is_imported_and_then_checked_for_its_kind(plugins, tmp_path, monkeypatch):
    name, marker = _marker_module(tmp_path, monkeypatch, "class NotAConnector:\n    pass\n")
    with pytest.raises(BadRequestError, match=f"Failed to find any class that implements Connector and which name matches {name}.NotAConnector"):
        plugins.connector_desc(f"{name}.NotAConnector")
    assert marker.exists()  # this module did name the class: importing it is the price of the check


def test_a_class_re_exported_by_a_package_loads(plugins, tmp_path, monkeypatch):
    package = tmp_path / f"pkg_{uuid.uuid4().hex[:8]}"
    package.mkdir()
    (package / "impl.py").write_text(CONNECTOR.format(name="ReExportedConnector"))
    (package / "__init__.py").write_text("from .impl import ReExportedConnector\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    desc = plugins.connector_desc(f"{package.name}.ReExportedConnector")
    assert desc.cls.__name__ == "ReExportedConnector" and desc.type == "source"
    # The submodule directly, too; a converter key naming a connector is refused by kind.
    assert plugins.connector_desc(f"{package.name}.impl:ReExportedConnector").cls is desc.cls
    with pytest.raises(ConnectError, match="implements Converter"):
        plugins.converter_class(f"{package.name}.ReExportedConnector")


def test_namespace_packages_and_missing_modules(tmp_path, monkeypatch):
    namespace = tmp_path / f"ns_{uuid.uuid4().hex[:8]}"
    namespace.mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginRefused, match="is not a Python source file"):
        check_before_import(namespace.name, "Connector")
    assert check_before_import(f"no_such_{uuid.uuid4().hex[:8]}.mod", "Connector") is False
    assert check_before_import("dbconnect.runtime.plugins", "Plugins") is True  # already imported: runs nothing
