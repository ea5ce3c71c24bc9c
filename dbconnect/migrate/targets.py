"""The databases migrations run on: one MigrationTarget per dialect family, found by URL."""

from __future__ import annotations

from typing import Any

from ..api.errors import ConfigError
from ..connectors.jdbc.url import ConnectionSpec, parse_url
from .files import MigrationError, MigrationFile
from .runner import HISTORY_TABLE, AppliedMigration

APPLICATION_NAME = "dbconnect-migrate"
LOCK_NAME = HISTORY_TABLE
LOCK_TIMEOUT_S = 60
# pg_advisory_lock takes a bigint: a fixed one for "dbconnect migrations" (any constant will do,
# as long as every runner uses the same one).
PG_LOCK_KEY = 0x6462_636F_6E6E  # "dbconn"


class PostgreSqlTarget:
    """Each file and its history row in one transaction: a failing file leaves no trace."""

    def __init__(self, spec: ConnectionSpec) -> None:
        import psycopg

        from ..connectors.jdbc.postgresql.connection import libpq_settings

        self.spec = spec
        self.conn = psycopg.connect(host=spec.host, port=spec.port, dbname=spec.database, user=spec.user,
                                    password=spec.password, application_name=APPLICATION_NAME, autocommit=True,
                                    **libpq_settings(spec))

    def describe(self) -> str:
        return self.spec.describe()

    def lock(self) -> None:
        self.conn.execute("SELECT pg_advisory_lock(%s)", (PG_LOCK_KEY,))

    def unlock(self) -> None:
        self.conn.execute("SELECT pg_advisory_unlock(%s)", (PG_LOCK_KEY,))

    def ensure_history(self) -> None:
        self.conn.execute(f"""CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (
            name varchar(255) PRIMARY KEY, version bigint NOT NULL, checksum char(64) NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(), execution_ms integer NOT NULL)""")

    def applied(self) -> list[AppliedMigration]:
        rows = self.conn.execute(f"SELECT name, checksum FROM {HISTORY_TABLE} ORDER BY version, name").fetchall()
        return [AppliedMigration(name, checksum) for name, checksum in rows]

    def apply(self, migration: MigrationFile) -> None:
        import time

        started = time.monotonic()
        with self.conn.transaction():
            # No parameters: psycopg sends the file as one simple query, several statements allowed.
            self.conn.execute(migration.sql)  # no parameters: a "%" in the SQL is sent as it is
            self.conn.execute(f"INSERT INTO {HISTORY_TABLE} (name, version, checksum, execution_ms) "
                              "VALUES (%s, %s, %s, %s)",
                              (migration.name, migration.version, migration.checksum,
                               int((time.monotonic() - started) * 1000)))

    def close(self) -> None:
        self.conn.close()


class MariaDbTarget:
    """Each file inside a transaction, but MariaDB commits DDL implicitly: the statements of a failing
    file that ran before the failing one stay applied (the file is not recorded, so it runs again)."""

    def __init__(self, spec: ConnectionSpec) -> None:
        import pymysql
        from pymysql.constants import CLIENT

        from ..connectors.jdbc.mariadb.connection import ensure_encrypted, pymysql_tls
        from ..connectors.jdbc.tls import tls_policy

        self.spec = spec
        policy = tls_policy(spec)
        self.conn = pymysql.connect(host=spec.host, port=spec.port, user=spec.user or "",
                                    password=spec.password or "", database=spec.database, charset="utf8mb4",
                                    autocommit=True, connect_timeout=10, program_name=APPLICATION_NAME,
                                    client_flag=CLIENT.MULTI_STATEMENTS, **pymysql_tls(policy))
        ensure_encrypted(self.conn, policy)

    def describe(self) -> str:
        return self.spec.describe()

    def _query(self, sql: str, params: Any = None) -> list[tuple]:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    def lock(self) -> None:
        (got,), = self._query("SELECT GET_LOCK(%s, %s)", (LOCK_NAME, LOCK_TIMEOUT_S))
        if got != 1:
            raise MigrationError(f"Another migration run holds the lock {LOCK_NAME!r} on {self.describe()} "
                                 f"(waited {LOCK_TIMEOUT_S} s)")

    def unlock(self) -> None:
        self._query("SELECT RELEASE_LOCK(%s)", (LOCK_NAME,))

    def ensure_history(self) -> None:
        self._query(f"""CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (
            name VARCHAR(255) PRIMARY KEY, version BIGINT NOT NULL, checksum CHAR(64) NOT NULL,
            applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), execution_ms INT NOT NULL)""")

    def applied(self) -> list[AppliedMigration]:
        rows = self._query(f"SELECT name, checksum FROM {HISTORY_TABLE} ORDER BY version, name")
        return [AppliedMigration(name, checksum) for name, checksum in rows]

    def apply(self, migration: MigrationFile) -> None:
        import time

        started = time.monotonic()
        conn = self.conn
        conn.begin()
        try:
            with conn.cursor() as cur:
                # MULTI_STATEMENTS: the file runs as one request; an error in statement k surfaces when
                # its result is read, so every result set is read through.
                cur.execute(migration.sql)
                while cur.nextset():
                    pass
                cur.execute(f"INSERT INTO {HISTORY_TABLE} (name, version, checksum, execution_ms) "
                            "VALUES (%s, %s, %s, %s)",
                            (migration.name, migration.version, migration.checksum,
                             int((time.monotonic() - started) * 1000)))
            conn.commit()
        except BaseException:
            try:
                conn.rollback()
            except Exception:  # noqa: BLE001 — the connection may be unusable after a failed multi-statement
                pass
            raise

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001 — already closed by the server after an error
            pass


TARGETS = {"postgresql": PostgreSqlTarget, "mariadb": MariaDbTarget}


def target_for(url: str, user: str | None = None, password: str | None = None) -> Any:
    """Connect to the database ``url`` names (a JDBC or SQLAlchemy-style URL, as ``connection.url``)."""
    try:
        spec = parse_url(url, user, password)
    except (ConfigError, ValueError) as exc:  # never echoes the password (see parse_url)
        raise MigrationError(f"Invalid --url: {exc}") from None
    try:
        return TARGETS[spec.family](spec)
    except MigrationError:
        raise
    except ConfigError as exc:  # a TLS parameter that cannot be honoured
        raise MigrationError(f"Invalid --url: {exc}") from None
    except Exception as exc:
        raise MigrationError(f"Could not connect to {spec.describe()}: {type(exc).__name__}: "
                             f"{spec.scrub(str(exc)).strip().splitlines()[0] if str(exc).strip() else ''}") from None
