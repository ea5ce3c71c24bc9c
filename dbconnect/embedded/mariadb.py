"""An embedded MariaDB on a loopback TCP port with password auth.

Uses the distribution's ``mariadbd`` and ``mariadb-install-db`` (Debian:
``apt-get install -y mariadb-server``); the packaged service is not touched.
Everything runs with ``--no-defaults`` so /etc/mysql config cannot leak in,
which also means we must set utf8mb4 ourselves (the compiled-in default is
latin1).  Bootstrap is ~1 s: no test database, no timezone tables.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import pymysql

from .ports import EmbeddedServer, EmbeddedServerError, ServerTls

#: mariadbd options for tests and benchmarks (override or extend with ``options=``).
DEFAULT_OPTIONS: dict[str, str | None] = {
    "skip-log-bin": None,
    "innodb-buffer-pool-size": "256M",
    "local-infile": "1",
    # Our grants are by IP; reverse DNS of 127.0.0.1 would only add latency.
    "skip-name-resolve": None,
    "max-connections": "200",
    "character-set-server": "utf8mb4",
    "collation-server": "utf8mb4_unicode_ci",
    # Named zones need the timezone tables we skip loading; UTC offset is deterministic.
    "default-time-zone": "+00:00",
}


class EmbeddedMariaDB(EmbeddedServer):
    """MariaDB on ``127.0.0.1:<free port>``; ``user``/``password`` has ALL PRIVILEGES over TCP.

    ``root`` is left only on the unix socket (no password, reachable by this
    process), so the TCP surface has exactly one, password-protected account.
    """

    name = "mariadb"
    default_startup_timeout = 60.0
    stop_grace = 30.0  # InnoDB may flush for a moment on a clean shutdown

    def __init__(self, *, user: str = "dbconnect", password: str | None = None, dbname: str = "dbconnect",
                 options: dict[str, str | None] | None = None, tls: ServerTls | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tls = tls  # serve TLS with these files (and only TLS when tls.required)
        self.user = user
        self.password = password or secrets.token_urlsafe(16)
        self.dbname = dbname
        self.options = {**DEFAULT_OPTIONS, **(options or {})}
        self.version: str | None = None
        self.socket_path: Path | None = None

    # -- URLs and connections

    def sqlalchemy_url(self, dbname: str | None = None) -> str:
        return (f"mysql+pymysql://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
                f"@{self.host}:{self.port}/{dbname or self.dbname}")

    def jdbc_url(self, dbname: str | None = None) -> str:
        return f"jdbc:mariadb://{self.host}:{self.port}/{dbname or self.dbname}"

    def connect(self, dbname: str | None = None, *, autocommit: bool = True, **kwargs: Any) -> pymysql.Connection:
        """A new pymysql connection over TCP with the password (``dbname=""`` for none)."""
        return pymysql.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               database=self.dbname if dbname is None else (dbname or None),
                               autocommit=autocommit, charset="utf8mb4",
                               connect_timeout=kwargs.pop("connect_timeout", 10), **kwargs)

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None, *,
                dbname: str | None = None) -> list[tuple]:
        """Run one statement in autocommit mode; returns its rows ([] when it returns none)."""
        conn = self.connect(dbname)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall()) if cur.description is not None else []
        finally:
            conn.close()

    def create_database(self, name: str) -> None:
        self.execute(f"CREATE DATABASE IF NOT EXISTS {_ident(name)}", dbname="")

    def drop_database(self, name: str) -> None:
        self.execute(f"DROP DATABASE IF EXISTS {_ident(name)}", dbname="")

    # -- lifecycle

    def _launch(self) -> None:
        assert self.base_dir is not None
        server, install_db = _binaries()
        data = self.base_dir / "data"
        self.socket_path = self.base_dir / "mysqld.sock"
        as_root = ["--user=root"] if os.geteuid() == 0 else []  # mariadbd refuses root without it
        if not (data / "mysql").is_dir():  # else a kept data_dir: start on it
            self._run([install_db, "--no-defaults", f"--datadir={data}", "--auth-root-authentication-method=normal",
                       "--skip-test-db", "--skip-name-resolve", *as_root],
                      timeout=self.startup_timeout, what="mariadb-install-db")
        argv = [server, "--no-defaults", f"--datadir={data}", f"--port={self.port}",
                f"--bind-address={self.host}", f"--socket={self.socket_path}",
                f"--pid-file={self.base_dir / 'mysqld.pid'}", f"--tmpdir={self.base_dir}", *as_root]
        for key, value in {**self._tls_options(), **self.options}.items():
            argv.append(f"--{key}" if value is None else f"--{key}={value}")
        self._spawn(argv)
        self._wait_until(self._socket_ready, "waiting for the unix socket")
        self._provision()
        # Prove the account works the way clients will use it: TCP + password.
        self._wait_until(self._tcp_login_ok, "logging in over TCP with the password", timeout=15)

    def _tls_options(self) -> dict[str, str | None]:
        if self.tls is None:
            return {}
        opts: dict[str, str | None] = {"ssl-cert": str(self.tls.cert), "ssl-key": str(self.tls.key)}
        if self.tls.ca is not None:
            opts["ssl-ca"] = str(self.tls.ca)
        if self.tls.required:
            opts["require-secure-transport"] = "ON"  # the unix socket counts as secure: provisioning still works
        return opts

    def _root_socket(self) -> pymysql.Connection:
        return pymysql.connect(unix_socket=str(self.socket_path), user="root", password="",
                               autocommit=True, connect_timeout=2)

    def _socket_ready(self) -> bool:
        self._root_socket().close()
        return True

    def _provision(self) -> None:
        conn = self._root_socket()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT VERSION()")
                self.version = cur.fetchone()[0]
                # mariadb-install-db gives root passwordless TCP logins too; keep root socket-only.
                cur.execute("SELECT Host FROM mysql.user WHERE User = 'root' AND Host <> 'localhost'")
                for (host,) in cur.fetchall():
                    cur.execute("DROP USER %s@%s", ("root", host))
                for host in ("%", "localhost"):
                    cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (self.user, host, self.password))
                    # A kept data_dir may hold the account with an older password.
                    cur.execute("ALTER USER %s@%s IDENTIFIED BY %s", (self.user, host, self.password))
                    cur.execute("GRANT ALL PRIVILEGES ON *.* TO %s@%s WITH GRANT OPTION", (self.user, host))
                cur.execute(f"CREATE DATABASE IF NOT EXISTS {_ident(self.dbname)}")
        finally:
            conn.close()

    def _ready(self) -> bool:
        return self._tcp_login_ok()

    def _tcp_login_ok(self) -> bool:
        self.connect(connect_timeout=2).close()
        return True


def _ident(name: str) -> str:
    """Quote a MariaDB identifier."""
    return "`" + name.replace("`", "``") + "`"


def _binaries() -> tuple[str, str]:
    server = shutil.which("mariadbd") or _first_file("/usr/sbin/mariadbd", "/usr/sbin/mysqld")
    install_db = shutil.which("mariadb-install-db") or _first_file("/usr/bin/mariadb-install-db",
                                                                    "/usr/bin/mysql_install_db")
    if not server or not install_db:
        raise EmbeddedServerError("MariaDB server binaries not found (mariadbd, mariadb-install-db): "
                                  "apt-get install -y mariadb-server")
    return server, install_db


def _first_file(*paths: str) -> str | None:
    return next((p for p in paths if Path(p).is_file()), None)
