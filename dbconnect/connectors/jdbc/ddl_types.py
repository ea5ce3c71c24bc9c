"""Connect schemas → SQL column types for the sink's ``auto.create`` / ``auto.evolve``, by SQLAlchemy.

A Connect schema is mapped once, here, to one of SQLAlchemy's generic types (``SmallInteger``,
``Integer``, ``BigInteger``, ``REAL``, ``Double``, ``Boolean``, ``Text``, ``LargeBinary``,
``DECIMAL``, ``Date``, ``Time``, ``DateTime``, an ``ARRAY`` of those, or the database's JSON type),
and each database's SQLAlchemy type compiler spells it. A database that needs another type than
the generic one says so in its ``DdlTypes`` (the sink writer of that database): MariaDB's TINYINT
booleans, LONGBLOB, VARCHAR(255) / VARBINARY(1024) key columns, DECIMAL bounds, TIME(3) /
DATETIME(3|6); PostgreSQL's arrays of primitives and JSONB.

Only SQLAlchemy's *offline* type compiler is used: no engine, no connection. The DDL text is
what docs/jdbc-sink.md lists (tests/unit/connectors/jdbc/test_ddl_types.py compares every row with it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.compiler import GenericTypeCompiler
from sqlalchemy.types import TypeEngine

from ...api.data import Date, Decimal, Schema, Time, Timestamp, Type

# Connect type → SQLAlchemy's generic type; a database overrides only what it spells otherwise.
GENERIC_PRIMITIVES: Mapping[Type, TypeEngine] = {
    Type.INT8: sa.SmallInteger(),  # no standard one-byte integer
    Type.INT16: sa.SmallInteger(),
    Type.INT32: sa.Integer(),
    Type.INT64: sa.BigInteger(),
    Type.FLOAT32: sa.REAL(),
    Type.FLOAT64: sa.Double(),
    Type.BOOLEAN: sa.Boolean(create_constraint=False),
    Type.STRING: sa.Text(),
    Type.BYTES: sa.LargeBinary(),
}
GENERIC_LOGICAL: Mapping[str, TypeEngine] = {
    Decimal.LOGICAL_NAME: sa.DECIMAL(),  # unconstrained where the database allows it
    Date.LOGICAL_NAME: sa.Date(),
    Time.LOGICAL_NAME: sa.Time(),
    Timestamp.LOGICAL_NAME: sa.DateTime(),  # wall clock (db.timezone): no time zone
}


@dataclass(frozen=True)
class DdlTypes:
    """How one database's DDL spells Connect schemas.

    ``compiler`` is SQLAlchemy's type compiler for the database (an instance, bound to its
    dialect); the other fields are that database's departures from the generic mapping.
    """

    compiler: GenericTypeCompiler
    structured: TypeEngine  # struct, map and arrays the database has no column type for: JSON text
    primitives: Mapping[Type, TypeEngine] = field(default_factory=dict)
    logical: Mapping[str, TypeEngine] = field(default_factory=dict)
    # Key columns: a type the database can index, when the generic one cannot be a primary key.
    key_types: Mapping[Type, TypeEngine] = field(default_factory=dict)
    # Decimal with its schema's (precision, scale): None keeps the logical type (unconstrained).
    decimal: Callable[[int | None, int], TypeEngine] | None = None
    # timestamp.fields.list fields (microsecond values): None keeps the Timestamp type.
    precise_timestamp: TypeEngine | None = None
    # An array type of a primitive / logical element type; None: arrays are ``structured``.
    array: Callable[[TypeEngine], TypeEngine] | None = None

    def type_of(self, schema: Schema, *, is_key: bool = False, precise: bool = False) -> TypeEngine:
        """The SQLAlchemy type of a column holding values of ``schema``."""
        if schema.name == Decimal.LOGICAL_NAME and self.decimal is not None:
            params = schema.parameters or {}
            precision = params.get(Decimal.PRECISION_FIELD)
            return self.decimal(None if precision is None else int(precision),
                                int(params.get(Decimal.SCALE_FIELD, "0")))
        if precise and schema.name == Timestamp.LOGICAL_NAME and self.precise_timestamp is not None:
            return self.precise_timestamp
        scalar = self._scalar(schema)
        if scalar is not None:
            if is_key and schema.name not in GENERIC_LOGICAL and schema.type in self.key_types:
                return self.key_types[schema.type]
            return scalar
        if schema.type is Type.ARRAY and self.array is not None:
            element = self._scalar(schema.value_schema)
            if element is not None:
                return self.array(element)
        return self.structured  # struct, map, array of structs/maps/arrays (Confluent fails on these, #349)

    def _scalar(self, schema: Schema) -> TypeEngine | None:
        if schema.name in GENERIC_LOGICAL:
            return self.logical.get(schema.name, GENERIC_LOGICAL[schema.name])
        if schema.type in GENERIC_PRIMITIVES:
            return self.primitives.get(schema.type, GENERIC_PRIMITIVES[schema.type])
        return None

    def column_type(self, schema: Schema, *, is_key: bool = False, precise: bool = False) -> str:
        """The SQL text of that type in this database's DDL."""
        return self.compile(self.type_of(schema, is_key=is_key, precise=precise))

    def compile(self, type_: Any) -> str:
        return self.compiler.process(type_)
