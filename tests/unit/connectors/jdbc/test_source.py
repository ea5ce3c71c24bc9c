"""JDBC source connector pure logic: table selection, grouping into tasks, topics."""

from __future__ import annotations

from dbconnect.connectors.jdbc.dialect import TableId
from dbconnect.connectors.jdbc.source import group_partitions, select_tables, topic_for
from tests.unit.connectors.jdbc.source_samples import _cfg


def test_table_selection_grouping_and_topics():
    tables = [TableId("db", "public", n) for n in ("a", "b", "c", "d", "e")]
    assert [t.name for t in select_tables(tables, _cfg(**{"table.whitelist": "a, public.b, db.public.c, \"d\""}))] == \
        ["a", "b", "c", "d"]
    assert [t.name for t in select_tables(tables, _cfg(**{"table.blacklist": "a,b"}))] == ["c", "d", "e"]
    cfg = _cfg(**{"table.include.list": r"db\.public\.[a-c]", "table.exclude.list": r".*\.b"})
    assert [t.name for t in select_tables(tables, cfg)] == ["a", "c"]
    assert group_partitions(list(range(5)), 2) == [[0, 1, 2], [3, 4]]
    assert group_partitions(list(range(3)), 3) == [[0], [1], [2]]
    assert topic_for("p-", TableId(None, None, 'x"; DROP')) == "p-x___DROP"
