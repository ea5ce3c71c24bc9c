"""The MariaDB source's use of PyMySQL's private ``cursor._result.fields`` is guarded (issue 11, item 5):
without it, the column mapping comes from the public ``cursor.description`` and is logged once."""

from __future__ import annotations

import logging
import types

import pytest

from dbconnect.api.data import Type
from dbconnect.connectors.jdbc.mariadb import source as maria

from .jdbc_helpers import Db

pytestmark = pytest.mark.integration

QUERY = ("SELECT CAST(7 AS SIGNED) AS n, CAST(1 AS DECIMAL(10,2)) AS amount, 'x' AS s, "
         "CAST('2024-01-02' AS DATE) AS day, NULL AS nothing")


def mapped(dialect: maria.MariaDbDialect, cursor) -> dict[str, tuple]:
    return {m.name: (m.schema.type, m.schema.name, m.schema.optional)
            for m in dialect.map_columns(None, cursor, None)}


def test_without_private_fields_the_public_description_maps_the_columns(mariadb, monkeypatch, caplog):
    db = Db("mariadb", mariadb)
    dialect = maria.MariaDbDialect.__new__(maria.MariaDbDialect)
    dialect.config = types.SimpleNamespace(timezone=None, numeric_mapping="best_fit")
    conn = db.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(QUERY)
            cur.fetchall()
            expected = mapped(dialect, cur)
            assert expected["n"][0] in (Type.INT32, Type.INT64) and expected["s"][0] is Type.STRING
            monkeypatch.setattr(maria, "_fallback_logged", False, raising=False)
            cur._result = None  # a PyMySQL that no longer keeps its result there
            with caplog.at_level(logging.WARNING, logger=maria.__name__):
                assert mapped(dialect, cur) == expected
                assert len(dialect.result_signature(cur)) == 5
                mapped(dialect, cur)
    finally:
        conn.close()
    assert len([r for r in caplog.records if "cursor._result.fields" in r.getMessage()]) == 1
