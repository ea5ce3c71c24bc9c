"""The built-in plugins are declared as ``dbconnect.plugins`` entry points in pyproject.toml, the
way a third party publishes its own: the runtime imports no connector, converter or transform module
(issue 13), so a built-in missing from the declarations would be missing from the worker."""

from __future__ import annotations

import importlib
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from dbconnect.connectors.file import FileStreamSinkConnector, FileStreamSourceConnector
from dbconnect.connectors.jdbc import JdbcSourceConnector
from dbconnect.connectors.jdbc.sink import JdbcSinkConnector
from dbconnect.converters import BUILTIN_CONVERTERS
from dbconnect.runtime.plugins import DISTRIBUTION, ENTRY_POINT_GROUP, Plugins
from dbconnect.runtime.providers import DirectoryConfigProvider, EnvVarConfigProvider, FileConfigProvider
from dbconnect.transforms import BUILTIN_TRANSFORMS

# The repository root: the nearest folder above this file with a pyproject.toml (the test may move
# into a deeper folder of tests/unit).
ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())

BUILTINS = (FileStreamSourceConnector, FileStreamSinkConnector, JdbcSourceConnector, JdbcSinkConnector,
            *BUILTIN_CONVERTERS, *BUILTIN_TRANSFORMS,
            EnvVarConfigProvider, FileConfigProvider, DirectoryConfigProvider)


def declared() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return dict(project["entry-points"][ENTRY_POINT_GROUP])


def load(value: str) -> object:
    module_name, _, attr = value.partition(":")
    obj: object = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def test_every_builtin_is_declared_as_an_entry_point():
    classes = {name: load(value) for name, value in declared().items()}
    missing = [f"{cls.__module__}.{cls.__qualname__}" for cls in BUILTINS if cls not in classes.values()]
    assert missing == [], f"add these to [project.entry-points.\"{ENTRY_POINT_GROUP}\"] in pyproject.toml"


@pytest.mark.parametrize("name", sorted(declared()))
def test_every_declared_entry_point_imports_a_plugin(name):
    cls = load(declared()[name])
    assert cls in BUILTINS, f"{name} = {declared()[name]} is not one of the built-in plugins"
    # The entry point's name is registered as an alias: it must be one the class already answers to.
    assert name == cls.__name__ or name in cls.aliases


def test_the_installed_metadata_declares_the_builtins():
    # The worker finds the built-ins through the installed metadata only: an editable install made
    # before the declarations changed has none of them. Reinstall it: pip install -e '.[dev]'.
    installed = {ep.name: ep.value for ep in metadata.distribution(DISTRIBUTION).entry_points
                 if ep.group == ENTRY_POINT_GROUP}
    assert installed == declared(), "the installed dbconnect is stale: run pip install -e '.[dev]'"


@pytest.mark.parametrize("alias, cls", [
    ("FileStreamSource", FileStreamSourceConnector),
    ("org.apache.kafka.connect.file.FileStreamSinkConnector", FileStreamSinkConnector),
    ("io.confluent.connect.jdbc.JdbcSourceConnector", JdbcSourceConnector),
    ("JdbcSink", JdbcSinkConnector),
    ("org.apache.kafka.connect.json.JsonConverter", BUILTIN_CONVERTERS[1]),
    ("io.confluent.connect.json.JsonSchemaConverter", BUILTIN_CONVERTERS[3]),
])
def test_builtins_come_from_the_entry_points_alone(alias, cls):
    # Without third-party entry points (load_entry_points=False) the built-ins are still there:
    # they are dbconnect's own entry points.
    desc = Plugins(load_entry_points=False).find(alias)
    assert desc is not None and desc.cls is cls
