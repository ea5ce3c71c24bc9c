"""The fork server's preload (child_process.FORKSERVER_PRELOAD)."""

from __future__ import annotations

import json
import subprocess
import sys

# In a fresh interpreter: what a database package of the JDBC connectors still imports of
# SQLAlchemy once the fork server's preload is in (what a task or connector process pays).
_AFTER_PRELOAD = r"""
import importlib, json, sys
from dbconnect.runtime.child_process import FORKSERVER_PRELOAD
for name in FORKSERVER_PRELOAD:
    importlib.import_module(name)
before = set(sys.modules)
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in set(sys.modules) - before if m.split(".")[0] == "sqlalchemy")))
"""


def _sqlalchemy_imported_after_preload(module: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", _AFTER_PRELOAD, module], capture_output=True, text=True,
                         check=True, timeout=120)
    return json.loads(out.stdout)


def test_children_inherit_sqlalchemy_core_from_the_fork_server() -> None:
    # Every JDBC connector and task process reflects (catalog.py) or compiles DDL (ddl_types.py):
    # SQLAlchemy's core comes preloaded, and a child imports only its database's dialect.
    for module in ("dbconnect.connectors.jdbc.postgresql", "dbconnect.connectors.jdbc.mariadb"):
        left = _sqlalchemy_imported_after_preload(module)
        assert left, f"{module} imports no SQLAlchemy dialect: is this test still measuring anything?"
        # sqlalchemy.connectors: the dialects' shared driver glue, part of the dialect import.
        assert all(m.startswith(("sqlalchemy.dialects.", "sqlalchemy.connectors")) for m in left), (module, left)


def test_the_preload_is_the_builtin_plugins_entry_points_not_a_list_in_the_runtime() -> None:
    # The runtime names no connector or converter (CONTRIBUTING.md, "The layer rule"): the fork
    # server's plugin modules come from dbconnect's own `dbconnect.plugins` entry points.
    import tomllib
    from pathlib import Path

    import dbconnect.runtime.child_process as child_process

    root = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())
    declared = tomllib.loads((root / "pyproject.toml").read_text())["project"]["entry-points"]["dbconnect.plugins"]
    modules = {target.split(":")[0] for target in declared.values()}
    assert modules <= set(child_process.FORKSERVER_PRELOAD), modules - set(child_process.FORKSERVER_PRELOAD)
    source = Path(child_process.__file__).read_text()
    for package in ("dbconnect.connectors", "dbconnect.converters", "dbconnect.transforms"):
        assert package not in source, f"runtime/child_process.py names {package}"
