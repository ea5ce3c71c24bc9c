"""connectors/jdbc/catalog.py's own logic: SQL LIKE as the databases compare names, how many
connections the inspector opens (one per look-up, one per session()), and driver errors coming
out as the driver's. The engine is SQLAlchemy's SQLite one on in-memory connections made by a
counting creator; the real databases are in tests/integration/test_jdbc_catalog.py."""

from __future__ import annotations

import sqlite3

import pytest

from dbconnect.connectors.jdbc.catalog import Catalog, like


@pytest.mark.parametrize("pattern, value, ignore_case, expected", [
    ("sales%", "sales_eu", False, True),
    ("sales%", "SALES_eu", False, False),
    ("sales%", "SALES_eu", True, True),
    ("sales\\_%", "salesXeu", False, False),  # an escaped _ is itself
    ("sales\\_%", "sales_eu", False, True),
    ("s_les", "sales", False, True),
    ("s_les", "saales", False, False),
    ("a.b", "axb", False, False),  # regex characters are literal
    ("%", "", False, True),
    ("x%", None, False, False),
    ("line%", "line\nbreak", False, True),
])
def test_like(pattern, value, ignore_case, expected):
    assert like(pattern, value, ignore_case=ignore_case) is expected


class Counting:
    def __init__(self) -> None:
        self.opened = 0

    def __call__(self) -> sqlite3.Connection:
        self.opened += 1
        return sqlite3.connect(":memory:", check_same_thread=False)


def test_one_connection_per_look_up_and_one_per_session():
    connect = Counting()
    catalog = Catalog("sqlite://", connect)
    for _ in range(2):
        with catalog.inspect() as insp:
            assert insp.get_table_names() == []
    assert connect.opened == 2
    with catalog.session():
        for _ in range(3):
            with catalog.inspect() as insp:
                insp.get_table_names()
        with catalog.session():  # nested: the same connection
            with catalog.inspect() as insp:
                insp.get_table_names()
    assert connect.opened == 3
    catalog.dispose()


def test_a_driver_error_comes_out_as_the_drivers():
    def refuse() -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")
    catalog = Catalog("sqlite://", refuse)
    with pytest.raises(sqlite3.OperationalError, match="unable to open"):
        with catalog.inspect():
            pass
    with pytest.raises(sqlite3.OperationalError, match="unable to open"):
        with catalog.session():
            pass
    ok = Catalog("sqlite://", Counting())
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        with ok.inspect() as insp:
            insp.bind.exec_driver_sql("SELECT * FROM missing")
