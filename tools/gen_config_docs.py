#!/usr/bin/env python3
"""Print the Markdown reference of every config schema in schemas/ (docs/reference/config.md).

Usage: python tools/gen_config_docs.py [--dir schemas] [--level 2] [--write docs/reference/config.md]

Each schema file becomes a heading (its "title"), its "description", and a table of keys
(key | type | default | valid values | importance | description) from ConfigDefinition.to_markdown.
``--write`` writes the whole page (a fixed header, then the reference); tests/unit/project/test_readme.py
fails when the committed page differs from what this writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dbconnect.api.config import ConfigDefinition  # noqa: E402

# The runtime's own definitions first, in the order a reader needs them; plugins after, alphabetically.
PREFERRED_ORDER = ["worker", "connector-common", "connector-source", "connector-sink"]


def schema_files(directory: Path) -> list[Path]:
    files = {p.stem: p for p in directory.glob("*.json")}
    first = [files.pop(name) for name in PREFERRED_ORDER if name in files]
    return first + [files[name] for name in sorted(files)]


def render(directory: Path, level: int = 2) -> str:
    out: list[str] = []
    for path in schema_files(directory):
        definition = ConfigDefinition.load(str(path.resolve()))
        out.append(f"{'#' * level} {definition.title or path.stem}\n")
        out.append(f"Schema: `schemas/{path.name}`" if directory.resolve() == (ROOT / "schemas").resolve()
                   else f"Schema: `{path.name}`")
        out.append("")
        if definition.description:
            out.append(definition.description + "\n")
        if definition.groups:
            out.append("Groups: " + ", ".join(definition.groups) + "\n")
        out.append(definition.to_markdown())
    return "\n".join(out)


PAGE = ROOT / "docs" / "reference" / "config.md"

HEADER = """# Configuration reference

Generated from the JSON Schema documents in `schemas/` by `tools/gen_config_docs.py`; do not edit
by hand. The schemas are the single source of truth for validation,
`GET /connector-plugins/{plugin}/config`, the validate endpoint and this page
(`python tools/gen_config_docs.py --write docs/reference/config.md` regenerates it; a test fails
when it is stale). The user guides explain the keys in context: [worker](../standalone.md),
[JDBC source](../jdbc-source.md), [JDBC sink](../jdbc-sink.md),
[JSON Schema converter](../schema-registry.md).
"""


def page(directory: Path, level: int = 2) -> str:
    """The whole reference page: the header, then every schema."""
    return f"{HEADER}\n{render(directory, level).rstrip()}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=ROOT / "schemas", help="directory of *.json config schemas")
    parser.add_argument("--level", type=int, default=2, help="Markdown heading level for each schema (default 2)")
    parser.add_argument("--write", type=Path, help="write the whole page (e.g. docs/reference/config.md) to this file")
    args = parser.parse_args(argv)
    if not args.dir.is_dir():
        parser.error(f"no such directory: {args.dir}")
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(page(args.dir, args.level))
    else:
        sys.stdout.write(render(args.dir, args.level))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
