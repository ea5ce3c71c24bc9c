"""The sink's auto.create / auto.evolve column types, compiled by SQLAlchemy (connectors/jdbc/ddl_types.py).

Every row of docs/jdbc-sink.md's type table is compiled for both databases and compared with the
DDL text the hand-written maps gave before SQLAlchemy (written out here, per row), through the
writers' own column_type().
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from dbconnect.api.data import (BOOLEAN_SCHEMA, BYTES_SCHEMA, FLOAT32_SCHEMA, FLOAT64_SCHEMA, INT8_SCHEMA,
                                INT16_SCHEMA, INT32_SCHEMA, INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA,
                                Date, Decimal, SchemaBuilder, Time, Timestamp)
from dbconnect.connectors.jdbc.sink.records import SinkField
from dbconnect.connectors.jdbc.mariadb.sink import MariaDbWriter
from dbconnect.connectors.jdbc.mariadb.types import DDL_TYPES as MARIADB
from dbconnect.connectors.jdbc.postgresql.sink import PostgreSqlWriter
from dbconnect.connectors.jdbc.postgresql.types import DDL_TYPES as POSTGRESQL

DOCS = Path(__file__).resolve().parents[4] / "docs" / "jdbc-sink.md"


def _decimal(scale: int, precision: int | None = None):
    return Decimal.builder(scale, precision).build()


_STRUCT = SchemaBuilder.struct().field("a", INT32_SCHEMA).build()

# (docs row, schema, is_key, precise, old PostgreSQL DDL, old MariaDB DDL): the text of the
# _PRIMITIVE_DDL / _LOGICAL_DDL maps and column_type() branches the writers had before SQLAlchemy.
ROWS = [
    ("INT8", INT8_SCHEMA, False, False, "SMALLINT", "TINYINT"),
    ("INT16", INT16_SCHEMA, False, False, "SMALLINT", "SMALLINT"),
    ("INT32", INT32_SCHEMA, False, False, "INTEGER", "INT"),
    ("INT64", INT64_SCHEMA, False, False, "BIGINT", "BIGINT"),
    ("FLOAT32", FLOAT32_SCHEMA, False, False, "REAL", "FLOAT"),
    ("FLOAT64", FLOAT64_SCHEMA, False, False, "DOUBLE PRECISION", "DOUBLE"),
    ("BOOLEAN", BOOLEAN_SCHEMA, False, False, "BOOLEAN", "TINYINT"),
    ("STRING", STRING_SCHEMA, False, False, "TEXT", "TEXT"),
    ("STRING", OPTIONAL_STRING_SCHEMA, False, False, "TEXT", "TEXT"),
    ("STRING", STRING_SCHEMA, True, False, "TEXT", "VARCHAR(255)"),
    ("STRING", SchemaBuilder.string().name("com.example.Code").build(), True, False, "TEXT", "VARCHAR(255)"),
    ("BYTES", BYTES_SCHEMA, False, False, "BYTEA", "LONGBLOB"),
    ("BYTES", BYTES_SCHEMA, True, False, "BYTEA", "VARBINARY(1024)"),
    ("Decimal", _decimal(2), False, False, "DECIMAL", "DECIMAL(65,2)"),
    ("Decimal", _decimal(2, 10), False, False, "DECIMAL", "DECIMAL(10,2)"),
    ("Decimal", _decimal(0, 1), True, False, "DECIMAL", "DECIMAL(1,0)"),
    ("Decimal", _decimal(40, 20), False, False, "DECIMAL", "DECIMAL(40,30)"),  # scale bound 30
    ("Decimal", _decimal(5, 2), False, False, "DECIMAL", "DECIMAL(5,5)"),  # precision ≥ scale
    ("Decimal", _decimal(2, 80), False, False, "DECIMAL", "DECIMAL(65,2)"),  # precision bound 65
    ("Decimal", _decimal(0, 0), False, False, "DECIMAL", "DECIMAL(1,0)"),  # precision ≥ 1
    ("Date", Date.SCHEMA, False, False, "DATE", "DATE"),
    ("Date", Date.SCHEMA, True, False, "DATE", "DATE"),
    ("Time", Time.SCHEMA, False, False, "TIME", "TIME(3)"),
    ("Timestamp", Timestamp.SCHEMA, False, False, "TIMESTAMP", "DATETIME(3)"),
    ("Timestamp", Timestamp.SCHEMA, True, False, "TIMESTAMP", "DATETIME(3)"),
    ("Timestamp", Timestamp.SCHEMA, False, True, "TIMESTAMP", "DATETIME(6)"),  # timestamp.fields.list
    ("ARRAY of primitives", SchemaBuilder.array(INT32_SCHEMA).build(), False, False, "INTEGER[]", "JSON"),
    ("ARRAY of primitives", SchemaBuilder.array(INT8_SCHEMA).build(), False, False, "SMALLINT[]", "JSON"),
    ("ARRAY of primitives", SchemaBuilder.array(FLOAT64_SCHEMA).build(), False, False, "DOUBLE PRECISION[]",
     "JSON"),
    ("ARRAY of primitives", SchemaBuilder.array(STRING_SCHEMA).build(), False, False, "TEXT[]", "JSON"),
    ("ARRAY of primitives", SchemaBuilder.array(BYTES_SCHEMA).build(), False, False, "BYTEA[]", "JSON"),
    ("ARRAY of primitives", SchemaBuilder.array(BOOLEAN_SCHEMA).build(), False, False, "BOOLEAN[]", "JSON"),
    ("ARRAY of primitives", SchemaBuilder.array(_decimal(2)).build(), False, False, "DECIMAL[]", "JSON"),
    ("ARRAY of primitives", SchemaBuilder.array(Date.SCHEMA).build(), False, False, "DATE[]", "JSON"),
    ("ARRAY of primitives", SchemaBuilder.array(Time.SCHEMA).build(), False, False, "TIME[]", "JSON"),
    ("ARRAY of primitives", SchemaBuilder.array(Timestamp.SCHEMA).build(), False, False, "TIMESTAMP[]", "JSON"),
    ("STRUCT, MAP, other ARRAY", _STRUCT, False, False, "JSONB", "JSON"),
    ("STRUCT, MAP, other ARRAY", SchemaBuilder.map(STRING_SCHEMA, INT64_SCHEMA).build(), False, False, "JSONB",
     "JSON"),
    ("STRUCT, MAP, other ARRAY", SchemaBuilder.array(SchemaBuilder.array(INT32_SCHEMA).build()).build(), False,
     False, "JSONB", "JSON"),
    ("STRUCT, MAP, other ARRAY", SchemaBuilder.array(_STRUCT).build(), False, False, "JSONB", "JSON"),
]


def _writer(cls):
    # column_type() reads no connection or config: a bare instance is enough.
    return object.__new__(cls)


@pytest.mark.parametrize("row, schema, is_key, precise, pg, maria", ROWS,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(ROWS)])
def test_every_docs_row_compiles_to_the_old_ddl_text(row, schema, is_key, precise, pg, maria):
    field = SinkField("c", schema, is_key, precise)
    assert PostgreSqlWriter.column_type(_writer(PostgreSqlWriter), field) == pg
    assert MariaDbWriter.column_type(_writer(MariaDbWriter), field) == maria
    assert POSTGRESQL.column_type(schema, is_key=is_key, precise=precise) == pg
    assert MARIADB.column_type(schema, is_key=is_key, precise=precise) == maria


def test_the_rows_cover_the_docs_type_table():
    lines = DOCS.read_text().splitlines()
    start = lines.index("| Connect | PostgreSQL | MariaDB / MySQL |") + 2
    documented = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        documented.append(line.split("|")[1].strip())
    assert documented and set(documented) == {r[0] for r in ROWS}


@pytest.mark.parametrize("ddl, schema, expected", [
    (POSTGRESQL, INT8_SCHEMA, sa.SmallInteger), (POSTGRESQL, INT32_SCHEMA, sa.Integer),
    (POSTGRESQL, INT64_SCHEMA, sa.BigInteger), (POSTGRESQL, FLOAT64_SCHEMA, sa.Double),
    (POSTGRESQL, BOOLEAN_SCHEMA, sa.Boolean), (POSTGRESQL, STRING_SCHEMA, sa.Text),
    (POSTGRESQL, BYTES_SCHEMA, sa.LargeBinary), (POSTGRESQL, _decimal(2), sa.Numeric),
    (POSTGRESQL, Date.SCHEMA, sa.Date), (POSTGRESQL, Time.SCHEMA, sa.Time), (POSTGRESQL, Timestamp.SCHEMA, sa.DateTime),
    (POSTGRESQL, SchemaBuilder.array(INT32_SCHEMA).build(), postgresql.ARRAY), (POSTGRESQL, _STRUCT, postgresql.JSONB),
    (MARIADB, INT8_SCHEMA, mysql.TINYINT), (MARIADB, INT32_SCHEMA, sa.Integer), (MARIADB, BYTES_SCHEMA, mysql.LONGBLOB),
    (MARIADB, _decimal(2), mysql.DECIMAL), (MARIADB, Timestamp.SCHEMA, mysql.DATETIME), (MARIADB, _STRUCT, sa.JSON),
])
def test_connect_schemas_map_to_sqlalchemy_types(ddl, schema, expected):
    assert isinstance(ddl.type_of(schema), expected)


def test_the_array_element_is_the_generic_type():
    array = POSTGRESQL.type_of(SchemaBuilder.array(Timestamp.SCHEMA).build())
    assert isinstance(array, postgresql.ARRAY) and isinstance(array.item_type, sa.DateTime)
