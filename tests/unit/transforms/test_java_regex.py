"""Java patterns and replacement strings on Python's re (dbconnect.transforms.java_regex)."""

from __future__ import annotations

import pytest

from dbconnect.transforms.java_regex import JavaRegexError, Replacement, compile_java, replace_first


@pytest.mark.parametrize("pattern, text, matches", [
    (r"(?<name>a+)\k<name>", "aaaa", True),
    (r"\Q.*\E", ".*", True),
    (r"\Q.*\E", "ab", False),
    (r"\p{Upper}\P{Upper}", "Ab", True),
    (r"[\p{Digit}x]+", "1x2", True),
    (r"\w+", "é", False),          # Java's \w is ASCII unless (?U)
    (r"(?U)\w+", "é", True),
    (r"(?i)abc", "ABC", True),
    (r"(?i:a)b", "Ab", True),
    (r"a\z", "a", True),
    (r"a\Z", "a\n", False),       # fullmatch: \Z only looks ahead of the final terminator
    (r"\h\x{41}\0101", " AA", True),
    (r"a{2,3}", "aaa", True),
    (r"[]a]+", "]a", True),
    (r"a++b", "aab", True),
    (r"(?>a|ab)c", "abc", False),
    # class unions and intersections
    (r"[a-z&&[^aeiou]]+", "xyz", True),
    (r"[a-z&&[^aeiou]]+", "xaz", False),
    (r"[a[x-z]]+", "axz", True),
    (r"[^a[x-z]]", "y", False),
    (r"[\w&&[^_]]", "_", False),
    (r"[\P{Digit}]", "a", True),
    # Java's flags hold to the end of their group, across alternatives
    (r"(a(?i)b|c)", "C", True),
    (r"(a(?i)b|c)d", "cD", False),
    (r"(?i)a(?-i)b", "Ab", True),
    (r"(?i)a(?-i)b", "AB", False),
    (r"(?iu)é", "É", True),
    (r"(?iu)\w", "é", False),       # UNICODE_CASE alone leaves \w ASCII
    # Java's '.' stops at every line terminator, not only \n
    (r"a.c", "a\rc", False),
    (r"(?s)a.c", "a\rc", True),
    (r"\N{LATIN SMALL LETTER A}", "a", True),
])
def test_translations(pattern, text, matches):
    assert (compile_java(pattern).fullmatch(text) is not None) is matches


@pytest.mark.parametrize("pattern, fragment", [
    ("(", "near index"),
    ("a{x}", "Illegal repetition"),
    ("{1}", "Illegal repetition"),
    ("(?x) a b", "The COMMENTS flag (?x) is not supported"),
    ("a(?i)*", "Dangling meta character '*'"),
    ("(?P<x>a)", "Unknown inline modifier"),
    ("(?#comment)a", "Unknown inline modifier"),
    ("(?d)a", "UNIX_LINES"),
    (r"\p{L}", "Unsupported character property {L}"),
    (r"\Ga", "\\G is not supported"),
    ("[abc", "Unclosed character class"),
    ("a\\", "trailing backslash"),
])
def test_refused(pattern, fragment):
    with pytest.raises(JavaRegexError, match=None) as info:
        compile_java(pattern)
    assert fragment in str(info.value) and pattern in str(info.value)


@pytest.mark.parametrize("pattern, replacement, text, expected", [
    ("(a)(b)", "$2$1", "ab", "ba"),
    ("(a)(b)", "$12", "ab", "a2"),
    ("(?<x>a)", "${x}${x}", "a", "aa"),
    ("(a)|(b)", "[$2]", "a", "[]"),     # a group that did not take part is empty
    ("a", "\\$\\\\", "a", "$\\"),
    ("b", "x", "abc", "axc"),
])
def test_replacements(pattern, replacement, text, expected):
    regex = compile_java(pattern)
    assert replace_first(regex, Replacement(replacement, regex), text) == expected


@pytest.mark.parametrize("replacement, message", [
    ("$", "Illegal group reference: group index is missing"),
    ("$a", "Illegal group reference"),
    ("$3", "No group 3"),
    ("${y}", "No group with name {y}"),
    ("${", "named capturing group has 0 length name"),
    ("${x", "named capturing group is missing trailing '}'"),
    ("${x-y}", "named capturing group is missing trailing '}'"),
    ("${1x}", "capturing group name {1x} starts with digit character"),
    ("${}", "named capturing group has 0 length name"),
    ("\\", "character to be escaped is missing"),
])
def test_bad_replacements(replacement, message):
    with pytest.raises(JavaRegexError) as info:
        Replacement(replacement, compile_java("(?<x>a)(b)"))
    assert str(info.value) == message
