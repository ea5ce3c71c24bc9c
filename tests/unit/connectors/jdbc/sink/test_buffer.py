"""JDBC sink batching: collapsing a buffer's rows per table and plan."""

from __future__ import annotations

from dbconnect.connectors.jdbc.sink.buffer import collapse, next_offsets
from tests.unit.connectors.jdbc.sink.sink_samples import FakePlan, rec


def test_collapse_last_write_wins_and_deletes_first():
    a, b = FakePlan("a"), FakePlan("b")
    records = [rec(i) for i in range(8)]
    entries = [
        (records[0], a, (1,), ["v1"]), (records[1], a, (2,), ["v2"]), (records[2], a, (1,), ["v1b"]),
        (records[3], a, (2,), None), (records[4], a, (3,), None), (records[5], a, (3,), ["v3"]),
        (records[6], b, None, ["x"]), (records[7], b, None, ["x"]),
    ]
    [ops_a, ops_b] = collapse(entries)
    assert ops_a.deletes == {a: [(2,), (3,)]}
    assert ops_a.writes == {a: [["v1b"], ["v3"]]}  # 2 was deleted last; 3 deleted then re-written
    assert ops_b.writes == {b: [["x"], ["x"]]} and not ops_b.deletes  # no key: both rows
    assert next_offsets(entries) == {("t", 0): 8}


def test_collapse_with_several_plans_per_table_keeps_each_plans_rows():
    class Plan:
        def __init__(self, table: str) -> None:
            self.table = table
    a1, a2 = Plan("a"), Plan("a")
    entries = [(((("t", 0), i)), p, (k,), (k, v)) for i, (p, k, v) in enumerate(
        [(a1, 1, "x"), (a2, 2, "y"), (a1, 1, "z"), (a2, 3, "w")])]
    [ops] = collapse(entries)
    assert ops.writes == {a2: [(2, "y"), (3, "w")], a1: [(1, "z")]}
    assert next_offsets(entries) == {("t", 0): 4}
