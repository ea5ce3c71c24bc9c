"""Java regular expressions (``java.util.regex.Pattern``) and replacement strings
(``Matcher.replaceFirst``) on Python's ``re``, for RegexRouter and TopicNameMatches.

Kafka users write Java patterns; most of Java's syntax is Python's too. ``compile_java`` rewrites
the parts that differ and refuses, with a message, the ones that have no faithful translation, so
that a pattern is never accepted and then matched differently:

- rewritten: named groups ``(?<name>…)`` and ``\\k<name>``, quoting ``\\Q…\\E``, class unions
  (``[a[x-z]]``) and intersections (``[a-z&&[^aeiou]]``) as alternations and lookaheads, the ASCII
  POSIX classes ``\\p{Alpha}``, ``\\p{Digit}``, … and ``\\P{…}``, ``\\h``, ``\\v``, ``\\R``, ``\\z``,
  ``\\Z``, ``\\e``, ``\\cX``, ``\\x{h…h}``, octal ``\\0nnn``; inline flags ``(?i)`` hold to the end of
  their group (Python's are scoped groups); ``.`` stops at every Java line terminator unless
  ``(?s)``; ``\\w``, ``\\d``, ``\\s``, ``\\b`` and case-insensitive matching are ASCII unless ``(?u)``
  (case) or ``(?U)`` (both) say otherwise;
- refused: Unicode properties (``\\p{L}``, ``\\p{IsLatin}``), ``\\G``, ``\\X``, ``\\b{g}``, the ``d``
  (UNIX_LINES) and ``x`` (COMMENTS) flags, a quantifier on a zero-width assertion or a flag group,
  a back reference before its group closes, and Python-only syntax Java rejects (``(?P<…>``,
  ``(?#…)``, a ``{`` that is not a repetition).

tests/unit/transforms/test_java_answers.py checks the translation against OpenJDK 17's answers.
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


_ASCII_BODIES = {"w": "a-zA-Z0-9_", "d": "0-9", "s": " \\t\\n\\x0b\\f\\r"}
_NOT_LINE_TERMINATOR = "[^\\n\\r\\x85\\u2028\\u2029]"  # Java's '.' without DOTALL
_FLAG_GROUP = re.compile(r"([a-zA-Z]*)(?:-([a-zA-Z]*))?([):])")


class _Translator:
    """One pass over a Java pattern, writing the Python pattern (see the module docstring)."""

    def __init__(self, pattern: str):
        self.p = pattern
        self.n = len(pattern)
        seen = set()
        for m in re.finditer(r"\(\?([a-zA-Z]*)(?:-[a-zA-Z]*)?[):]", pattern):
            seen |= set(m.group(1))
        # Java's \w, \d, \s, \b and case folding are ASCII unless UNICODE_CASE (u: case only) or
        # UNICODE_CHARACTER_CLASS (U: both). Python's re.ASCII sets both at once, so with u alone
        # the classes are written out in ASCII and the pattern compiles without re.ASCII.
        self.unicode_classes = "U" in seen
        self.explicit_ascii = "u" in seen and not self.unicode_classes
        self.flags = 0 if ("u" in seen or self.unicode_classes) else re.ASCII

    def fail(self, message: str, at: int) -> JavaRegexError:
        return JavaRegexError(f"{message} near index {at}: {self.p}")

    # ---------------------------------------------------------------- escapes

    def escape(self, i: int, in_class: bool) -> tuple[str, int, bool]:
        """(Python text, next index, whether the text is a whole class expression) for the escape at i."""
        p, n = self.p, self.n
        if i + 1 >= n:
            raise self.fail("Unexpected internal error (trailing backslash)", i)
        e = p[i + 1]
        if e == "Q":
            end = p.find("\\E", i + 2)
            literal = p[i + 2:] if end < 0 else p[i + 2:end]
            return re.escape(literal), (n if end < 0 else end + 2), False
        if e == "E":  # a \E without \Q is ignored by Java
            return "", i + 2, False
        if e == "k":
            m = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)>").match(p, i + 2)
            if not m or in_class:
                raise self.fail("\\k is not followed by '<' for named capturing group", i)
            return f"(?P={m.group(1)})", m.end(), False
        if e in "pP":
            m = re.compile(r"\{(\w+)\}|([A-Za-z])").match(p, i + 2)
            if not m:
                raise self.fail("Illegal character property", i)
            name = m.group(1) or m.group(2)
            body = _POSIX.get(name)
            if body is None:
                raise self.fail(f"Unsupported character property {{{name}}} (only the ASCII POSIX classes "
                                f"{', '.join(_POSIX)} are supported)", i)
            return self._class_text(body, e == "P", in_class), m.end(), in_class and e == "P"
        if e in "hHvV":
            body = _HORIZONTAL if e in "hH" else _VERTICAL
            return self._class_text(body, e.isupper(), in_class), i + 2, in_class and e.isupper()
        if self.explicit_ascii and e in "wWdDsS":
            body = _ASCII_BODIES[e.lower()]
            return self._class_text(body, e.isupper(), in_class), i + 2, in_class and e.isupper()
        if self.explicit_ascii and e in "bB" and not in_class:
            return f"(?a:\\{e})", i + 2, False
        if e == "R" and not in_class:
            return "(?:\\r\\n|[" + _VERTICAL + "])", i + 2, False
        if e == "z" and not in_class:
            return "\\Z", i + 2, False
        if e == "Z" and not in_class:
            return "(?=(?:\\r\\n|[\\n\\r\\x85\\u2028\\u2029])?\\Z)", i + 2, False
        if e == "e":
            return "\\x1b", i + 2, False
        if e == "c":
            if i + 2 >= n:
                raise self.fail("Illegal control escape sequence", i)
            return _char(ord(p[i + 2]) ^ 64), i + 3, False
        if e == "x" and p.startswith("{", i + 2):
            m = re.compile(r"\{([0-9a-fA-F]+)\}").match(p, i + 2)
            if not m or int(m.group(1), 16) > 0x10FFFF:
                raise self.fail("Illegal hexadecimal escape sequence", i)
            return _char(int(m.group(1), 16)), m.end(), False
        if e == "N" and p.startswith("{", i + 2):
            end = p.find("}", i + 2)
            if end < 0:
                raise self.fail("Unclosed character name escape sequence", i)
            return p[i:end + 1], end + 1, False
        if e == "0":
            m = re.compile(r"[0-3][0-7]{2}|[0-7]{1,2}").match(p, i + 2)
            if not m:
                raise self.fail("Illegal octal escape sequence", i)
            return _char(int(m.group(0), 8)), m.end(), False
        if e in "GX" or (e == "b" and p.startswith("{g}", i + 2)):
            raise self.fail(f"\\{e} is not supported", i)
        return p[i:i + 2], i + 2, False

    @staticmethod
    def _class_text(body: str, negated: bool, in_class: bool) -> str:
        if in_class and not negated:
            return body
        return ("[^" if negated else "[") + body + "]"

    # ---------------------------------------------------------------- classes

    def char_class(self, i: int) -> tuple[str, int]:
        """The class opening at i: Java's unions (``[a[b]]``) and intersections (``[a-z&&[^e]]``)
        become lookaheads and alternations over plain Python classes."""
        p, n = self.p, self.n
        start = i
        i += 1
        negated = p.startswith("^", i)
        if negated:
            i += 1
        operands: list[tuple[list[str], list[str]]] = []
        body: list[str] = []
        nested: list[str] = []
        first = True
        while True:
            if i >= n:
                raise self.fail("Unclosed character class", n - 1)
            c = p[i]
            if c == "]" and not first:
                i += 1
                break
            if c == "]":  # a ']' right after '[' or '[^' is a literal, in Java too
                body.append("\\]")
                i += 1
            elif c == "[":
                text, i = self.char_class(i)
                nested.append(text)
            elif c == "&" and p.startswith("&&", i):
                operands.append((body, nested))
                body, nested = [], []
                i += 2
            elif c == "\\":
                text, i, whole = self.escape(i, True)
                (nested if whole else body).append(text)
            else:
                body.append("\\" + c if c in "&~|-" and p.startswith(c, i + 1) else c)
                i += 1
            first = False
        operands.append((body, nested))
        exprs = []
        for operand_body, operand_nested in operands:
            parts = (["[" + "".join(operand_body) + "]"] if operand_body else []) + operand_nested
            if parts:
                exprs.append(parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")")
        if not exprs:
            raise self.fail("Empty character class", start)
        if len(operands) == 1 and not nested:
            return ("[^" if negated else "[") + "".join(body) + "]", i
        expr = "".join(f"(?={e})" for e in exprs[1:]) + exprs[0]
        return (f"(?:(?!{expr})[\\s\\S])" if negated else f"(?:{expr})"), i

    # ---------------------------------------------------------------- the pattern

    def translate(self) -> tuple[str, int]:
        p, n = self.p, self.n
        out: list[str] = []
        # One frame per open group: whether DOTALL holds, and the flag groups opened inside it
        # for Java's (?i)-style flags, which hold until the group ends (Python's must be scoped).
        stack: list[dict] = [{"dotall": False, "flags": []}]
        i = 0
        while i < n:
            c = p[i]
            frame = stack[-1]
            if c == "\\":
                text, i, _ = self.escape(i, False)
                out.append(text)
            elif c == "[":
                text, i = self.char_class(i)
                out.append(text)
            elif c == "{":
                m = _REPETITION.match(p, i)
                if not m or not out:
                    raise self.fail("Illegal repetition", i)
                out.append(m.group(0))
                i = m.end()
            elif c == ".":
                out.append("." if frame["dotall"] else _NOT_LINE_TERMINATOR)
                i += 1
            elif c == "|":
                closers, openers = ")" * len(frame["flags"]), "".join(frame["flags"])
                out.append(closers + "|" + openers)
                i += 1
            elif c == ")":
                if len(stack) == 1:
                    raise self.fail("Unmatched closing ')'", i)
                stack.pop()
                out.append(")" * len(frame["flags"]) + ")")
                i += 1
            elif c == "(" and p.startswith("(?", i):
                i = self._special_group(i, out, stack)
            elif c == "(":
                stack.append({"dotall": frame["dotall"], "flags": []})
                out.append("(")
                i += 1
            else:
                out.append(c)
                i += 1
        if len(stack) > 1:
            raise self.fail("Unclosed group", n)
        out.append(")" * len(stack[0]["flags"]))
        return "".join(out), self.flags

    def _special_group(self, i: int, out: list[str], stack: list[dict]) -> int:
        p = self.p
        frame = stack[-1]
        rest = p[i + 2:]
        if rest.startswith("<") and rest[1:2] not in ("=", "!"):
            m = _GROUP_NAME.match(rest, 1)
            if not m or rest[m.end():m.end() + 1] != ">":
                raise self.fail("named capturing group is missing trailing '>'", i)
            stack.append({"dotall": frame["dotall"], "flags": []})
            out.append(f"(?P<{m.group(0)}>")
            return i + 2 + m.end() + 1
        if rest[:1] in ("=", "!", ">", ":") or rest.startswith(("<=", "<!")):
            stack.append({"dotall": frame["dotall"], "flags": []})
            out.append("(?")
            return i + 2
        m = _FLAG_GROUP.match(rest)
        if not m or not set(m.group(1) + (m.group(2) or "")) <= _FLAG_CHARS or not (m.group(1) or m.group(2)):
            raise self.fail("Unknown inline modifier", i + 2)
        on, off = m.group(1), m.group(2) or ""
        if "d" in on + off:
            raise self.fail("The UNIX_LINES flag (?d) is not supported", i + 2)
        if "x" in on + off:
            raise self.fail("The COMMENTS flag (?x) is not supported", i + 2)
        dotall = frame["dotall"] if "s" not in on + off else "s" in on
        on, off = on.replace("u", "").replace("U", ""), off.replace("u", "").replace("U", "")
        opener = "(?" + on + ("-" + off if off else "") + ":" if (on or off) else ""
        if m.group(3) == ":":  # (?i:…) is scoped already
            stack.append({"dotall": dotall, "flags": []})
            out.append(opener or "(?:")
        else:  # (?i) holds to the end of the enclosing group: a scoped group closed there
            after = i + 2 + m.end()
            if after < self.n and self.p[after] in "*+?{":
                raise self.fail(f"Dangling meta character '{self.p[after]}'", after)
            frame["dotall"] = dotall
            if opener:
                frame["flags"].append(opener)
                out.append(opener)
        return i + 2 + m.end()


def _translate(pattern: str) -> tuple[str, int]:
    return _Translator(pattern).translate()


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
