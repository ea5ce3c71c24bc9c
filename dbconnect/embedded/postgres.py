"""An embedded PostgreSQL (≥ 15) on a loopback TCP port with password auth.

Why not ``pgserver.get_server()``?  pgserver starts the server through
``pg_ctl -o '-h ""'``, i.e. with TCP listening switched off on the command
line, which beats anything in postgresql.conf; it only offers a unix socket.
Our connectors need host:port URLs (psycopg, SQLAlchemy, JDBC-style), so we
use pgserver's *bundled binaries* (PostgreSQL 16, relocatable) and run
``initdb`` + ``postgres`` ourselves with ``listen_addresses=127.0.0.1``.

Postgres refuses to run as root.  When we are root (CI, containers) the server
runs as an unprivileged OS user (``postgres`` if it exists, else one we create
with ``useradd``).  That user must be able to reach the binaries: a pip install
under ``/root`` (mode 0700) is not reachable, so the bundle is copied once to a
world-readable cache dir under /tmp rather than loosening /root's permissions.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import re
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
from pathlib import Path
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from .ports import EmbeddedServer, EmbeddedServerError, ServerTls

MIN_VERSION = 15

#: Server settings for tests and benchmarks (override with ``settings=``).
DEFAULT_SETTINGS: dict[str, str] = {
    # Room for several workers × tasks × pools plus the test's own connections.
    "max_connections": "200",
    "shared_buffers": "128MB",
    # Deterministic timestamps in tests, whatever the machine's zone.
    "timezone": "UTC",
    "log_timezone": "UTC",
    # Lets a future CDC/logical-decoding connector test run on the same server.
    "wal_level": "logical",
    "max_wal_senders": "10",
    "max_replication_slots": "10",
    # TCP only: the clients we test use host:port, and no socket path can be too long.
    "unix_socket_directories": "",
    "password_encryption": "scram-sha-256",
}

_bindir_lock = threading.Lock()
_bindir_cache: dict[tuple[str | None, bool], tuple[Path, str]] = {}


class EmbeddedPostgres(EmbeddedServer):
    """PostgreSQL on ``127.0.0.1:<free port>``, superuser ``user`` with ``password`` (scram).

    ``dbname`` is created at start-up.  Data lives in a temp dir that
    :meth:`stop` deletes.
    """

    name = "postgres"
    # SIGTERM is "smart" shutdown, which waits for every client to disconnect;
    # SIGINT is "fast": roll back open transactions and stop.
    stop_signal = signal.SIGINT
    default_startup_timeout = 60.0

    def __init__(self, *, user: str = "dbconnect", password: str | None = None, dbname: str = "dbconnect",
                 settings: dict[str, str] | None = None, bindir: str | os.PathLike | None = None,
                 os_user: str | None = None, tls: "ServerTls | None" = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tls = tls  # serve TLS with these files (and only TLS when tls.required)
        self.user = user
        # A real password, so the password-auth code paths of connectors are exercised.
        self.password = password or secrets.token_urlsafe(16)
        self.dbname = dbname
        self.settings = {**DEFAULT_SETTINGS, **(settings or {})}
        self._bindir_override = Path(bindir) if bindir else None
        self._os_user_override = os_user
        self.bindir: Path | None = None
        self.version: str | None = None  # e.g. "16.2", from `postgres --version`
        self.os_user: str | None = None  # who runs the server when we are root

    # -- URLs and connections

    def dsn(self, dbname: str | None = None) -> str:
        """libpq conninfo string (``host=… port=… user=… password=… dbname=…``)."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(host=self.host, port=self.port, user=self.user, password=self.password,
                             dbname=dbname or self.dbname)

    def sqlalchemy_url(self, dbname: str | None = None) -> str:
        return (f"postgresql+psycopg://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
                f"@{self.host}:{self.port}/{dbname or self.dbname}")

    def jdbc_url(self, dbname: str | None = None) -> str:
        return f"jdbc:postgresql://{self.host}:{self.port}/{dbname or self.dbname}"

    def connect(self, dbname: str | None = None, *, autocommit: bool = True, **kwargs: Any):
        """A new psycopg connection over TCP with the password."""
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               dbname=dbname or self.dbname, autocommit=autocommit,
                               connect_timeout=kwargs.pop("connect_timeout", 10), **kwargs)

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None, *,
                dbname: str | None = None) -> list[tuple]:
        """Run one statement in autocommit mode; returns its rows ([] when it returns none)."""
        with self.connect(dbname) as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description is not None else []

    def create_database(self, name: str) -> None:
        """CREATE DATABASE ``name`` unless it exists."""
        from psycopg import sql

        with self.connect("postgres") as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop_database(self, name: str) -> None:
        """DROP DATABASE ``name`` if it exists, disconnecting its sessions."""
        from psycopg import sql

        with self.connect("postgres") as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    # -- lifecycle

    def _launch(self) -> None:
        assert self.base_dir is not None
        self.bindir, self.version = _find_bindir(self._bindir_override, need_ssl=self.tls is not None)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["TZ"] = "UTC"
        run_as = None
        if os.geteuid() == 0:
            run_as = self.os_user = self._os_user_override or _service_user()
            self.bindir = _reachable_bindir(self.bindir, self.version)
            entry = pwd.getpwnam(run_as)
            os.chown(self.base_dir, entry.pw_uid, entry.pw_gid)
            self.base_dir.chmod(0o700)
            env["HOME"] = str(self.base_dir)
        data = self.base_dir / "data"
        if (data / "PG_VERSION").is_file():  # a kept data_dir: start on it (the password is the caller's)
            self._start_server(data, env, run_as)
            return
        pwfile = self.base_dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        if run_as is not None:
            entry = pwd.getpwnam(run_as)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        try:
            self._run([str(self.bindir / "initdb"), "-D", str(data), "-U", self.user, f"--pwfile={pwfile}",
                       "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                       "--encoding=UTF8", "--no-locale",
                       # The cluster is thrown away at stop(): skip the fsync of ~40 MB.
                       "--no-sync", "--no-instructions"],
                      timeout=self.startup_timeout, user=run_as, env=env, what="initdb")
        finally:
            pwfile.unlink(missing_ok=True)
        self._start_server(data, env, run_as)

    def _start_server(self, data: Path, env: dict[str, str], run_as: str | None) -> None:
        argv = [str(self.bindir / "postgres"), "-D", str(data), "-p", str(self.port),
                "-c", f"listen_addresses={self.host}"]
        if self.tls is not None:
            argv += self._tls_settings(data, run_as)
        for key, value in self.settings.items():
            argv += ["-c", f"{key}={value}"]
        self._spawn(argv, env=env, user=run_as)
        self._wait_until(self._accepts_password_login, "waiting for a password login over TCP")
        if self.dbname != "postgres":
            self.create_database(self.dbname)

    def _tls_settings(self, data: Path, run_as: str | None) -> list[str]:
        """``-c`` options serving TLS; with ``tls.required`` a pg_hba.conf that only has hostssl lines.

        The files are copied into the data dir: PostgreSQL wants its key owned by the server's OS
        user with mode 0600, which the caller's files need not be.
        """
        assert self.tls is not None
        copies = {}
        for name, src in (("server.crt", self.tls.cert), ("server.key", self.tls.key), ("root.crt", self.tls.ca)):
            if src is None:
                continue
            dst = data / f"tls-{name}"
            shutil.copyfile(src, dst)
            dst.chmod(0o600)
            if run_as is not None:
                entry = pwd.getpwnam(run_as)
                os.chown(dst, entry.pw_uid, entry.pw_gid)
            copies[name] = dst
        if self.tls.required:
            hba = data / "pg_hba.conf"
            hba.write_text("# dbconnect EmbeddedPostgres(tls=…required): TLS or nothing\n"
                           "hostssl all all 127.0.0.1/32 scram-sha-256\nhostssl all all ::1/128 scram-sha-256\n")
        opts = ["ssl=on", f"ssl_cert_file={copies['server.crt']}", f"ssl_key_file={copies['server.key']}"]
        if "root.crt" in copies:
            opts.append(f"ssl_ca_file={copies['root.crt']}")
        return [arg for opt in opts for arg in ("-c", opt)]

    def _ready(self) -> bool:
        return self._accepts_password_login()

    def _accepts_password_login(self) -> bool:
        with self.connect("postgres", connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True


# --- finding and preparing the binaries --------------------------------------


def _find_bindir(override: Path | None, need_ssl: bool = False) -> tuple[Path, str]:
    """The PostgreSQL bin dir to use and its version.

    Order: ``bindir=`` / $DBCONNECT_PG_BINDIR, the pgserver wheel's bundle, the
    newest Debian-style /usr/lib/postgresql/N/bin, then ``postgres`` on PATH.
    ``need_ssl`` skips builds without OpenSSL (pgserver's bundle is one).
    """
    path = str(override) if override else os.environ.get("DBCONNECT_PG_BINDIR")
    key = (path, need_ssl)
    with _bindir_lock:
        if key in _bindir_cache:
            return _bindir_cache[key]
        candidates: list[Path] = []
        if path:
            candidates.append(Path(path))
        else:
            spec = importlib.util.find_spec("pgserver")  # locate without importing: its import has side effects
            if spec is not None and spec.submodule_search_locations:
                candidates.append(Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin")
            system = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                            key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
            candidates += system
            on_path = shutil.which("postgres")
            if on_path:
                candidates.append(Path(on_path).resolve().parent)
        problems: list[str] = []
        for bindir in candidates:
            if not (bindir / "postgres").is_file() or not (bindir / "initdb").is_file():
                problems.append(f"{bindir}: no postgres/initdb")
                continue
            version = _version(bindir)
            if version is None or int(version.split(".")[0]) < MIN_VERSION:
                problems.append(f"{bindir}: version {version} < {MIN_VERSION}")
                continue
            if need_ssl and not _has_ssl(bindir):
                problems.append(f"{bindir}: built without SSL support")
                continue
            _bindir_cache[key] = (bindir, version)
            return bindir, version
        raise EmbeddedServerError(
            f"no PostgreSQL >= {MIN_VERSION} found ({'; '.join(problems) or 'no candidates'}). "
            "Install the pgserver wheel (pip install pgserver, part of '.[dev]') "
            "or set DBCONNECT_PG_BINDIR to a PostgreSQL bin directory.")


def _has_ssl(bindir: Path) -> bool:
    """True when ``postgres`` links OpenSSL (``ssl=on`` works); True too when ldd cannot tell."""
    try:
        out = subprocess.run(["ldd", str(bindir / "postgres")], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return True
    return "libssl" in out


def _version(bindir: Path) -> str | None:
    try:
        out = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)(?:\.(\d+))?", out)
    return f"{match.group(1)}.{match.group(2) or 0}" if match else None


def _service_user() -> str:
    """An unprivileged OS user to run the server as (we are root)."""
    for name in ("postgres", "dbconnect"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    nologin = "/usr/sbin/nologin" if Path("/usr/sbin/nologin").exists() else "/bin/false"
    result = subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                             "--shell", nologin, "dbconnect"], capture_output=True, text=True)
    if result.returncode != 0 and "already exists" not in result.stderr:
        raise EmbeddedServerError(f"PostgreSQL refuses to run as root and `useradd dbconnect` failed: "
                                  f"{result.stderr.strip()}")
    return "dbconnect"


def _reachable_by_others(path: Path) -> bool:
    """True when every directory from / down to ``path`` is searchable by any user."""
    path = path.resolve()
    for part in [path, *path.parents]:
        try:
            if not part.stat().st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


def _reachable_bindir(bindir: Path, version: str) -> Path:
    """``bindir``, or a copy of it that the unprivileged service user can execute.

    The pgserver wheel's binaries find their shared libraries through an
    RPATH of ``$ORIGIN/../../../pgserver.libs``, so the copy keeps the
    ``pgserver/pginstall`` + ``pgserver.libs`` layout of site-packages.
    """
    if _reachable_by_others(bindir):
        return bindir
    install = bindir.parent  # .../site-packages/pgserver/pginstall
    if install.name != "pginstall" or install.parent.name != "pgserver":
        raise EmbeddedServerError(f"{bindir} is not reachable by unprivileged users (check the permissions of "
                                  "its parent directories); PostgreSQL cannot run as root")
    site = install.parent.parent
    stamp = f"{bindir}:{version}:{(bindir / 'postgres').stat().st_mtime_ns}"
    parent = Path(tempfile.gettempdir())
    if not _reachable_by_others(parent):
        parent = Path("/tmp")
    cache = parent / f"dbconnect-pgbin-{version}-{hashlib.sha256(stamp.encode()).hexdigest()[:12]}"
    target = cache / "pgserver" / "pginstall" / "bin"
    if _trusted_cache(cache) and (target / "postgres").is_file():
        return target
    staging = Path(tempfile.mkdtemp(prefix=".dbconnect-pgbin-", dir=parent))
    try:
        shutil.copytree(install, staging / "pgserver" / "pginstall", symlinks=True)
        libs = site / "pgserver.libs"
        if libs.is_dir():
            shutil.copytree(libs, staging / "pgserver.libs", symlinks=True)
        for d in (staging, staging / "pgserver"):
            d.chmod(0o755)
        try:
            os.rename(staging, cache)  # atomic: concurrent test processes never see a half copy
        except OSError:
            if not (_trusted_cache(cache) and (target / "postgres").is_file()):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _trusted_cache(path: Path) -> bool:
    """A cache dir in /tmp is only used if we own it and nobody else can write to it."""
    try:
        st = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
