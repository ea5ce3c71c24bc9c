"""MariaDB (and MySQL) through PyMySQL: unbuffered SSCursor reads, innodb_trx for open transactions."""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import ssl
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

import pymysql
import pymysql.cursors
from pymysql.constants import FIELD_TYPE, FLAG

from ....api.data import BYTES_SCHEMA, OPTIONAL_BYTES_SCHEMA, Decimal, Type
from ....api.errors import ConnectError
from ....api.payload import BOOL, FLOAT, FRAGMENT
from ..dialect import (APPLICATION_NAME, SQL_MARKER, UNKNOWN_TRANSACTIONS, ColumnMapping, ColumnMeta, Dialect,
                       JsonReady, TableId, decimal_precision, unscaled_byte_bounds)
from .. import types as T
from ..catalog import Catalog, like, relations, reflected_columns, reflected_primary_key
from ..tls import TlsPolicy, tls_policy

log = logging.getLogger(__name__)

_UTC = dt.timezone.utc
_BINARY_CHARSET = 63
_STRINGS = {FIELD_TYPE.VARCHAR, FIELD_TYPE.VAR_STRING, FIELD_TYPE.STRING, FIELD_TYPE.TINY_BLOB,
            FIELD_TYPE.MEDIUM_BLOB, FIELD_TYPE.LONG_BLOB, FIELD_TYPE.BLOB, FIELD_TYPE.JSON, FIELD_TYPE.ENUM,
            FIELD_TYPE.SET, FIELD_TYPE.GEOMETRY}
_ISOLATION = {"READ_UNCOMMITTED": "READ UNCOMMITTED", "READ_COMMITTED": "READ COMMITTED",
              "REPEATABLE_READ": "REPEATABLE READ", "SERIALIZABLE": "SERIALIZABLE",
              "SQL_SERVER_SNAPSHOT": "REPEATABLE READ"}
# table.types → the inspector's listing (catalog.relations); SYSTEM VIEWs are not its to list.
_TABLE_KINDS = {"TABLE": "table", "VIEW": "view"}
_CONNECTION_ERRORS = {2003, 2006, 2013, 2055, 1053, 1927, 4031}  # can't connect, gone away, lost, shutdown, killed
_MARKER_LIKE = SQL_MARKER.strip().replace("*", "*") + "%"
_CACHE_WINDOW_S = 0.11  # InnoDB refreshes the innodb_trx cache after 0.1 s without a read
FRESHNESS_ATTEMPTS = 5
# time_bound's "oldest writer" when the list could not be proved fresh: before any row, so the
# round reads nothing new (MariaDB's DATETIME starts at 1000-01-01).
_UNKNOWN_OLDEST = dt.datetime(1000, 1, 2, tzinfo=_UTC)


def pymysql_tls(policy: TlsPolicy) -> dict[str, Any]:
    """PyMySQL's connect() arguments for a TLS policy.

    No mode: PyMySQL's default (TLS if the server offers it, unverified; Connector/J's default
    would be plaintext). "prefer" is the same. The encrypted modes pass an SSLContext, which
    makes PyMySQL refuse a server without TLS before authenticating (CR_SSL_CONNECTION_ERROR,
    2026) instead of falling back to plaintext; ensure_encrypted checks it again.
    """
    if policy.mode in (None, "prefer", "allow"):
        return {}
    if policy.mode == "disable":
        return {"ssl_disabled": True}
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if policy.mode == "require":  # Connector/J "trust": encrypted, the certificate not checked
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.check_hostname = policy.mode == "verify-full"
        if policy.ca_file or policy.ca_pem:
            ctx.load_verify_locations(cafile=policy.ca_file, cadata=policy.ca_pem)
        else:  # Connector/J falls back on the JVM's trust store: the system's CAs here
            ctx.load_default_certs()
    if policy.cert_file:
        ctx.load_cert_chain(policy.cert_file, keyfile=policy.key_file, password=policy.key_password)
    if policy.min_version:
        ctx.minimum_version = ssl.TLSVersion[policy.min_version.replace(".", "_")]
    if policy.max_version:
        ctx.maximum_version = ssl.TLSVersion[policy.max_version.replace(".", "_")]
    return {"ssl": ctx}


def ensure_encrypted(conn: Any, policy: TlsPolicy) -> None:
    """Close ``conn`` and raise if the policy needs TLS and the connection is plaintext."""
    if policy.encrypted and not isinstance(getattr(conn, "_sock", None), ssl.SSLSocket):
        conn.close()
        raise pymysql.err.OperationalError(2026, f"TLS is required (sslMode {policy.mode}) but the connection "
                                                 "is not encrypted")


class MariaDbDialect(Dialect):
    name = "MySqlDatabaseDialect"
    quote_char = "`"

    def __init__(self, spec: Any, config: Any) -> None:
        super().__init__(spec, config)
        # Table, column and key discovery (catalog.py), on connections of its own.
        self.catalog = Catalog("mysql+pymysql://", lambda: self.connect(autocommit=True))
        self.stale_reads = 0  # times innodb_trx could not be proved fresh (reported, see _fresh_trx)
        self._next_stale_log = 0.0

    # -- connections ----------------------------------------------------------------------------
    def connect(self, *, autocommit: bool) -> Any:
        spec = self.spec
        policy = tls_policy(spec)
        conn = pymysql.connect(host=spec.host, port=spec.port, user=spec.user or "", password=spec.password or "",
                               database=spec.database, charset="utf8mb4", autocommit=autocommit,
                               connect_timeout=10, program_name=APPLICATION_NAME,
                               # TIMESTAMP columns then read as UTC; DATETIME stays wall-clock (db.timezone).
                               init_command="SET time_zone = '+00:00'", **pymysql_tls(policy))
        ensure_encrypted(conn, policy)
        if not autocommit:
            level = _ISOLATION.get(self.config.isolation)
            if level:
                with conn.cursor() as cur:
                    cur.execute(f"SET SESSION TRANSACTION ISOLATION LEVEL {level}")
        return conn

    def is_connection_error(self, exc: BaseException) -> bool:
        if isinstance(exc, pymysql.err.InterfaceError):
            return True
        if isinstance(exc, pymysql.err.OperationalError):
            code = exc.args[0] if exc.args else None
            return code in _CONNECTION_ERRORS or not isinstance(code, int) or code >= 2000
        return isinstance(exc, (ConnectionError, OSError))

    def is_missing_table(self, exc: BaseException) -> bool:
        return isinstance(exc, pymysql.err.ProgrammingError) and bool(exc.args) and exc.args[0] == 1146

    def begin_read(self, conn: Any) -> None:
        # READ ONLY: other tasks' readers then show trx_is_read_only = 1 and are not waited for.
        with conn.cursor() as cur:
            cur.execute("START TRANSACTION READ ONLY")

    def open_cursor(self, conn: Any, sql: str, params: Sequence[Any] | None, fetch_size: int,
                    json_ready: bool = False) -> Any:
        cursor = conn.cursor(pymysql.cursors.SSCursor)
        cursor.execute(SQL_MARKER + sql, params)
        return cursor

    def end_read(self, conn: Any, cursor: Any) -> None:
        try:
            if cursor is not None:
                cursor.close()  # drains what is left of an unbuffered result
        finally:
            conn.rollback()

    # -- catalog --------------------------------------------------------------------------------
    def _rows(self, conn: Any, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    def list_tables(self, conn: Any) -> list[TableId]:
        cfg = self.config
        with self.catalog.inspect() as insp:
            if cfg.catalog_pattern is not None:  # MariaDB's catalog is the database (schema)
                schemas = [s for s in insp.get_schema_names() if like(cfg.catalog_pattern, s, ignore_case=True)]
            else:
                schemas = [insp.default_schema_name] if insp.default_schema_name else []  # DATABASE()
            found = relations(insp, schemas, (_TABLE_KINDS.get(t, "") for t in cfg.table_types))
        return [TableId(s, None, n) for s, n in found]

    def catalog_session(self) -> Any:
        return self.catalog.session()

    def describe_columns(self, conn: Any, table: TableId) -> list[ColumnMeta]:
        with self.catalog.inspect() as insp:
            return reflected_columns(insp, table.name, table.catalog)

    def primary_key(self, conn: Any, table: TableId) -> list[str]:
        with self.catalog.inspect() as insp:
            return reflected_primary_key(insp, table.name, table.catalog)

    # Not the inspector's job: auto_increment_increment is a server variable, not catalog.
    def increment_step(self, conn: Any, table: TableId | None, column: str) -> int:
        row = self._rows(conn, "SELECT @@auto_increment_increment")
        return int(row[0][0]) if row and row[0][0] else 1

    # -- time and transactions ------------------------------------------------------------------
    # information_schema.innodb_trx is served from a cache that InnoDB refreshes only when more
    # than 0.1 s have passed since its last read, so back-to-back readers (other tables, tasks,
    # monitoring) can keep it stale for ever: a transaction begun after the cached copy is then
    # invisible. Freshness is *proved* before the list is trusted: a new connection (its id is
    # new, never reused while the server runs) opens a transaction, and the list is accepted
    # only if it shows that transaction, i.e. was filled after it began. See
    # docs/design/jdbc-source.md, "No missed rows".
    def _fresh_trx(self, conn: Any) -> tuple[dt.datetime, dt.datetime, list[tuple]] | None:
        """(now, probe start, innodb_trx rows of other sessions) from a list proved fresh, or None
        when freshness could not be proved within ``FRESHNESS_ATTEMPTS`` cache windows."""
        for attempt in range(FRESHNESS_ATTEMPTS):
            if attempt:
                time.sleep(_CACHE_WINDOW_S)  # let the cache's idle window pass, then read again
            probe = self.connect(autocommit=True)
            try:
                with probe.cursor() as cur:
                    cur.execute(SQL_MARKER + "SELECT CONNECTION_ID(), NOW(6)")
                    probe_id, probe_start = cur.fetchone()
                    # READ ONLY: other readers' bounds ignore it (trx_is_read_only = 1).
                    cur.execute(SQL_MARKER + "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
                rows = self._rows(conn, SQL_MARKER + (
                    "SELECT NOW(6), trx_mysql_thread_id, trx_id, trx_started, trx_is_read_only, trx_rows_modified "
                    "FROM information_schema.innodb_trx WHERE trx_mysql_thread_id <> CONNECTION_ID()"))
            finally:
                probe.close()
            if any(r[1] == probe_id for r in rows):
                self.untrusted = None
                now = rows[0][0]
                return now, probe_start, [r[1:] for r in rows if r[1] != probe_id]
        return None

    def _report_unproved(self) -> None:
        self.stale_reads += 1
        self.oldest_writer = None
        self.untrusted = ("information_schema.innodb_trx could not be proved fresh (something reads it more often "
                          "than every 0.1 s), so the bound is not advanced")
        if time.monotonic() < self._next_stale_log:
            return
        self._next_stale_log = time.monotonic() + 60  # at most once a minute
        log.warning("information_schema.innodb_trx stayed stale for %d consecutive cache windows (something "
                    "reads it more often than every 0.1 s): the bound is not advanced this round", FRESHNESS_ATTEMPTS)

    def time_bound(self, conn: Any) -> tuple[dt.datetime, dt.datetime | None]:
        # MariaDB's CURRENT_TIMESTAMP is the *statement* start, so only two kinds of writers can
        # still commit a row stamped before now: a transaction that has already modified rows
        # (its rows are stamped no earlier than its start, trx_started, whole seconds), and a
        # statement running right now (stamped at its start = now - TIME_MS). Read-only
        # transactions and SELECTs are ignored; our own statements carry SQL_MARKER.
        fresh = self._fresh_trx(conn)
        if fresh is None:
            self._report_unproved()
            now = self._rows(conn, "SELECT NOW(6)")[0][0]
            # Nothing is known about writers: an oldest start before any row holds the bound back.
            return now.replace(tzinfo=_UTC), _UNKNOWN_OLDEST
        _now, probe_start, trx_rows = fresh
        rows = self._rows(conn, SQL_MARKER + (
            "SELECT NOW(6), "
            "(SELECT MIN(NOW(6) - INTERVAL CAST(time_ms * 1000 AS SIGNED) MICROSECOND) FROM information_schema.processlist "
            " WHERE id <> CONNECTION_ID() AND command IN ('Query', 'Execute') AND info IS NOT NULL "
            " AND info NOT LIKE %s AND TRIM(info) NOT LIKE 'select%%' AND TRIM(info) NOT LIKE 'show%%')"),
            (_MARKER_LIKE,))
        now, stmt = rows[0]
        trx = min((started for _id, _trx, started, read_only, modified in trx_rows
                   if not read_only and modified), default=None)
        # A writer missing from the list began after it was filled, so after probe_start: its
        # rows are stamped no earlier than that.
        oldest = min((t for t in (trx, stmt, probe_start) if t is not None))
        self.oldest_writer = _oldest(now, ((tid, started) for tid, _trx, started, read_only, modified in trx_rows
                                           if not read_only and modified))
        return now.replace(tzinfo=_UTC), oldest.replace(tzinfo=_UTC)

    def open_transactions(self, conn: Any) -> frozenset:
        fresh = self._fresh_trx(conn)
        if fresh is None:
            self._report_unproved()
            return UNKNOWN_TRANSACTIONS
        now, _probe, rows = fresh
        self.oldest_writer = _oldest(now, ((tid, started) for tid, _trx, started, read_only, _mod in rows
                                           if not read_only))
        return frozenset((tid, trx_id, started) for tid, trx_id, started, read_only, _mod in rows if not read_only)

    # -- types ----------------------------------------------------------------------------------
    def result_signature(self, cursor: Any) -> tuple:
        return tuple((f.name, f.type_code, f.length, f.flags, f.scale, f.charsetnr) for f in result_fields(cursor))

    def map_columns(self, conn: Any, cursor: Any, nullable: dict[str, bool] | None) -> list[ColumnMapping]:
        return [self._field(f, nullable) for f in result_fields(cursor)]

    def _field(self, f: Any, nullable: dict[str, bool] | None) -> ColumnMapping:
        optional = not (f.flags & FLAG.NOT_NULL) if nullable is None else nullable.get(f.name, not (f.flags & FLAG.NOT_NULL))
        unsigned = bool(f.flags & FLAG.UNSIGNED)
        t = f.type_code
        m = ColumnMapping(f.name, T.primitive(Type.STRING, optional))
        if t == FIELD_TYPE.TINY:
            if f.length == 1:  # tinyint(1): MySQL's boolean
                m.schema, m.convert, m.type_name = T.primitive(Type.BOOLEAN, optional), _to_bool, "tinyint(1)"
            else:
                m.schema = T.primitive(Type.INT16 if unsigned else Type.INT8, optional)
        elif t == FIELD_TYPE.SHORT:
            m.schema = T.primitive(Type.INT32 if unsigned else Type.INT16, optional)
        elif t == FIELD_TYPE.INT24:
            m.schema = T.primitive(Type.INT32, optional)
        elif t == FIELD_TYPE.LONG:
            m.schema = T.primitive(Type.INT64 if unsigned else Type.INT32, optional)
        elif t == FIELD_TYPE.LONGLONG:
            if unsigned:
                m.schema, m.convert = T.decimal_from_int(20, optional)
                m.type_name = "bigint unsigned"
            else:
                m.schema = T.primitive(Type.INT64, optional)
        elif t == FIELD_TYPE.FLOAT:
            m.schema = T.primitive(Type.FLOAT32, optional)
        elif t == FIELD_TYPE.DOUBLE:
            m.schema = T.primitive(Type.FLOAT64, optional)
        elif t in (FIELD_TYPE.DECIMAL, FIELD_TYPE.NEWDECIMAL):
            scale = f.scale or 0
            # The protocol's length counts the sign and the decimal point.
            precision = f.length - (1 if scale > 0 else 0) - (0 if unsigned else 1)
            m.schema, m.convert = T.numeric_mapping(max(precision, 1), scale, optional, self.config.numeric_mapping)
            m.type_name = "decimal"
        elif t == FIELD_TYPE.YEAR:
            m.schema = T.primitive(Type.INT32, optional)
        elif t in (FIELD_TYPE.DATE, FIELD_TYPE.NEWDATE):
            m.schema, m.convert, m.type_name = T.date_schema(optional), _valid_date, "date"
        elif t == FIELD_TYPE.TIME:
            m.schema, m.convert, m.type_name = T.time_schema(optional), _timedelta_to_time, "time"
        elif t == FIELD_TYPE.DATETIME:
            m.schema, m.is_timestamp, m.zone_less = T.timestamp_schema(optional), True, True
            m.convert = T.compose(_valid_date, T.zone_less_converter(self.config.timezone))
            m.type_name = "datetime"
        elif t == FIELD_TYPE.TIMESTAMP:
            m.schema, m.is_timestamp = T.timestamp_schema(optional), True  # session time_zone is UTC
            m.convert, m.type_name = _valid_date, "timestamp"
        elif t == FIELD_TYPE.BIT:
            if f.length == 1:
                m.schema, m.convert, m.type_name = T.primitive(Type.BOOLEAN, optional), _bit_to_bool, "bit(1)"
            else:
                m.schema = OPTIONAL_BYTES_SCHEMA if optional else BYTES_SCHEMA
        elif t in _STRINGS:
            m.type_name = "geometry" if t == FIELD_TYPE.GEOMETRY else "string"
            if f.charsetnr == _BINARY_CHARSET and t not in (FIELD_TYPE.JSON, FIELD_TYPE.ENUM, FIELD_TYPE.SET):
                m.schema = OPTIONAL_BYTES_SCHEMA if optional else BYTES_SCHEMA
            elif t == FIELD_TYPE.SET:
                m.convert = _set_to_str
        else:
            m.convert = _to_text
        return m

    # -- JSON-ready columns (api/payload.py) -----------------------------------------------------
    def json_ready(self, column: ColumnMapping, quoted: str, payload_format: Any) -> JsonReady | None:
        # Every expression yields what the ordinary read's value encodes to, exactly (the tests in
        # tests/integration/test_jdbc_source_json_ready_mariadb.py compare the bytes), as an int,
        # a float or text that PyMySQL decodes without any Python conversion of its own.
        typname, schema, convert = column.type_name, column.schema, column.convert
        if typname == "tinyint(1)":
            return JsonReady(quoted, BOOL)
        if typname == "bit(1)":
            return JsonReady(f"({quoted} <> 0)", BOOL)
        if typname == "bigint unsigned":
            return _unsigned_bigint_json(quoted, payload_format)
        if typname == "decimal":
            return _decimal_json(quoted, schema, payload_format)
        if typname == "date":
            # "+ INTERVAL 0 DAY" is NULL for what PyMySQL cannot make a date of (and the ordinary
            # read maps to null): zero dates, zero parts, year 0, ALLOW_INVALID_DATES' Feb 30.
            return JsonReady(f"DATEDIFF({quoted} + INTERVAL 0 DAY, '1970-01-01')")
        if typname in ("datetime", "timestamp"):
            if getattr(self.config, "timestamp_granularity", T.CONNECT_LOGICAL) != T.CONNECT_LOGICAL:
                return None  # micros/nanos longs and strings: read the ordinary way (types.py)
            if column.zone_less and T.zone_less_converter(self.config.timezone) is not None:
                return None  # DATETIME in a db.timezone other than UTC: DST gaps and folds decide (Python's rules)
            # Epoch milliseconds, floored as Connect's Timestamp is (also before 1970): microseconds
            # since 0001-01-01 are never negative, so DIV floors; then shift to 1970.
            return JsonReady(f"(TIMESTAMPDIFF(MICROSECOND, '0001-01-01', {quoted} + INTERVAL 0 DAY) DIV 1000 "
                             f"- {_MS_0001_TO_1970})")
        if typname in ("time", "geometry"):
            return None  # TIME outside 00:00–24:00 fails the ordinary read (no SQL can); GEOMETRY's bytes
        if convert is not None:
            return None  # SET (sorted), anything read as text: the ordinary way
        if schema.type is Type.BYTES:  # binary strings, BIT(n > 1): base64 without TO_BASE64's line breaks
            return JsonReady(f"REPLACE(TO_BASE64({quoted}), CHAR(10 USING ascii), '')")
        if schema.type in (Type.FLOAT32, Type.FLOAT64):
            return JsonReady(quoted, FLOAT)  # the server's text, parsed by PyMySQL as in the ordinary read
        if schema.type in (Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.STRING):
            return JsonReady(quoted)  # integers, YEAR, text, ENUM, JSON: as the driver returns them
        return None

    def bind_timestamp(self, instant: dt.datetime, zone_less: bool) -> Any:
        # TIMESTAMP columns are compared in the session zone (UTC); DATETIME in db.timezone.
        zone = self.config.timezone if zone_less else _UTC
        return instant.astimezone(zone).replace(tzinfo=None)


# Milliseconds from 0001-01-01 to 1970-01-01 (proleptic Gregorian, as MariaDB and Python count).
_MS_0001_TO_1970 = (dt.date(1970, 1, 1).toordinal() - 1) * 86_400_000


def _unsigned_bigint_json(quoted: str, payload_format: Any) -> JsonReady:
    if payload_format.decimal_format == "NUMERIC":
        return JsonReady(quoted)  # an int up to 2^64 - 1, which orjson writes as the Decimal's digits
    # Java's BigInteger.toByteArray() of a value >= 0: the hex digits, padded to whole bytes, with
    # a 00 byte before a leading byte >= 0x80 (the sign bit).
    digits = f"HEX({quoted})"
    even = f"LPAD({digits}, LENGTH({digits}) + MOD(LENGTH({digits}), 2), '0')"
    return JsonReady(f"TO_BASE64(UNHEX(IF(LEFT({even}, 1) >= '8', CONCAT('00', {even}), {even})))")


def _decimal_json(quoted: str, schema: Any, payload_format: Any) -> JsonReady | None:
    if schema.type is Type.FLOAT64:
        # DECIMAL → double is correctly rounded (dtoa), and the text round-trips, as float(Decimal) is.
        return JsonReady(f"CAST({quoted} AS DOUBLE)", FLOAT)
    if schema.type is not Type.BYTES:  # an integer type (numeric.mapping): scale 0, precision < 19
        return JsonReady(f"CAST({quoted} AS SIGNED)")
    scale = Decimal.scale(schema)
    if payload_format.decimal_format == "NUMERIC":
        if scale > 6 and not payload_format.plain_decimals:
            # The JsonConverter writes str(Decimal) (Java's BigDecimal.toString()): 1E-7 where the text
            # and the JsonSchemaConverter have 0.0000001. Up to 6 decimals both are the plain text.
            return None
        # DECIMAL(p,s) text has exactly s fractional digits and no exponent, as the converters write it.
        return JsonReady(f"CAST({quoted} AS CHAR)", FRAGMENT)
    precision = decimal_precision(schema)
    if not 0 < precision <= 18:
        return None  # the unscaled value may not fit a BIGINT
    unscaled = f"CAST({quoted} * 1{'0' * scale} AS SIGNED)" if scale > 0 else f"CAST({quoted} AS SIGNED)"
    # Java's BigInteger.toByteArray(): the shortest big-endian two's complement. HEX() of a negative
    # BIGINT is its 16-digit two's complement; the byte count compares the column with scaled bounds.
    lengths = " ".join(f"WHEN {quoted} BETWEEN {low} AND {high} THEN {2 * n}"
                       for n, low, high in unscaled_byte_bounds(scale))
    return JsonReady(f"TO_BASE64(UNHEX(RIGHT(LPAD(HEX({unscaled}), 16, '0'), CASE {lengths} ELSE 16 END)))")


def _oldest(now: dt.datetime, writers: Any) -> tuple[int, float] | None:
    """(thread id, age in seconds) of the writer that started first, or None."""
    first = min(writers, key=lambda w: w[1], default=None)
    return None if first is None else (first[0], (now - first[1]).total_seconds())


def _to_bool(v: Any) -> Any:
    return None if v is None else bool(v)


def _bit_to_bool(v: Any) -> Any:
    return None if v is None else any(v)


def _valid_date(v: Any) -> Any:
    # PyMySQL returns zero dates ('0000-00-00') as strings: they are not dates.
    return None if type(v) is str else v


def _set_to_str(v: Any) -> Any:
    return ",".join(sorted(v)) if isinstance(v, (set, frozenset)) else v


def _timedelta_to_time(v: Any) -> Any:
    if v is None or isinstance(v, dt.time):
        return v
    micros = (v.days * 86400 + v.seconds) * 1_000_000 + v.microseconds
    if not 0 <= micros < 86_400_000_000:
        raise ConnectError(f"TIME value {v} is outside 00:00:00–23:59:59.999999 and cannot be a Connect Time")
    return (dt.datetime.min + v).time()


def _to_text(v: Any) -> Any:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("utf-8", "replace")
    if isinstance(v, decimal.Decimal):
        return str(v)
    return str(v)


# -- PyMySQL's per-column metadata, guarded ---------------------------------------------------------

_FIELD_ATTRS = ("name", "type_code", "length", "flags", "scale", "charsetnr")
_fallback_logged = False


class _DescribedField(NamedTuple):
    """A column described by the public DB-API ``cursor.description`` only."""

    name: str
    type_code: int
    length: int
    flags: int
    scale: int
    charsetnr: int  # 0: unknown (the description does not carry it)


def result_fields(cursor: Any) -> Sequence[Any]:
    """The result's column metadata: PyMySQL's PRIVATE ``cursor._result.fields`` (flags: unsigned,
    not null; charset: binary or text) when it has the expected shape, else the public description.

    A PyMySQL that moved or changed ``_result.fields`` degrades the mapping (logged once: unsigned
    integers are mapped as signed, binary strings as text) instead of failing every record.
    """
    fields = getattr(getattr(cursor, "_result", None), "fields", None)
    if fields is not None and all(hasattr(f, a) for f in fields for a in _FIELD_ATTRS):
        return fields
    global _fallback_logged
    if not _fallback_logged:
        _fallback_logged = True
        log.warning("PyMySQL %s has no usable cursor._result.fields: column metadata comes from cursor.description "
                    "(UNSIGNED and binary character sets are not visible: unsigned integers are mapped as "
                    "signed, BINARY/VARBINARY/BLOB as strings)", getattr(pymysql, "__version__", "?"))
    return [_DescribedField(d[0], d[1], d[3] or d[2] or 0, 0 if d[6] else FLAG.NOT_NULL, d[5] or 0, 0)
            for d in cursor.description or ()]
