"""The configuration reference (docs/reference/config.md) is generated from schemas/ and must not go
stale; the README's quick start is the two commands CI and newcomers run."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_config_reference_matches_schemas():
    spec = importlib.util.spec_from_file_location("gen_config_docs", ROOT / "tools" / "gen_config_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page = ROOT / "docs" / "reference" / "config.md"
    assert module.PAGE == page
    expected = module.page(ROOT / "schemas")
    assert page.read_text() == expected, (
        "docs/reference/config.md is stale: run python tools/gen_config_docs.py --write docs/reference/config.md")
    # Every schema's every key is on the page (the page is the reference, not an excerpt).
    for schema in (ROOT / "schemas").glob("*.json"):
        definition = module.ConfigDefinition.load(str(schema))
        for key in definition:
            assert f"| `{key}` |" in expected, (schema.name, key)


def test_quick_start_has_exactly_two_commands():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in section.splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].split("#")[0].strip() == "pip install -e '.[dev]' && dbconnect demo"
    assert commands[1].split("#")[0].strip() == "bash .ci/run"


def test_ci_runs_what_the_quick_start_says():
    """The first command's install is the one CI does, and CI's test command is the README's."""
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m pip install -q -e '.[dev]'" in ci
    readme = (ROOT / "README.md").read_text()
    test_command = "python3 -m pytest -q -p no:cacheprovider -n 2 --dist loadfile"
    assert test_command in ci and test_command in readme
    # `dbconnect demo` is the console script of pyproject.toml, and CI runs the demo (tests/e2e/test_demo.py).
    assert 'dbconnect = "dbconnect.cli:main"' in (ROOT / "pyproject.toml").read_text()
    assert '"demo", *args' in (ROOT / "tests" / "e2e" / "test_demo.py").read_text()
