"""Every module imports on its own: an import cycle that only the usual import order hides is a bug for
whoever imports that module first (a plugin, a script, a test run on one file)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = r"""
import importlib, pkgutil, sys
import dbconnect
names = sorted(m.name for m in pkgutil.walk_packages(dbconnect.__path__, "dbconnect."))
failed = []
for name in names:
    for loaded in [m for m in sys.modules if m == "dbconnect" or m.startswith("dbconnect.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\n".join(failed))
print(f"{len(names)} modules")
"""


def test_every_module_imports_first():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[:-1] == [], "\n".join(lines[:-1])
    assert int(lines[-1].split()[0]) > 50
