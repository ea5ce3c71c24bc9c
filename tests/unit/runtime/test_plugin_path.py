"""plugin.path layout rules and import failures, on real files in a temp dir (no worker needed).

Python's module namespace is process-wide, so every module a test writes has a unique name.
"""

from __future__ import annotations

import logging
import textwrap
import uuid
from pathlib import Path

import pytest

from dbconnect.api.errors import BadRequestError
from dbconnect.runtime.plugins import Plugins
from dbconnect.runtime.validation import ConnectorValidator

CONNECTOR = """
from dbconnect.api import SourceConnector, SourceTask


class {name}(SourceConnector):
    def start(self, props): pass
    def task_class(self): return {name}Task
    def task_configs(self, max_tasks): return [{{}}]
    def stop(self): pass
    def version(self): return "2.5"


class {name}Task(SourceTask):
    def start(self, props): pass
    def poll(self): return []
    def stop(self): pass
"""

# Importing this must never happen: the scanner would run it.
MUST_NOT_RUN = "import dbconnect\nclass MustNotRun: pass\nraise RuntimeError('this file must not be imported')\n"


def unique(stem: str) -> str:
    return f"{stem}_{uuid.uuid4().hex[:8]}"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def listed(plugins: Plugins) -> dict[str, str]:
    return {p["class"]: p["type"] for p in plugins.connector_plugins(connectors_only=False)}


def test_layouts_module_package_tree_and_src_tree(tmp_path, caplog):
    root = tmp_path / "connectors"
    mod, pkg, tree_pkg, src_pkg, dep = (unique(s) for s in ("mod", "pkg", "treepkg", "srcpkg", "vendored"))
    write(root / f"{mod}.py", CONNECTOR.format(name="ModuleSourceConnector"))
    write(root / pkg / "__init__.py", "")
    write(root / pkg / "sub" / "__init__.py", "")
    write(root / pkg / "sub" / "deep.py", CONNECTOR.format(name="DeepSourceConnector"))
    write(root / pkg / "__main__.py", MUST_NOT_RUN)
    write(root / pkg / "tests" / "__init__.py", MUST_NOT_RUN)
    # An unpacked wheel: package + dist-info + a vendored dependency beside it.
    write(root / "my-connector" / tree_pkg / "__init__.py", f"from {dep} import helper\n"
          + CONNECTOR.format(name="TreeSourceConnector"))
    write(root / "my-connector" / f"{dep}.py", "def helper(): return 1\n")
    write(root / "my-connector" / f"{tree_pkg}-1.0.dist-info" / "METADATA", "Name: my-connector\n")
    write(root / "my-connector" / "setup.py", MUST_NOT_RUN)
    write(root / "my-connector" / "conftest.py", MUST_NOT_RUN)
    write(root / "my-connector" / "scripts" / "tool.py", MUST_NOT_RUN)  # no __init__.py: not a package
    # A source tree: only src/ is the import root.
    write(root / "src-tree" / "src" / src_pkg / "__init__.py", CONNECTOR.format(name="SrcSourceConnector"))
    write(root / "src-tree" / "tests" / "__init__.py", MUST_NOT_RUN)
    write(root / "src-tree" / "noxfile_like.py", MUST_NOT_RUN)
    # Not plugins at all.
    write(root / "README.txt", "hello")
    write(root / "unrelated_script.py", "raise RuntimeError('never imported: it does not mention the API package')\n")
    # Uses dbconnect, but defines no plugin class: a script, which importing would run.
    write(root / "bench_script.py", "from dbconnect.embedded import EmbeddedBroker\n\n\nclass Helper:\n    pass\n\n\n"
          "raise RuntimeError('a script must not run')\n")
    # A plugin class whose API base is one step away, in a sibling module.
    base, impl = unique("chain_base"), unique("chain_impl")
    write(root / "chain" / f"{base}.py", "from dbconnect import api\n\n\nclass Base(api.SourceConnector):\n"
          "    def version(self): return '3.0'\n")
    write(root / "chain" / f"{impl}.py", f"from {base} import Base\n" + CONNECTOR.format(name="ChainSourceConnector")
          .replace("(SourceConnector)", "(Base)"))

    with caplog.at_level(logging.INFO, logger="dbconnect.runtime.plugin_path"):
        plugins = Plugins([str(root)], load_entry_points=False)

    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    skipped = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Skipping")]
    assert sorted(skipped) == [
        f"Skipping {root / name} in plugin.path: none of its Python files defines a class based on a dbconnect "
        f"plugin interface" for name in ("bench_script.py", "unrelated_script.py")]
    found = listed(plugins)
    assert found[f"{mod}.ModuleSourceConnector"] == "source"
    assert found[f"{pkg}.sub.deep.DeepSourceConnector"] == "source"
    assert found[f"{tree_pkg}.TreeSourceConnector"] == "source"
    assert found[f"{src_pkg}.SrcSourceConnector"] == "source"
    assert found[f"{impl}.ChainSourceConnector"] == "source"
    # Tasks are not plugins; nothing else was imported (the MUST_NOT_RUN files would have failed).
    assert not [c for c in found if c.endswith("Task")]
    assert plugins.load_problem("MustNotRun") is None
    # Found by Python path, class name and short name; the version is the plugin's own.
    for name in (f"{mod}.ModuleSourceConnector", f"{mod}:ModuleSourceConnector", "ModuleSourceConnector", "ModuleSource"):
        assert plugins.connector_desc(name).python_name == f"{mod}.ModuleSourceConnector"
    assert {"class": f"{mod}.ModuleSourceConnector", "type": "source", "version": "2.5"} in plugins.connector_plugins()


def test_only_concrete_classes_defined_in_the_plugin_are_listed(tmp_path, monkeypatch):
    mod, lib = unique("mixed"), unique("installed_lib")
    # A library installed in the worker's environment (not on plugin.path) that a plugin imports from.
    write(tmp_path / "site" / f"{lib}.py", CONNECTOR.format(name="LibrarySourceConnector"))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    write(tmp_path / "plugins" / f"{mod}.py", f"""
        from abc import abstractmethod

        from dbconnect.api import Converter, Predicate, SchemaAndValue, SourceConnector, Transformation
        from dbconnect.connectors.file import FileStreamSourceConnector  # imported, not defined here
        from {lib} import LibrarySourceConnector  # imported, not defined here


        class BaseConnector(SourceConnector):  # abstract: task_class etc. missing
            @abstractmethod
            def extra(self): ...


        class Upper(Transformation):
            aliases = ("com.example.Upper",)

            def apply(self, record):
                return record


        class IsTombstone(Predicate):
            def test(self, record):
                return record.value is None


        class Raw(Converter):
            def from_connect_data(self, topic, schema, value, headers=None):
                return value

            def to_connect_data(self, topic, value, headers=None):
                return SchemaAndValue(None, value)
    """)
    plugins = Plugins([str(tmp_path / "plugins")], load_entry_points=False)
    mine = {c: t for c, t in listed(plugins).items() if mod in c or lib in c or c.startswith("com.example")}
    assert mine == {"com.example.Upper": "transformation", f"{mod}.IsTombstone": "predicate", f"{mod}.Raw": "converter"}
    assert plugins.find("Upper") is plugins.find(f"{mod}.Upper") is plugins.find("com.example.Upper")
    assert plugins.plugin_class("IsTombstone", "predicate").__name__ == "IsTombstone"
    assert plugins.converter_class("Raw").__module__ == mod
    # The imported built-in is still the built-in, listed once, under its own name.
    assert plugins.find("FileStreamSourceConnector").python_name == "dbconnect.connectors.file.FileStreamSourceConnector"
    assert [c for c in listed(plugins) if c.endswith("FileStreamSourceConnector")] == [
        "org.apache.kafka.connect.file.FileStreamSourceConnector"]
    with pytest.raises(BadRequestError, match="BaseConnector is abstract.*does not implement extra, start, stop, "
                                              "task_class, task_configs"):
        plugins.connector_desc(f"{mod}.BaseConnector")


def test_module_that_fails_on_import_is_reported_with_its_own_error(tmp_path, caplog):
    good, broken, syntax, missing = unique("good"), unique("broken"), unique("syntax"), unique("nodep")
    write(tmp_path / f"{good}.py", CONNECTOR.format(name="GoodSourceConnector"))
    write(tmp_path / f"{broken}.py", f"import {missing}\n" + CONNECTOR.format(name="BrokenSourceConnector"))
    write(tmp_path / f"{syntax}.py", "import dbconnect\nclass Oops(:\n")
    with caplog.at_level(logging.INFO, logger="dbconnect.runtime.plugin_path"):
        plugins = Plugins([str(tmp_path)], load_entry_points=False)

    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(str(tmp_path / f"{broken}.py") in m and f"ModuleNotFoundError: No module named '{missing}'" in m
               for m in errors), errors
    assert any(str(tmp_path / f"{syntax}.py") in m and "SyntaxError" in m for m in errors), errors
    assert plugins.connector_desc("GoodSourceConnector").python_name == f"{good}.GoodSourceConnector"
    expected = (f"importing module {broken} from {tmp_path / f'{broken}.py'} raised ModuleNotFoundError: "
                f"No module named '{missing}'")
    for name in ("BrokenSourceConnector", "BrokenSource", f"{broken}.BrokenSourceConnector",
                 f"{broken}:BrokenSourceConnector"):
        with pytest.raises(BadRequestError) as info:
            plugins.connector_desc(name)
        assert str(info.value) == f"Could not load {name}: {expected}"
    with pytest.raises(BadRequestError, match=f"importing module {syntax} from .* raised SyntaxError"):
        plugins.connector_desc(f"{syntax}.Oops")


def test_python_path_module_that_fails_on_import(tmp_path, monkeypatch):
    mod, missing = unique("pathmod"), unique("nodep")
    write(tmp_path / f"{mod}.py", f"import {missing}\n" + CONNECTOR.format(name="PathSourceConnector"))
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins = Plugins(load_entry_points=False)
    desc, problem = plugins.resolve(f"{mod}.PathSourceConnector")
    assert desc is None
    assert problem == (f"Could not load {mod}.PathSourceConnector: importing module {mod} from "
                       f"{tmp_path / f'{mod}.py'} raised ModuleNotFoundError: No module named '{missing}'")
    # A module that does not exist at all is still "not found", not an import failure.
    assert plugins.resolve(f"{unique('absent')}.Connector") == (None, None)
    assert plugins.resolve("dbconnect.connectors.file.NoSuchClass") == (None, None)
    with pytest.raises(BadRequestError, match="Failed to find any class that implements Connector"):
        plugins.connector_desc(f"{unique('absent')}.Connector")


def test_same_class_name_in_two_plugins_is_ambiguous(tmp_path):
    first, second = unique("acme"), unique("other")
    write(tmp_path / "a" / f"{first}.py", CONNECTOR.format(name="MySourceConnector"))
    write(tmp_path / "b" / f"{second}.py", CONNECTOR.format(name="MySourceConnector"))
    plugins = Plugins([str(tmp_path / "a"), str(tmp_path / "b")], load_entry_points=False)
    assert {f"{first}.MySourceConnector", f"{second}.MySourceConnector"} <= set(listed(plugins))
    for name in ("MySourceConnector", "MySource"):
        with pytest.raises(BadRequestError) as info:
            plugins.connector_desc(name)
        assert str(info.value) == (f"Plugin name {name} is ambiguous: it matches {first}.MySourceConnector and "
                                   f"{second}.MySourceConnector; use the full name")
    assert plugins.connector_desc(f"{second}.MySourceConnector").cls.__module__ == second


def test_module_names_already_taken_are_refused_with_a_warning(tmp_path, caplog):
    dup = unique("dup")
    write(tmp_path / "a" / f"{dup}.py", CONNECTOR.format(name="FirstSourceConnector"))
    write(tmp_path / "b" / f"{dup}.py", CONNECTOR.format(name="SecondSourceConnector"))
    write(tmp_path / "b" / "json.py", CONNECTOR.format(name="JsonShadowSourceConnector"))  # the stdlib's name
    with caplog.at_level(logging.WARNING, logger="dbconnect.runtime.plugin_path"):
        plugins = Plugins([str(tmp_path / "a"), str(tmp_path / "b")], load_entry_points=False)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"Module {dup} of plugin {tmp_path / 'b' / f'{dup}.py'} is not loaded" in m
               and str(tmp_path / "a") in m for m in warnings), warnings
    assert any(f"Module json of plugin {tmp_path / 'b' / 'json.py'} is not loaded" in m for m in warnings), warnings
    assert plugins.find("FirstSourceConnector") is not None
    assert plugins.find("SecondSourceConnector") is None and plugins.find("JsonShadowSourceConnector") is None
    import json

    assert hasattr(json, "dumps")  # the worker's own module still wins


def test_bad_plugin_path_elements_warn_and_the_rest_loads(tmp_path, caplog):
    mod = unique("ok")
    write(tmp_path / "real" / f"{mod}.py", CONNECTOR.format(name="OkSourceConnector"))
    (tmp_path / "real" / "connector.whl").write_bytes(b"PK")
    missing = tmp_path / "does-not-exist"
    with caplog.at_level(logging.WARNING, logger="dbconnect.runtime.plugin_path"):
        plugins = Plugins([str(missing), "", str(tmp_path / "real")], load_entry_points=False)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"plugin.path element {missing} does not exist; no plugins are loaded from it" in warnings
    assert any("empty element" in m for m in warnings)
    assert any("connector.whl in plugin.path is an archive" in m for m in warnings)
    assert plugins.find("OkSourceConnector") is not None


def test_validate_names_the_import_failure_of_a_converter(tmp_path):
    broken, missing = unique("broken_conv"), unique("nodep")
    write(tmp_path / f"{broken}.py", f"""
        from dbconnect.api import Converter
        import {missing}


        class FancyConverter(Converter):
            pass
    """)
    plugins = Plugins([str(tmp_path)], load_entry_points=False)
    _desc, _definition, _errors, extra = ConnectorValidator(plugins).validate({
        "connector.class": "FileStreamSource", "topic": "t", "value.converter": "FancyConverter"})
    assert extra["value.converter"] == [
        f"Invalid value FancyConverter for configuration value.converter: Could not load FancyConverter: importing "
        f"module {broken} from {tmp_path / f'{broken}.py'} raised ModuleNotFoundError: No module named '{missing}'"]


def test_a_module_with_only_a_header_converter_is_loaded_and_listed_as_one(tmp_path):
    mod = unique("headers")
    write(tmp_path / "plugins" / f"{mod}.py", """
        from dbconnect.api import HeaderConverter, SchemaAndValue


        class Upper(HeaderConverter):
            def to_connect_header(self, topic, header_key, value):
                return SchemaAndValue(None, value.upper())

            def from_connect_header(self, topic, header_key, schema, value):
                return value.upper()
    """)
    plugins = Plugins([str(tmp_path / "plugins")], load_entry_points=False)
    assert listed(plugins)[f"{mod}.Upper"] == "header_converter"
    assert plugins.new_header_converter("Upper", {}).from_connect_header("t", "k", None, b"a") == b"A"
