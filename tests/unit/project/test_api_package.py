"""``dbconnect.api`` is a real package: the names the docs promise (docs/plugins.md) import from it, and only it."""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import dbconnect.api as api

ROOT = Path(__file__).resolve().parents[3]

# The docs' wording (docs/plugins.md, "Writing a connector" and the API list below it).
README_NAMES = [
    "SourceConnector", "SinkConnector", "SourceTask", "SinkTask", "ConnectorContext", "SourceTaskContext",
    "SinkTaskContext", "OffsetStorageReader", "ErrantRecordReporter", "TopicPartition",
    "SourceRecord", "SinkRecord", "ConnectRecord", "Header", "Headers",
    "Schema", "SchemaBuilder", "Struct", "Field", "Type", "SchemaAndValue", "Decimal", "Date", "Time", "Timestamp",
    "Converter", "Transformation", "Predicate", "ConfigDefinition", "ConfigKey",
    "ConnectError", "DataError", "ConfigError", "RetriableError",
]

# The modules that make up the interface: every public class they define must be exported. The data
# model is defined in schema and logical (data re-exports them).
INTERFACE_MODULES = ["connector", "task", "records", "schema", "logical", "errors", "converter", "transformation"]


def _plugins_section() -> str:
    """docs/plugins.md up to its plugin.path section: the introduction and "Writing a connector"."""
    doc = (ROOT / "docs" / "plugins.md").read_text()
    return doc.split("\n## plugin.path\n", 1)[0]


def test_readme_names_import_from_dbconnect_api():
    from dbconnect.api import (  # noqa: F401 - the import is the test
        ConfigDefinition, ConfigError, ConfigKey, ConnectError, ConnectorContext, ConnectRecord, Converter,
        DataError, Date, Decimal, ErrantRecordReporter, Field, Header, Headers, OffsetStorageReader, Predicate,
        RetriableError, Schema, SchemaAndValue, SchemaBuilder, SinkConnector, SinkRecord, SinkTask,
        SinkTaskContext, SourceConnector, SourceRecord, SourceTask, SourceTaskContext, Struct, Time, Timestamp,
        TopicPartition, Transformation, Type,
    )

    section = _plugins_section()
    for name in README_NAMES:
        assert f"`{name}`" in section or re.search(rf"from dbconnect\.api import [^\n]*\b{name}\b", section), name
        assert name in api.__all__, name
    # The example's own import line runs as written.
    imports = re.findall(r"^from dbconnect\.api import .+$", section, flags=re.M)
    assert imports
    for line in imports:
        exec(line, {})  # noqa: S102


def test_all_is_complete_and_importable():
    assert len(api.__all__) == len(set(api.__all__))
    for name in api.__all__:
        assert getattr(api, name) is not None, name
    public = {n for n, v in vars(api).items() if not n.startswith("_") and not inspect.ismodule(v)
              and n != "annotations"}
    assert public == set(api.__all__)
    for short in INTERFACE_MODULES:
        module = importlib.import_module(f"dbconnect.api.{short}")
        defined = {n for n, v in vars(module).items()
                   if inspect.isclass(v) and v.__module__ == module.__name__ and not n.startswith("_")}
        assert defined <= set(api.__all__), (short, defined - set(api.__all__))
    assert set(importlib.import_module("dbconnect.api.data").__all__) <= set(api.__all__)
    data = importlib.import_module("dbconnect.api.data")
    for short in ("schema", "logical"):
        module = importlib.import_module(f"dbconnect.api.{short}")
        assert set(module.__all__) <= set(data.__all__), short
        assert all(getattr(data, n) is getattr(module, n) for n in module.__all__), short


def test_api_imports_nothing_above_it():
    code = ("import sys\nfrom dbconnect.api import SourceConnector, Converter, Transformation\n"
            "print(sorted(m for m in sys.modules if m.startswith('dbconnect.') and not m.startswith('dbconnect.api')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_transformation_and_predicate_interfaces():
    from dbconnect.api import Predicate, SourceRecord, Transformation

    class Upper(Transformation):
        def apply(self, record):
            return record.new_record(value=record.value.upper())

    class IsFoo(Predicate):
        def test(self, record):
            return record.value == "foo"

    record = SourceRecord({}, {}, "t", "foo")
    upper, is_foo = Upper(), IsFoo()
    upper.configure({})
    is_foo.configure({})
    assert upper.apply(record).value == "FOO" and is_foo.test(record)
    assert upper.config() is None and is_foo.config() is None
    upper.close()
    is_foo.close()
    assert inspect.isabstract(Transformation) and inspect.isabstract(Predicate)
