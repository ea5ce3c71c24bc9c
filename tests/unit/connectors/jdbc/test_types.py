"""JDBC type rules: numeric.mapping."""

from __future__ import annotations

import pytest

from dbconnect.api.data import Type
from dbconnect.connectors.jdbc.types import numeric_mapping


@pytest.mark.parametrize("mapping,precision,scale,expected", [
    ("none", 10, 2, Type.BYTES), ("precision_only", 9, 0, Type.INT32), ("precision_only", 2, 0, Type.INT8),
    ("precision_only", 10, 2, Type.BYTES), ("best_fit", 4, 0, Type.INT16), ("best_fit", 18, 0, Type.INT64),
    ("best_fit", 10, 2, Type.FLOAT64), ("best_fit", 30, 2, Type.BYTES), ("best_fit_eager_double", 30, 2, Type.FLOAT64),
    ("best_fit_eager_double", 30, 0, Type.BYTES), ("none", None, None, Type.STRING),
    ("best_fit_eager_double", None, None, Type.FLOAT64),
])
def test_numeric_mapping(mapping, precision, scale, expected):
    schema, _ = numeric_mapping(precision, scale, True, mapping)
    assert schema.type is expected and schema.optional
