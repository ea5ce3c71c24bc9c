"""Compare the unit tests of two git revisions: no test lost, none duplicated, no assert dropped.

Tests that move between files keep their names, so the comparison is by test name (class-qualified,
with its parametrisation), not by node id: every test of the old revision must exist exactly once
in the new one, with as many ``assert`` statements and ``pytest.raises`` as before. ``--moved`` also
lists the top-level functions, classes and constants of the test modules whose code is not found
unchanged in the new revision (to read: a module moved one folder deeper changes its ``ROOT``).

    python tools/compare_test_inventory.py main HEAD

Each revision is exported with ``git archive`` and collected with ``pytest --collect-only`` on its
own code. New tests are listed, not counted as a difference.
"""

from __future__ import annotations

import argparse
import ast
import collections
import hashlib
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def export(rev: str, into: Path) -> Path:
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def inventory(tree: Path, tests: str) -> dict[str, collections.Counter]:
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", tests],
                         cwd=tree, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tree)})
    ids = [line.split("::", 1)[1] for line in out.stdout.splitlines() if "::" in line]
    # The docs checks are parametrised by FILE.md:LINE: a line added to a doc moves the later ids.
    ids = [re.sub(r"(\.md):\d+\]", r"\1:N]", i) for i in ids]
    asserts: collections.Counter = collections.Counter()
    defs: collections.Counter = collections.Counter()
    code: collections.Counter = collections.Counter()
    for path in sorted((tree / tests).rglob("*.py")):
        module = ast.parse(path.read_text())
        for top in module.body:
            if not isinstance(top, (ast.Import, ast.ImportFrom, ast.Expr)):
                names = [top.name] if hasattr(top, "name") else [ast.unparse(t) for t in getattr(top, "targets", [getattr(top, "target", None)])]
                code[f"{'/'.join(names)} {hashlib.sha1(ast.dump(top).encode()).hexdigest()[:12]}"] += 1

        def walk(node: ast.AST, prefix: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.ClassDef):
                    walk(child, prefix + child.name + "::")
                elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and child.name.startswith("test"):
                    name = prefix + child.name
                    defs[name] += 1
                    asserts[name] += sum(isinstance(x, ast.Assert) or (isinstance(x, ast.Attribute) and x.attr == "raises")
                                         for x in ast.walk(child))

        walk(module, "")
    return {"ids": collections.Counter(ids), "asserts": asserts, "defs": defs, "moved": code}


def compare(old: dict, new: dict, kinds: list[str]) -> bool:
    ok = True
    for kind in kinds:
        a, b = old[kind], new[kind]
        gone, added = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        # More ids of one parametrised test (a new doc block, a new case) lose nothing.
        changed = sorted(k for k in set(a) & set(b) if a[k] != b[k] and (kind != "ids" or b[k] < a[k]))
        more = sorted(k for k in set(a) & set(b) if kind == "ids" and b[k] > a[k])
        twice = sorted(k for k, n in b.items() if kind == "defs" and n != 1)
        print(f"{kind}: {sum(a.values())} → {sum(b.values())}; missing {len(gone)}, new {len(added)}, "
              f"changed {len(changed)}, defined more than once {len(twice)}")
        for k in gone:
            print(f"  MISSING {k}")
        for k in changed:
            print(f"  CHANGED {k}: {a[k]} → {b[k]}")
        for k in twice:
            print(f"  TWICE {k}")
        for k in more:
            print(f"  more {k}: {a[k]} → {b[k]}")
        for k in added:
            print(f"  new {k}")
        ok = ok and not gone and not changed and not twice
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the revision before (e.g. main)")
    parser.add_argument("new", help="the revision after (e.g. HEAD)")
    parser.add_argument("--tests", default="tests/unit", help="the test folder to compare")
    parser.add_argument("--moved", action="store_true",
                        help="also require every top-level statement of the test modules to keep its exact code")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = inventory(export(args.old, Path(tmp) / "old"), args.tests)
        new = inventory(export(args.new, Path(tmp) / "new"), args.tests)
    ok = compare(old, new, ["ids", "asserts", "defs"])
    if args.moved:
        compare(old, new, ["moved"])
    print("nothing lost" if ok else "DIFFERENCES")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
