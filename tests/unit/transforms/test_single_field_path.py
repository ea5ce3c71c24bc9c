"""SingleFieldPath's V2 parsing, with the cases of Kafka's SingleFieldPathTest."""

from __future__ import annotations

import pytest

from dbconnect.api.errors import ConfigError
from dbconnect.transforms.single_field_path import SingleFieldPath


@pytest.mark.parametrize("text, steps", [
    ("foo", ("foo",)),
    ("foo.bar", ("foo", "bar")),
    ("foo.bar.baz", ("foo", "bar", "baz")),
    ("foo.", ("foo", "")),
    (".foo", ("", "foo")),
    ("", ()),
    ("`foo.bar`", ("foo.bar",)),
    ("`foo.bar`.baz", ("foo.bar", "baz")),
    ("foo.`bar.baz`", ("foo", "bar.baz")),
    ("`foo`bar`.baz", ("foo`bar", "baz")),
    ("`foo\\`.bar`.baz", ("foo`.bar", "baz")),
    ("`foo.bar`baz`", ("foo.bar`baz",)),
    ("foo`bar.baz", ("foo`bar", "baz")),
])
def test_v2_steps(text, steps):
    assert SingleFieldPath(text, "V2").steps == steps


def test_v1_is_one_step():
    assert SingleFieldPath("`foo.bar`.baz", "V1").steps == ("`foo.bar`.baz",)


@pytest.mark.parametrize("text, position", [("`foo.bar", 0), ("foo.`bar", 4), ("`foo\\`", 0)])
def test_incomplete_backticks(text, position):
    with pytest.raises(ConfigError, match=rf"at position {position} to escape it"):
        SingleFieldPath(text, "V2")
