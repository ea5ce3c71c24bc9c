#!/usr/bin/env python3
"""Print the Markdown reference of every config schema in schemas/ (for the README).

Usage: python tools/gen_config_docs.py [--dir schemas] [--level 3] [--write README.md]

Each schema file becomes a heading (its "title"), its "description", and a table of keys
(key | type | default | valid values | importance | description) from ConfigDefinition.to_markdown.
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


def render(directory: Path, level: int = 3) -> str:
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


START, END = "<!-- config-docs:start -->", "<!-- config-docs:end -->"


def splice(readme: str, docs: str) -> str:
    """Replace what stands between the README's config-docs markers with ``docs``."""
    head, sep, rest = readme.partition(START)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise SystemExit(f"the README has no {START} … {END} markers")
    return f"{head}{START}\n{docs.rstrip()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=ROOT / "schemas", help="directory of *.json config schemas")
    parser.add_argument("--level", type=int, default=3, help="Markdown heading level for each schema (default 3)")
    parser.add_argument("--write", type=Path, help="splice the reference into this README between its markers")
    args = parser.parse_args(argv)
    if not args.dir.is_dir():
        parser.error(f"no such directory: {args.dir}")
    docs = render(args.dir, args.level)
    if args.write:
        args.write.write_text(splice(args.write.read_text(), docs))
    else:
        sys.stdout.write(docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
