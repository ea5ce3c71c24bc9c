"""The verification helpers of bench/replication.py: a target that differs must not pass."""

from __future__ import annotations

import datetime as dt
import decimal
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _load():
    spec = importlib.util.spec_from_file_location("bench_replication", ROOT / "bench" / "replication.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_replication", module)
    spec.loader.exec_module(module)
    return module


replication = _load()

SOURCE = (3, 6, 30, decimal.Decimal("4.50"), 2, 120, dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 3),
          dt.date(1970, 1, 2), dt.date(1970, 1, 4), 3.0)


def _normal(row):
    return tuple(replication._normal(v) for v in row)


def test_equal_checksums_across_column_types_match():
    # what a target with timestamptz and DECIMAL sums returns for the same rows
    utc = dt.timezone.utc
    target = (3, decimal.Decimal(6), decimal.Decimal(30), decimal.Decimal("4.5"), decimal.Decimal(2),
              decimal.Decimal(120), dt.datetime(2024, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))),
              dt.datetime(2024, 1, 3, tzinfo=utc), dt.date(1970, 1, 2), dt.date(1970, 1, 4), 3.0000000000001)
    assert replication.same_checksum(_normal(target), _normal(SOURCE))


def test_any_differing_column_fails():
    for i, changed in enumerate([2, 7, 31, decimal.Decimal("4.51"), 1, 119, dt.datetime(2024, 1, 1, 0, 0, 1),
                                 dt.datetime(2024, 1, 2), dt.date(1970, 1, 1), dt.date(1970, 1, 5), 3.001]):
        target = SOURCE[:i] + (changed,) + SOURCE[i + 1:]
        assert not replication.same_checksum(_normal(target), _normal(SOURCE)), i


def test_an_empty_target_fails():
    empty = (0, None, None, None, None, None, None, None, None, None, None)
    assert not replication.same_checksum(_normal(empty), _normal(SOURCE))
