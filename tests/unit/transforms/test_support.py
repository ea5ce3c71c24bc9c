"""The helpers the field transforms share: the per-schema LRU cache and Java's split."""

from __future__ import annotations

import pytest

from dbconnect.api.data import INT32_SCHEMA, SchemaBuilder
from dbconnect.transforms.support import SchemaCache, float_to_long, java_split, to_float32, wrap_int


def schema(n: int):
    return SchemaBuilder.struct().field(f"f{n}", INT32_SCHEMA).build()


def test_cache_keeps_the_16_most_recently_used_schemas():
    cache = SchemaCache()
    for n in range(16):
        cache.put(schema(n), schema(100 + n))
    assert cache.get(schema(0)) == schema(100)  # touched: now the most recent
    cache.put(schema(16), schema(116))
    assert len(cache) == 16
    assert cache.get(schema(1)) is None  # the least recently used went
    assert cache.get(schema(0)) == schema(100) and cache.get(schema(16)) == schema(116)


def test_cache_builds_once_per_equal_schema():
    cache, built = SchemaCache(), []

    def build(s):
        built.append(s)
        return SchemaBuilder.struct().build()

    first = cache.get_or_build(schema(1), build)
    assert cache.get_or_build(schema(1), build) is first  # an equal schema, another object
    assert len(built) == 1


@pytest.mark.parametrize("text, parts", [
    ("a:b", ["a", "b"]), ("a:b:", ["a", "b"]), ("a::", ["a"]), (":b", ["", "b"]), (":", []), ("", [""]),
    ("a::b", ["a", "", "b"]),
])
def test_java_split(text, parts):
    assert java_split(text, ":") == parts


@pytest.mark.parametrize("number, bits, expected", [(300, 8, 44), (128, 8, -128), (-129, 8, 127), (2**31, 32, -(2**31)),
                                                   (2**64 + 5, 64, 5)])
def test_wrap_int(number, bits, expected):
    assert wrap_int(number, bits) == expected


@pytest.mark.parametrize("value, bits, expected", [(1e30, 64, 2**63 - 1), (-1e30, 32, -(2**31)), (1e30, 16, -1),
                                                   (float("nan"), 64, 0), (float("-inf"), 64, -(2**63)), (-3.9, 8, -3)])
def test_float_to_long(value, bits, expected):
    assert float_to_long(value, bits) == expected


def test_to_float32():
    assert to_float32(0.1) == 0.10000000149011612
    assert to_float32(1e40) == float("inf")
