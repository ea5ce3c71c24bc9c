"""Which database errors are the record's fault and which are not: one table per dialect.

A sink error is either TRANSIENT (the connection, the transaction or the server's resources
failed: nothing is wrong with the data, so the batch is retried and the task fails after
max.retries) or the RECORD's (a value, constraint or limit that the same data will hit again: the
batch is bisected and the failing records go to the DLQ under errors.tolerance=all).

The decision is made on the server's own code, never on the driver's exception class alone:
psycopg raises ``OperationalError`` both for a dropped connection and for SQLSTATE 54000 (an index
row too large), PyMySQL raises ``OperationalError`` for most server error numbers. Only a code that
is in neither table falls back on the driver's class (connection-ish classes → transient).
"""

from __future__ import annotations

TRANSIENT = "transient"
RECORD = "record"

# PostgreSQL SQLSTATE (Appendix A of its manual): a full 5-character code wins over its 2-character
# class.
POSTGRESQL_SQLSTATE: dict[str, str] = {
    "08": TRANSIENT,     # connection exception
    "40": TRANSIENT,     # transaction rollback: serialization failure, deadlock
    "40002": RECORD,     # transaction integrity constraint violation (a deferred constraint at commit)
    "53": TRANSIENT,     # insufficient resources: disk full, out of memory, too many connections
    "55P03": TRANSIENT,  # lock not available (lock_timeout)
    "55006": TRANSIENT,  # object in use
    "57": TRANSIENT,     # operator intervention: query cancelled / statement timeout, admin shutdown,
                         # crash shutdown, cannot connect now, idle session timeout
    "58": TRANSIENT,     # system error: I/O error
    "25006": TRANSIENT,  # read-only SQL transaction (a standby after a failover)
    "72": TRANSIENT,     # snapshot too old
    "XX": TRANSIENT,     # internal error, data / index corrupted: not the record's fault (fails the task)
    "21": RECORD,        # cardinality violation (ON CONFLICT touching a row twice)
    "22": RECORD,        # data exception: value too long, out of range, invalid text, bad encoding
    "23": RECORD,        # integrity constraint violation: not null, foreign key, unique, check
    "42": RECORD,        # the record's shape does not fit the table: undefined column, type mismatch
    "44": RECORD,        # WITH CHECK OPTION violation (views)
    "54": RECORD,        # program limit exceeded: index row too large, too many columns
    "0A": RECORD,        # feature not supported (for these values)
}

# MariaDB / MySQL error numbers (server 1000–1999, 3000+, 4000+; client 2000–2999).
MARIADB_ERRNO: dict[int, str] = {
    # transient: connection, transaction rollback, resources, server state
    1021: TRANSIENT,  # disk full
    1037: TRANSIENT, 1038: TRANSIENT, 1041: TRANSIENT,  # out of memory
    1040: TRANSIENT,  # too many connections
    1053: TRANSIENT,  # server shutdown in progress
    1114: TRANSIENT,  # the table is full (storage)
    1135: TRANSIENT,  # cannot create a thread
    1152: TRANSIENT, 1158: TRANSIENT, 1159: TRANSIENT, 1160: TRANSIENT, 1161: TRANSIENT,  # network
    1180: TRANSIENT, 1181: TRANSIENT,  # error during COMMIT / ROLLBACK
    1203: TRANSIENT, 1226: TRANSIENT,  # user connection / resource limits
    1205: TRANSIENT,  # lock wait timeout
    1206: TRANSIENT,  # lock table full
    1213: TRANSIENT,  # deadlock
    1290: TRANSIENT, 1792: TRANSIENT, 1836: TRANSIENT,  # read-only server / transaction (failover)
    1317: TRANSIENT,  # query interrupted
    1637: TRANSIENT,  # too many active concurrent transactions
    1927: TRANSIENT,  # connection was killed
    1969: TRANSIENT,  # max_statement_time exceeded
    3024: TRANSIENT,  # max_execution_time exceeded (MySQL)
    4031: TRANSIENT,  # disconnected by the server because of inactivity
    # the record's: data, constraints, limits, shape
    1048: RECORD,  # column cannot be null
    1054: RECORD,  # unknown column
    1062: RECORD, 1586: RECORD, 1169: RECORD,  # duplicate entry / unique constraint
    1070: RECORD, 1071: RECORD,  # too many key parts / key too long
    1118: RECORD,  # row size too large
    1136: RECORD,  # column count does not match
    1146: RECORD,  # table does not exist
    1264: RECORD, 1690: RECORD,  # out of range
    1265: RECORD,  # data truncated
    1292: RECORD, 1366: RECORD, 1367: RECORD, 1411: RECORD,  # incorrect value
    1300: RECORD,  # invalid character string
    1364: RECORD,  # field has no default value
    1406: RECORD,  # data too long for column
    1416: RECORD,  # cannot get a geometry object
    1451: RECORD, 1452: RECORD, 1216: RECORD, 1217: RECORD,  # foreign key
    3140: RECORD,  # invalid JSON (MySQL)
    3819: RECORD,  # check constraint violated (MySQL)
    4025: RECORD,  # CONSTRAINT failed (MariaDB CHECK)
}
# Client-side errors (cannot connect, server gone, lost connection) are all transient.
_MARIADB_CLIENT = range(2000, 3000)


def classify_sqlstate(sqlstate: str | None) -> str | None:
    """TRANSIENT, RECORD, or None when the table does not know the code."""
    if not sqlstate:
        return None
    return POSTGRESQL_SQLSTATE.get(sqlstate) or POSTGRESQL_SQLSTATE.get(sqlstate[:2])


def classify_errno(errno: int | None) -> str | None:
    """TRANSIENT, RECORD, or None when the table does not know the number."""
    if not errno:
        return None
    if errno in _MARIADB_CLIENT:
        return TRANSIENT
    return MARIADB_ERRNO.get(errno)
