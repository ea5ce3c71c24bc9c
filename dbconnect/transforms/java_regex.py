"""Java regular expressions (``java.util.regex.Pattern``) and replacement strings
(``Matcher.replaceFirst``) on Python's ``re``, for RegexRouter and TopicNameMatches.

Kafka users write Java patterns; most of Java's syntax is Python's too. ``compile_java`` rewrites
the parts that differ and refuses, with a message, the ones that have no faithful translation, so
that a pattern is never accepted and then matched differently:

- rewritten: named groups ``(?<name>…)`` and ``\\k<name>``, quoting ``\\Q…\\E``, the ASCII POSIX
  classes ``\\p{Alpha}``, ``\\p{Digit}``, … (and ``\\P{…}`` outside a class), ``\\h``, ``\\v``, ``\\R``,
  ``\\z``, ``\\Z``, ``\\e``, ``\\cX``, ``\\x{h…h}``, octal ``\\0nnn``; Java's ``\\w``, ``\\d``, ``\\s``, ``\\b``
  and case-insensitive matching are ASCII unless ``(?U)`` is given, so patterns compile with
  ``re.ASCII`` unless the pattern says ``U``;
- refused: class unions and intersections (``[a[b]]``, ``[a-z&&[^e]]``), Unicode properties
  (``\\p{L}``, ``\\p{IsLatin}``), ``\\G``, ``\\X``, ``\\b{g}``, the ``d`` (UNIX_LINES) flag, and Python-only
  syntax Java rejects (``(?P<…>``, ``(?#…)``, a ``{`` that is not a repetition).

Every failure is a ``JavaRegexError`` whose text says what is wrong and where.
"""

from __future__ import annotations

import re
from functools import lru_cache

from jsonschema import Draft202012Validator

__all__ = ["JavaRegexError", "compile_java", "Replacement"]


class JavaRegexError(ValueError):
    """The pattern (or replacement) is not valid Java, or has no faithful Python translation."""


# Java's POSIX classes (US-ASCII only, as in Pattern without UNICODE_CHARACTER_CLASS): class bodies.
_POSIX = {
    "Lower": "a-z", "Upper": "A-Z", "ASCII": "\\x00-\\x7f", "Alpha": "a-zA-Z", "Digit": "0-9",
    "Alnum": "a-zA-Z0-9", "Punct": "!-/:-@\\[-`{-~", "Graph": "!-~", "Print": " -~", "Blank": " \\t",
    "Cntrl": "\\x00-\\x1f\\x7f", "XDigit": "0-9a-fA-F", "Space": " \\t\\n\\x0b\\f\\r",
}
_HORIZONTAL = " \\t\\xa0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000"
_VERTICAL = "\\n\\x0b\\f\\r\\x85\\u2028\\u2029"
_FLAG_CHARS = set("idmsuxU")
_REPETITION = re.compile(r"\{[0-9]+(?:,[0-9]*)?\}")
_GROUP_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9]*")


def _char(code: int) -> str:
    return f"\\U{code:08x}"


def _translate(pattern: str) -> tuple[str, int]:
    out: list[str] = []
    flags = re.ASCII
    in_class = False
    i, n = 0, len(pattern)

    def fail(message: str, at: int) -> JavaRegexError:
        return JavaRegexError(f"{message} near index {at}: {pattern}")

    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise fail("Unexpected internal error (trailing backslash)", i)
            e = pattern[i + 1]
            if e == "Q":
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2:] if end < 0 else pattern[i + 2:end]
                out.append(re.escape(literal))
                i = n if end < 0 else end + 2
                continue
            if e == "E":  # a \E without \Q is ignored by Java
                i += 2
                continue
            if e == "k":
                m = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)>").match(pattern, i + 2)
                if not m or in_class:
                    raise fail("\\k is not followed by '<' for named capturing group", i)
                out.append(f"(?P={m.group(1)})")
                i = m.end()
                continue
            if e in "pP":
                m = re.compile(r"\{(\w+)\}|([A-Za-z])").match(pattern, i + 2)
                if not m:
                    raise fail("Illegal character property", i)
                name = m.group(1) or m.group(2)
                body = _POSIX.get(name)
                if body is None:
                    raise fail(f"Unsupported character property {{{name}}} (only the ASCII POSIX classes "
                               f"{', '.join(_POSIX)} are supported)", i)
                if in_class:
                    if e == "P":
                        raise fail("A negated property \\P inside a character class is not supported", i)
                    out.append(body)
                else:
                    out.append(("[^" if e == "P" else "[") + body + "]")
                i = m.end()
                continue
            if e in "hHvV":
                body = _HORIZONTAL if e in "hH" else _VERTICAL
                if in_class:
                    if e.isupper():
                        raise fail(f"\\{e} inside a character class is not supported", i)
                    out.append(body)
                else:
                    out.append(("[^" if e.isupper() else "[") + body + "]")
                i += 2
                continue
            if e == "R" and not in_class:
                out.append("(?:\\r\\n|[" + _VERTICAL + "])")
                i += 2
                continue
            if e == "z" and not in_class:
                out.append("\\Z")
                i += 2
                continue
            if e == "Z" and not in_class:
                out.append("(?=(?:\\r\\n|[\\n\\r\\x85\\u2028\\u2029])?\\Z)")
                i += 2
                continue
            if e == "e":
                out.append("\\x1b")
                i += 2
                continue
            if e == "c":
                if i + 2 >= n:
                    raise fail("Illegal control escape sequence", i)
                out.append(_char(ord(pattern[i + 2]) ^ 64))
                i += 3
                continue
            if e == "x" and i + 2 < n and pattern[i + 2] == "{":
                m = re.compile(r"\{([0-9a-fA-F]+)\}").match(pattern, i + 2)
                if not m or int(m.group(1), 16) > 0x10FFFF:
                    raise fail("Illegal hexadecimal escape sequence", i)
                out.append(_char(int(m.group(1), 16)))
                i = m.end()
                continue
            if e == "0":
                m = re.compile(r"[0-3][0-7]{2}|[0-7]{1,2}").match(pattern, i + 2)
                if not m:
                    raise fail("Illegal octal escape sequence", i)
                out.append(_char(int(m.group(0), 8)))
                i = m.end()
                continue
            if e in "GX" or (e == "b" and pattern.startswith("{", i + 2)):
                raise fail(f"\\{e} is not supported", i)
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            if c == "[":
                raise fail("Character class unions ([a[b]]) are not supported", i)
            if c == "&" and pattern.startswith("&&", i):
                raise fail("Character class intersections (&&) are not supported", i)
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            # A ']' right after '[' or '[^' is a literal in Java too; copy it so it does not close.
            if pattern.startswith("^", i):
                out.append("^")
                i += 1
            if pattern.startswith("]", i):
                out.append("\\]")
                i += 1
            continue
        if c == "{":
            m = _REPETITION.match(pattern, i)
            if not m or not out:
                raise fail("Illegal repetition", i)
            out.append(m.group(0))
            i = m.end()
            continue
        if c == "(" and pattern.startswith("(?", i):
            rest = pattern[i + 2:]
            if rest.startswith("<") and rest[1:2] not in ("=", "!"):
                m = _GROUP_NAME.match(rest, 1)
                if not m or rest[m.end():m.end() + 1] != ">":
                    raise fail("named capturing group is missing trailing '>'", i)
                out.append(f"(?P<{m.group(0)}>")
                i += 2 + m.end() + 1
                continue
            if rest[:1] in ("=", "!", ">", ":") or rest.startswith(("<=", "<!")):
                out.append("(?")
                i += 2
                continue
            m = re.compile(r"([a-zA-Z]*)(?:-([a-zA-Z]*))?([):])").match(rest)
            if not m or not set(m.group(1) + (m.group(2) or "")) <= _FLAG_CHARS or not (m.group(1) or m.group(2)):
                raise fail("Unknown inline modifier", i + 2)
            on, off = m.group(1), m.group(2) or ""
            if "d" in on + off:
                raise fail("The UNIX_LINES flag (?d) is not supported", i + 2)
            if "U" in on:
                flags &= ~re.ASCII
            on, off = on.replace("u", "").replace("U", ""), off.replace("u", "").replace("U", "")
            if not on and not off:
                out.append("(?:" if m.group(3) == ":" else "")
            else:
                out.append("(?" + on + ("-" + off if off else "") + m.group(3))
            i += 2 + m.end()
            continue
        out.append(c)
        i += 1
    if in_class:
        raise fail("Unclosed character class", n - 1)
    return "".join(out), flags


@lru_cache(maxsize=256)
def compile_java(pattern: str) -> re.Pattern[str]:
    """``pattern`` (Java syntax) compiled by Python's ``re``; JavaRegexError if it cannot be."""
    if not isinstance(pattern, str):
        raise JavaRegexError(f"Expected a string pattern, found {type(pattern).__name__}")
    translated, flags = _translate(pattern)
    try:
        return re.compile(translated, flags)
    except re.error as e:
        raise JavaRegexError(f"{e.msg} near index {e.pos if e.pos is not None else 0}: {pattern}") from None
    except (OverflowError, ValueError) as e:
        raise JavaRegexError(f"{e}: {pattern}") from None


def check_java_regex(value: object) -> bool:
    """A JSON Schema ``format`` check (``"format": "java-regex"``): raises with Kafka's wording."""
    if isinstance(value, str):
        try:
            compile_java(value)
        except JavaRegexError as e:
            raise ValueError(f"Invalid regex: {e}") from None
    return True


class Replacement:
    """A ``Matcher.replaceFirst`` replacement string: ``$n`` and ``${name}`` group references,
    ``\\x`` for a literal ``x``; parsed once against a compiled pattern, with Java's errors."""

    def __init__(self, replacement: str, pattern: re.Pattern[str]):
        self.text = replacement
        self.parts: list[str | int] = []
        groups, names = pattern.groups, pattern.groupindex
        literal: list[str] = []
        i, n = 0, len(replacement)

        def flush() -> None:
            if literal:
                self.parts.append("".join(literal))
                literal.clear()

        while i < n:
            c = replacement[i]
            if c == "\\":
                if i + 1 >= n:
                    raise JavaRegexError("character to be escaped is missing")
                literal.append(replacement[i + 1])
                i += 2
            elif c == "$":
                i += 1
                if i >= n:
                    raise JavaRegexError("Illegal group reference: group index is missing")
                if replacement[i] == "{":
                    end = i + 1
                    while end < n and replacement[end].isascii() and replacement[end].isalnum():
                        end += 1
                    name = replacement[i + 1:end]
                    if not name:
                        raise JavaRegexError("named capturing group has 0 length name")
                    if end >= n or replacement[end] != "}":
                        raise JavaRegexError("named capturing group is missing trailing '}'")
                    if name[0].isdigit():
                        raise JavaRegexError(f"capturing group name {{{name}}} starts with digit character")
                    if name not in names:
                        raise JavaRegexError(f"No group with name {{{name}}}")
                    flush()
                    self.parts.append(names[name])
                    i = end + 1
                    continue
                if not replacement[i].isdigit() or not replacement[i].isascii():
                    raise JavaRegexError("Illegal group reference")
                ref = int(replacement[i])
                if ref > groups:
                    raise JavaRegexError(f"No group {ref}")
                i += 1
                # Java takes further digits while the number still names a group.
                while i < n and replacement[i].isascii() and replacement[i].isdigit():
                    bigger = ref * 10 + int(replacement[i])
                    if bigger > groups:
                        break
                    ref = bigger
                    i += 1
                flush()
                self.parts.append(ref)
            else:
                literal.append(c)
                i += 1
        flush()

    def expand(self, match: re.Match[str]) -> str:
        return "".join(p if isinstance(p, str) else (match.group(p) or "") for p in self.parts)


def replace_first(pattern: re.Pattern[str], replacement: Replacement, text: str) -> str:
    """``Matcher.replaceFirst``: the first match found from the start (not necessarily the whole
    text) replaced."""
    m = pattern.search(text)
    if m is None:
        return text
    return text[:m.start()] + replacement.expand(m) + text[m.end():]


# ``"format": "java-regex"`` in schemas/transforms/*.json: validate reports a bad pattern under its
# key with Kafka's RegexValidator wording (an unknown format is ignored until this module loads).
Draft202012Validator.FORMAT_CHECKER.checks("java-regex", raises=ValueError)(check_java_regex)
