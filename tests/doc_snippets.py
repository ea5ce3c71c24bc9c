"""The docs' fenced code blocks and their markers (see CONTRIBUTING.md, "Every code block is tested").

The line right before a block's opening fence is ``<!-- doc-test: KIND [word …] [key="value" …] -->``.
This module finds the blocks and parses what the unit and integration tests need: shell commands,
curl calls, properties files and connector configs. It checks nothing itself.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

MARKER = re.compile(r"^<!--\s*doc-test:\s*(.*?)\s*-->$")
KINDS = {"shell", "curl", "json", "properties", "python", "toml", "skip"}


def doc_files() -> list[Path]:
    """README.md, CONTRIBUTING.md and docs/**/*.md, in that order (replays follow it)."""
    return [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]


@dataclass
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    marker: str | None  # the marker's inside, or None when the block has none
    kind: str = ""
    words: list[str] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def parse_marker(inside: str) -> tuple[str, list[str], dict[str, str]]:
    tokens = shlex.split(inside)
    if not tokens:
        return "", [], {}
    words, attrs = [], {}
    for token in tokens[1:]:
        if "=" in token:
            key, _, value = token.partition("=")
            attrs[key] = value
        else:
            words.append(token)
    return tokens[0], words, attrs


def blocks(path: Path) -> list[Block]:
    lines = path.read_text().split("\n")
    found: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            lang = line[3:].strip()
            end = i + 1
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            previous = lines[i - 1].strip() if i else ""
            match = MARKER.match(previous)
            block = Block(path, i + 1, lang, "\n".join(lines[i + 1:end]), match.group(1) if match else None)
            if match:
                block.kind, block.words, block.attrs = parse_marker(match.group(1))
            found.append(block)
            i = end + 1
        else:
            i += 1
    return found


def all_blocks() -> list[Block]:
    return [b for path in doc_files() for b in blocks(path)]


def logical_lines(text: str) -> list[str]:
    """The shell's lines: backslash continuations joined, a quoted string spanning lines kept whole,
    blank lines dropped."""
    result, buffer = [], ""
    for line in text.split("\n"):
        buffer = f"{buffer}\n{line}" if buffer else line
        if buffer.endswith("\\"):
            buffer = buffer[:-1] + " "
            continue
        try:
            shlex.split(buffer, comments=True)
        except ValueError:  # an open quote: the string goes on on the next line
            continue
        if buffer.strip():
            result.append(buffer)
        buffer = ""
    if buffer.strip():
        raise ValueError(f"unterminated shell line: {buffer!r}")
    return result


def commands(text: str) -> list[list[str]]:
    """Each simple command of a shell block as tokens: comments dropped, split at ``&&``, ``;``, ``&``, ``|``."""
    result: list[list[str]] = []
    for line in logical_lines(text):
        lexer = shlex.shlex(line, posix=True, punctuation_chars="&;|")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        for token in lexer:
            if token and set(token) <= set("&;|"):
                if current:
                    result.append(current)
                current = []
            else:
                current.append(token)
        if current:
            result.append(current)
    return result


@dataclass
class Curl:
    method: str
    url: str
    headers: list[str]
    data: str | None


def parse_curl(tokens: list[str]) -> Curl:
    if not tokens or tokens[0] != "curl":
        raise ValueError(f"not a curl command: {tokens}")
    method, url, headers, data = None, None, [], None
    i = 1
    while i < len(tokens):
        token = tokens[i]
        if token in ("-X", "--request"):
            method = tokens[i + 1]
            i += 2
        elif token in ("-H", "--header"):
            headers.append(tokens[i + 1])
            i += 2
        elif token in ("-d", "--data", "--data-raw", "--data-binary"):
            data = tokens[i + 1]
            i += 2
        elif token in ("-s", "--silent", "-S", "-f", "--fail", "-i", "-v"):
            i += 1
        elif token in ("-u", "--user", "--cacert", "--cert", "--key"):  # credentials, TLS files
            i += 2
        elif token.startswith("-"):
            raise ValueError(f"curl option {token} is not understood by the docs' tests")
        else:
            if url is not None:
                raise ValueError(f"two URLs in one curl call: {url}, {token}")
            url = token
            i += 1
    if url is None:
        raise ValueError(f"curl call without a URL: {tokens}")
    return Curl(method or ("POST" if data is not None else "GET"), url, headers, data)


def curl_calls(text: str) -> list[Curl]:
    """Every curl call of a curl block; anything else (other than comments) is an error."""
    calls = []
    for tokens in commands(text):
        if tokens == ["python3", "-m", "json.tool"]:  # `curl … | python3 -m json.tool` pretty-prints
            continue
        calls.append(parse_curl(tokens))
    return calls


def url_path(url: str) -> str:
    """``localhost:8083/connectors/x/config?y`` → ``/connectors/x/config``."""
    rest = re.sub(r"^https?://", "", url)
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return path.split("?", 1)[0]


# -- config checks ------------------------------------------------------------------------------------

CONVERTER_PREFIXES = ("key.converter.", "value.converter.", "header.converter.")
CONNECTOR_PREFIXES = ("producer.override.", "consumer.override.", "admin.override.", "transforms.", "predicates.")


def converter_errors(config: dict[str, str], defaults: dict[str, str] | None = None) -> list[str]:
    """Configure each converter named in ``config`` with its prefixed settings; report what it refuses."""
    from dbconnect.runtime.plugins import Plugins

    plugins, errors = Plugins(), []
    for prefix in CONVERTER_PREFIXES:
        base = prefix[:-1]
        settings = {k[len(prefix):]: v for k, v in config.items() if k.startswith(prefix)}
        name = config.get(base) or (defaults or {}).get(base)
        if not settings and base not in config:
            continue
        if not name:
            errors.append(f"{prefix}* settings without a {base}")
            continue
        desc = plugins.find(name)
        if desc is None or desc.type not in (("converter", "header_converter") if base == "header.converter"
                                             else ("converter",)):
            errors.append(f"{base}={name} is not a known converter")
            continue
        try:
            desc.cls().configure(settings, base.startswith("key"))
        except Exception as exc:  # the converter's own message is the point
            errors.append(f"{base}={name} refuses {settings}: {exc}")
    return errors


def worker_key_errors(props: dict[str, str], complete: bool = True) -> list[str]:
    """Unknown keys and invalid values; ``complete=False`` for a fragment (required keys may be elsewhere)."""
    from dbconnect.api.config import ConfigDefinition

    from dbconnect.runtime.worker_config import unknown_keys

    definition = ConfigDefinition.load("worker")
    errors = [f"unknown worker key {k}" for k in unknown_keys(props, definition)]
    errors += [f"{k}: {m}" for k, msgs in definition.validate(props).items() for m in msgs
               if complete or k in props]
    return errors + converter_errors(props)


def connector_errors(config: dict[str, Any], name: str = "doc-example", plugins: Any = None) -> list[str]:
    """What the worker's definitions (common → source/sink → the connector's) say about ``config``,
    plus keys none of them knows. No live checks (those need the connector's database)."""
    from dbconnect.runtime.plugins import Plugins
    from dbconnect.runtime.worker import connector_definition

    config = {"name": name, **config}
    desc = (plugins or Plugins()).find(str(config.get("connector.class", "")))
    if desc is None or desc.type not in ("source", "sink"):
        return [f"connector.class {config.get('connector.class')!r} is not a known connector"]
    definition = connector_definition(desc.type, desc.cls())
    from dbconnect.runtime.topic_creation import PREFIX as TOPIC_CREATION, topic_creation_errors

    source = desc.type == "source"
    errors = [f"unknown key {k}" for k in config
              if k not in definition and not k.startswith(CONNECTOR_PREFIXES + CONVERTER_PREFIXES)
              and k not in ("key.converter", "value.converter", "header.converter")
              and not (source and k.startswith(TOPIC_CREATION))]
    errors += [f"{k}: {m}" for k, msgs in definition.validate(config).items() for m in msgs]
    if source:
        errors += [f"{k}: {m}" for k, msgs in topic_creation_errors(config).items() for m in msgs]
    return errors + converter_errors(config, {"key.converter": "JsonConverter", "value.converter": "JsonConverter",
                                              "header.converter": "StringConverter"})


def connector_config_of(body: Any) -> tuple[str, dict[str, Any]]:
    """A ``POST /connectors`` body (``{"name", "config"}``) or a flat config → (name, config)."""
    if isinstance(body, dict) and isinstance(body.get("config"), dict):
        return str(body.get("name", "doc-example")), dict(body["config"])
    return str(body.get("name", "doc-example")), dict(body)


# -- links ---------------------------------------------------------------------------------------------


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces → hyphens."""
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    result = set()
    fence = False
    for line in path.read_text().split("\n"):
        if line.startswith("```"):
            fence = not fence
            continue
        match = re.match(r"^#{1,6} (.*)$", line)
        if match and not fence:
            slug = github_slug(match.group(1))
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            result.add(slug if n == 0 else f"{slug}-{n}")
    return result
