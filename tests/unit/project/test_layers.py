"""The layer rule (CONTRIBUTING.md), enforced: the import-linter contracts in pyproject.toml hold,
and a deliberate upward import in a copy of the tree is reported with the offending line."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The repository root: the nearest folder above this file with a pyproject.toml (the test may move
# into a deeper folder of tests/unit).
ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())

# lint-imports' own entry point, run with this interpreter (not whichever `lint-imports` is first
# on PATH), so that the tree it analyses is the one PYTHONPATH puts first.
LINT = ("import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command(['--no-cache']))")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", LINT], cwd=root, env=env, capture_output=True,
                          text=True, timeout=240, check=False)


def test_the_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, "lint-imports found imports against the layer rule:\n" + result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("layers")
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    shutil.copytree(ROOT / "dbconnect", copy / "dbconnect", ignore=shutil.ignore_patterns("__pycache__"))
    return copy


# (module to add to the copy, its import, what lint-imports must report)
VIOLATIONS = [
    ("dbconnect/api/upward.py", "import dbconnect.runtime.worker",
     "dbconnect.api.upward -> dbconnect.runtime.worker"),
    ("dbconnect/converters/upward.py", "import dbconnect.runtime.plugins",
     "dbconnect.converters.upward -> dbconnect.runtime.plugins"),
    ("dbconnect/runtime/builtin_import.py", "import dbconnect.connectors.file",
     "dbconnect.runtime.builtin_import -> dbconnect.connectors.file"),
    ("dbconnect/registry/upward.py", "import dbconnect.converters.jsonschema_data",
     "dbconnect.registry.upward -> dbconnect.converters.jsonschema_data"),
    ("dbconnect/registry/server/private.py", "import dbconnect.runtime.rest._http",
     "dbconnect.registry.server.private -> dbconnect.runtime.rest._http"),
    ("dbconnect/runtime/stores/rest_user.py", "import dbconnect.runtime.rest.app",
     "dbconnect.runtime.stores.rest_user -> dbconnect.runtime.rest.app"),
    # The plugin packages are independent of each other (siblings in the layers contract).
    ("dbconnect/transforms/cycle.py", "import dbconnect.connectors.file",
     "dbconnect.transforms.cycle -> dbconnect.connectors.file"),
    # A new runtime module must be placed in the worker contract (exhaustive).
    ("dbconnect/runtime/unplaced.py", "", "dbconnect.runtime.unplaced"),
]


@pytest.mark.parametrize("path, statement, reported", VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_a_violation_fails_with_the_offending_import(tree_copy: Path, path: str, statement: str, reported: str):
    added = tree_copy / path
    added.write_text(f'"""A deliberate violation of the layer rule."""\n{statement}\n')
    try:
        result = lint_imports(tree_copy)
    finally:
        added.unlink()
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
    assert reported in " ".join(result.stdout.split()), result.stdout


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _private_names_across_packages(root: Path) -> list[str]:
    offenders = []
    for path in sorted((root / "dbconnect").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        importer = ".".join(parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = importer.split(".")[: len(parts) - node.level + (path.name == "__init__.py")]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if not source.startswith("dbconnect.") or _package(source) == _package(importer):
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    offenders.append(f"{importer}: from {source} import {alias.name}")
    return offenders


def test_no_package_takes_a_private_name_from_another():
    # import-linter's private_modules contract covers _modules; this covers _names.
    assert _private_names_across_packages(ROOT) == []


def test_the_private_name_check_sees_one(tmp_path: Path):
    (tmp_path / "dbconnect" / "runtime").mkdir(parents=True)
    (tmp_path / "dbconnect" / "runtime" / "user.py").write_text("from ..api.records import _headers\n")
    assert _private_names_across_packages(tmp_path) == ["dbconnect.runtime.user: from dbconnect.api.records import _headers"]
