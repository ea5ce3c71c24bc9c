"""Every fenced block of README.md, CONTRIBUTING.md and docs/**/*.md is marked and checked.

The marker convention is in CONTRIBUTING.md ("Every code block is tested"). Blocks that must run
against a worker or a registry are replayed by tests/integration/test_docs_snippets.py; here each
block is checked without servers: commands exist, bodies parse and validate against the
connectors' definitions, properties keys are known, links and anchors resolve.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
import tomllib
import types
import uuid
from pathlib import Path

import pytest

from dbconnect.runtime.plugins import Plugins, plugin_type
from dbconnect.runtime.properties import parse_properties
from tests.doc_snippets import (
    KINDS, ROOT, Block, all_blocks, anchors, commands, connector_config_of, connector_errors, curl_calls,
    doc_files, url_path, worker_key_errors,
)

BLOCKS = all_blocks()


def by_kind(*kinds: str) -> list[Block]:
    return [b for b in BLOCKS if b.kind in kinds]


def ids(blocks: list[Block]) -> list[str]:
    return [b.where for b in blocks]


# -- the convention itself -----------------------------------------------------------------------------


def test_the_docs_have_blocks_of_every_kind():
    kinds = {b.kind for b in BLOCKS}
    assert {"shell", "curl", "json", "properties", "python", "toml"} <= kinds, kinds


def test_every_block_has_a_known_marker():
    unmarked = [b.where for b in BLOCKS if b.marker is None]
    assert not unmarked, f"blocks without a <!-- doc-test: … --> marker right before them: {unmarked}"
    unknown = [(b.where, b.kind) for b in BLOCKS if b.kind not in KINDS]
    assert not unknown, f"unknown doc-test kinds: {unknown}"


def test_skips_say_why_and_stay_few():
    skips = by_kind("skip")
    assert all(b.attrs.get("reason", "").strip() for b in skips), ids(skips)
    assert len(skips) <= 3, f"too many skipped blocks: {ids(skips)}"
    no_replay = [b for b in by_kind("curl") if b.attrs.get("replay") == "no"]
    assert all(b.attrs.get("reason", "").strip() for b in no_replay), ids(no_replay)


def test_curl_blocks_name_a_replay():
    for block in by_kind("curl"):
        assert block.attrs.get("replay") in ("tour", "file", "registry", "jdbc", "no"), block.where


# -- shell -----------------------------------------------------------------------------------------------


@functools.cache
def cli_help(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "dbconnect.cli", *args, "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def flags(tokens: list[str]) -> list[str]:
    return [t.split("=", 1)[0] for t in tokens if t.startswith("--")]


def check_dbconnect(args: list[str], where: str) -> None:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] == "--log-level" else 1
    if i == len(args):
        assert all(f in cli_help() for f in flags(args)), where
        return
    sub = args[i]
    choices = re.search(r"\{([a-z,]+)\}", cli_help()).group(1).split(",")
    assert sub in choices, f"{where}: dbconnect {sub} is not a command (dbconnect --help lists {choices})"
    sub_help = cli_help(sub)
    for flag in flags(args[i + 1:]):
        assert re.search(rf"(^|[\s\[,]){re.escape(flag)}\b", sub_help), f"{where}: dbconnect {sub} has no {flag}"


def check_python(args: list[str], where: str) -> None:
    if args[:2] == ["-m", "pytest"]:
        rest = iter(args[2:])
        for arg in rest:
            if arg in ("-p", "-n", "--dist", "--durations", "-k"):
                next(rest, None)  # the option's value, not a test path
            elif not arg.startswith("-"):
                assert (ROOT / arg.split("::")[0]).exists(), f"{where}: no test path {arg}"
        return
    if args[:2] == ["-m", "dbconnect.cli"]:
        return check_dbconnect(args[2:], where)
    script = ROOT / args[0]
    assert script.suffix == ".py" and script.is_file(), f"{where}: no script {args[0]}"
    source = script.read_text()
    for flag in flags(args[1:]):
        assert f'"{flag}"' in source, f"{where}: {args[0]} takes no {flag}"


def check_command(tokens: list[str], where: str) -> None:
    while tokens and re.match(r"^[A-Z_][A-Z0-9_]*=", tokens[0]):  # VAR=value before the command
        tokens = tokens[1:]
    program, args = tokens[0], tokens[1:]
    if program == "dbconnect":
        check_dbconnect(args, where)
    elif program in ("python", "python3"):
        check_python(args, where)
    elif program == "bash":
        assert (ROOT / args[0]).is_file(), f"{where}: no {args[0]}"
    elif program == "pip":
        assert args[:2] == ["install", "-e"] and args[2] == ".[dev]", f"{where}: {tokens}"
        assert "dev = [" in (ROOT / "pyproject.toml").read_text()
    elif program == "lint-imports":
        assert "[tool.importlinter]" in (ROOT / "pyproject.toml").read_text(), f"{where}: no import-linter contracts"
        assert set(args) <= {"--no-cache", "--verbose", "--show-timings"}, f"{where}: lint-imports {args}"
    elif program == "flock":
        i = 0
        while args[i].startswith("-"):
            i += 1
        rest = args[i:]
        assert rest[0] == "/tmp/dbconnect-bench.lock", f"{where}: the bench lock is /tmp/dbconnect-bench.lock"
        check_command(rest[1:], where)
    else:
        raise AssertionError(f"{where}: {program} is not a command the docs' tests know; add a check for it")


@pytest.mark.parametrize("block", by_kind("shell"), ids=ids(by_kind("shell")))
def test_shell_commands_exist(block):
    found = commands(block.text)
    assert found, block.where
    for tokens in found:
        check_command(tokens, block.where)


def test_the_shell_check_catches_a_wrong_command_and_a_wrong_flag():
    with pytest.raises(AssertionError, match="is not a command"):
        check_command(["dbconnect", "cluster", "worker.properties"], "here")  # (distributed exists now)
    with pytest.raises(AssertionError, match="has no --dry-run"):
        check_command(["dbconnect", "migrate", "--dry-run"], "here")
    with pytest.raises(AssertionError, match="takes no --fast"):
        check_command(["flock", "/tmp/dbconnect-bench.lock", "python", "bench/jdbc_sink.py", "--fast"], "here")
    with pytest.raises(AssertionError, match="lint-imports"):
        check_command(["lint-imports", "--fix"], "here")


# -- curl ------------------------------------------------------------------------------------------------

CONNECTOR_CONFIG = re.compile(r"^/connectors/([^/]+)/config$")


def load_plugin_block(block: Block) -> types.ModuleType:
    module = types.ModuleType(f"doc_plugin_{uuid.uuid4().hex[:8]}")
    exec(compile(block.text, block.where, "exec"), module.__dict__)  # noqa: S102 - the docs' own example
    return module


def defined_connectors(module: types.ModuleType) -> list[type]:
    return [v for v in vars(module).values()
            if isinstance(v, type) and v.__module__ == module.__name__ and plugin_type(v) in ("source", "sink")]


@functools.cache
def plugins_with_the_docs_examples() -> Plugins:
    """The built-in plugins plus the connectors the docs write (a curl may create one of them)."""
    plugins = Plugins()
    for block in by_kind("python"):
        if block.words == ["plugin"]:
            for cls in defined_connectors(load_plugin_block(block)):
                plugins.register(cls)
    return plugins


@pytest.mark.parametrize("block", by_kind("curl"), ids=ids(by_kind("curl")))
def test_curl_calls_parse_and_their_connector_configs_validate(block):
    calls = curl_calls(block.text)
    assert calls, block.where
    for call in calls:
        path = url_path(call.url)
        assert path.startswith("/"), call.url
        if call.data is None or call.data.startswith("$("):
            continue  # no body, or one taken from another call's answer
        body = json.loads(call.data)
        match = CONNECTOR_CONFIG.match(path)
        if call.method == "PUT" and match or call.method == "POST" and path == "/connectors":
            name, config = connector_config_of(body)
            errors = connector_errors(config, match.group(1) if match else name, plugins_with_the_docs_examples())
            assert not errors, (block.where, path, errors)


# -- json, properties, toml, python ---------------------------------------------------------------------


@pytest.mark.parametrize("block", by_kind("json"), ids=ids(by_kind("json")))
def test_json_connector_configs_validate(block):
    assert block.words == ["connector"], block.where
    assert block.attrs.get("replay") in (None, "jdbc"), block.where
    name, config = connector_config_of(json.loads(block.text))
    assert not connector_errors(config, name), block.where


@pytest.mark.parametrize("block", by_kind("properties"), ids=ids(by_kind("properties")))
def test_properties_parse_and_every_key_is_known(block):
    props = parse_properties(block.text)
    assert props, block.where
    if block.words[:1] == ["worker"]:
        assert block.words[1:] in ([], ["fragment"]), block.where
        assert not worker_key_errors(props, complete=block.words[1:] != ["fragment"]), block.where
    else:
        assert block.words == ["connector"], block.where
        assert not connector_errors(props, props.get("name", "doc-example")), block.where


@pytest.mark.parametrize("block", by_kind("toml"), ids=ids(by_kind("toml")))
def test_toml_entry_points_name_classes(block):
    doc = tomllib.loads(block.text)
    entry_points = doc["project"]["entry-points"]["dbconnect.plugins"]
    assert entry_points
    for target in entry_points.values():
        assert re.fullmatch(r"[\w.]+:\w+", target), target


@pytest.mark.parametrize("block", by_kind("python"), ids=ids(by_kind("python")))
def test_python_blocks(block):
    compile(block.text, block.where, "exec")
    if block.words != ["plugin"]:
        assert block.attrs.get("replay") == "registry", block.where
        return
    connectors = defined_connectors(load_plugin_block(block))
    assert connectors, block.where
    connector = connectors[0]()
    connector.start({"file": "/tmp/x.txt", "topic": "t"})
    assert connector.task_configs(2) == [{"file": "/tmp/x.txt", "topic": "t"}] * 2
    assert plugin_type(connector.task_class()) == "task" or connector.task_class().__name__.endswith("Task")


# -- the checks catch bad snippets ------------------------------------------------------------------------


def test_the_config_checks_catch_an_unknown_key_and_a_bad_value():
    good = {"connector.class": "JdbcSinkConnector", "connection.url": "jdbc:postgresql://db:5432/shop",
            "topics": "orders", "insert.mode": "upsert", "pk.mode": "record_key"}
    assert not connector_errors(good)
    assert any("unknown key pk.fields.typo" in e for e in connector_errors({**good, "pk.fields.typo": "id"}))
    assert any("insert.mode" in e for e in connector_errors({**good, "insert.mode": "merge"}))
    assert any("not a known connector" in e for e in connector_errors({**good, "connector.class": "Nope"}))
    assert any("unknown worker key" in e for e in worker_key_errors({"bootstrap.servers": "k:9092",
                                                                      "offset.flush.intervall.ms": "1"}))
    refused = worker_key_errors({"value.converter": "io.confluent.connect.json.JsonSchemaConverter"})
    assert any("schema.registry.url" in e for e in refused), refused


# -- links --------------------------------------------------------------------------------------------------

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    return LINK.findall(text)


@pytest.mark.parametrize("path", doc_files(), ids=[str(p.relative_to(ROOT)) for p in doc_files()])
def test_relative_links_and_anchors_resolve(path):
    for target in links(path):
        if re.match(r"^[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        assert resolved.exists(), f"{path.relative_to(ROOT)}: {target} does not exist"
        if anchor:
            assert resolved.suffix == ".md", target
            assert anchor in anchors(resolved), f"{path.relative_to(ROOT)}: no #{anchor} in {resolved.name}"


def test_the_readme_stays_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250
