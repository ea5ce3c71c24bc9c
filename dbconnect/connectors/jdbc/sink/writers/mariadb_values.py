"""Multi-row ``VALUES`` lists for MariaDB, formatted by code generated per row shape.

PyMySQL's ``executemany`` rewrites ``INSERT … VALUES (%s, …)`` into multi-row statements, but it
escapes every value through three generic calls (``Connection.escape`` → ``escape_item`` → the
type's encoder): about 14 µs for a 10-column row, the MariaDB sink writer's largest cost. Here a
function generated once per shape (the Python types of the row's values) formats a whole batch in
one comprehension, inlining the encoders of the common types.

Every inlined branch is PyMySQL 2.x's own encoder for exactly that type (``type(v) is T``, so no
subclass slips through), and anything else — another type, a time zone aware datetime, a float —
goes to the connection's own ``escape``: the SQL text is byte-for-byte what ``executemany`` sends
(tests/integration/test_jdbc_sink_mariadb_values.py compares both). Strings are escaped as the
session wants them: with backslashes, or by doubling quotes under the ``NO_BACKSLASH_ESCAPES``
sql_mode (PyMySQL's ``_escape_string`` makes the same choice per call).
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable, Sequence
from typing import Any

from pymysql.constants import SERVER_STATUS
from pymysql.converters import escape_string

# What PyMySQL's encoder for each exact type returns, as an expression of the value `{v}`.
_INLINE: dict[type, str] = {
    int: "{v}",                                        # escape_int: str(value), as %s does
    bool: '("1" if {v} else "0")',                     # escape_bool: str(int(value))
    decimal.Decimal: 'format({v}, "f")',               # Decimal2Literal
    datetime.date: "\"'\" + {v}.isoformat() + \"'\"",    # escape_date: '{year:04}-{month:02}-{day:02}'
    # escape_datetime ignores tzinfo; isoformat would append the offset: aware ones go to escape.
    datetime.datetime: "(\"'\" + {v}.isoformat(\" \") + \"'\" if {v}.tzinfo is None else esc({v}))",
}

MAX_STATEMENT_BYTES = 1024000  # PyMySQL's Cursor.max_stmt_length

RowsFormatter = Callable[[Sequence[Sequence[Any]], Callable[[Any], str]], list[str]]


def backslash_escapes(conn: Any) -> bool:
    """Whether the session's strings escape with backslashes (no NO_BACKSLASH_ESCAPES in its sql_mode)."""
    return not conn.server_status & SERVER_STATUS.SERVER_STATUS_NO_BACKSLASH_ESCAPES


def row_shape(rows: Sequence[Sequence[Any]], probe: int = 100) -> tuple[type, ...]:
    """Each column's type: the first value's that is not None among the first ``probe`` rows."""
    width = len(rows[0])
    shape: list[type] = [type(None)] * width
    missing = set(range(width))
    for row in rows[:probe]:
        for i in list(missing):
            if row[i] is not None:
                shape[i] = type(row[i])
                missing.discard(i)
        if not missing:
            break
    return tuple(shape)


# Connection.escape → _escape_string, by the session's NO_BACKSLASH_ESCAPES status.
_STRING = {True: "\"'\" + escape_string({v}) + \"'\"", False: "\"'\" + {v}.replace(\"'\", \"''\") + \"'\""}


def rows_formatter(shape: tuple[type, ...], backslashes: bool = True) -> RowsFormatter:
    """``f(rows, esc) -> ["(v1,v2,…)", …]`` for rows of this shape; esc is ``Connection.escape``
    and ``backslashes`` :func:`backslash_escapes` of the same connection."""
    inlined = {**_INLINE, str: _STRING[backslashes]}
    names = [f"v{i}" for i in range(len(shape))]
    parts = []
    for i, (name, kind) in enumerate(zip(names, shape)):
        inline = inlined.get(kind)
        if inline is None:
            parts.append(f"esc({name})")
        else:
            parts.append(f'("NULL" if {name} is None else {inline.format(v=name)} '
                         f'if type({name}) is T{i} else esc({name}))')
    template = "(" + ",".join(["%s"] * len(shape)) + ")"
    unpack = ", ".join(names) + ("," if len(names) == 1 else "")
    source = (f"def format_rows(rows, esc):\n"
              f"    return [{template!r} % ({', '.join(parts)},) for {unpack} in rows]\n")
    namespace: dict[str, Any] = {"escape_string": escape_string, "format": format, "str": str, "type": type}
    namespace.update({f"T{i}": kind for i, kind in enumerate(shape)})
    exec(compile(source, f"<mariadb rows {','.join(k.__name__ for k in shape)}>", "exec"), namespace)
    return namespace["format_rows"]


def statements(prefix: str, values: list[str], postfix: str, encoding: str,
               limit: int = MAX_STATEMENT_BYTES) -> list[bytes]:
    """``prefix v1,v2,… postfix`` statements of at most ``limit`` bytes (one row may exceed it),
    split where PyMySQL's ``_do_execute_many`` splits them."""
    head, tail = prefix.encode(encoding), postfix.encode(encoding)
    out: list[bytes] = []
    sql = bytearray(head)
    first = True
    for value in values:
        encoded = value.encode(encoding)
        if not first and len(sql) + len(encoded) + len(tail) + 1 > limit:
            out.append(bytes(sql + tail))
            sql = bytearray(head)
            first = True
        if not first:
            sql += b","
        sql += encoded
        first = False
    out.append(bytes(sql + tail))
    return out

