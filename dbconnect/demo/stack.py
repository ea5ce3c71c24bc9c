"""The demo's moving parts on loopback: broker, registry, databases, migrations and one worker.

Started in dependency order and stopped in reverse; every failure to start is one clear sentence
(DemoError) and leaves nothing running.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

from ..resources import shipped_dir
from .targets import TARGETS

log = logging.getLogger(__name__)

SOURCE_DB, TARGET_DB = "shop", "replica"


class DemoError(Exception):
    """A reason the demo cannot run, said in one line."""


def check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the REST server binds: connections of an earlier run in TIME_WAIT do not make it busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            raise DemoError(f"Port {port} is already in use (the REST API's port): stop what uses it, "
                            f"or choose another with --rest-port, e.g. --rest-port {port + 1}") from None


def prepare_data_dir(path: str | None) -> tuple[Path, bool]:
    """(directory, kept): the user's --data-dir (checked writable), or a fresh temporary one."""
    if path is None:
        return Path(tempfile.mkdtemp(prefix="dbconnect-demo-")), False
    directory = Path(path).resolve()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise DemoError(f"--data-dir {directory} is not writable: {exc.strerror or exc}") from None
    if os.geteuid() == 0 and not _searchable_by_all(directory):
        raise DemoError(f"--data-dir {directory}: running as root, PostgreSQL runs as an unprivileged user that "
                        "cannot reach this directory (each directory above it must be searchable by others: "
                        "chmod o+x, or choose a directory such as /tmp/dbconnect-demo)")
    return directory, True


def _searchable_by_all(path: Path) -> bool:
    return all(os.stat(p).st_mode & 0o001 for p in [path, *path.parents])


def route_logs(data_dir: Path):
    """Every log line to data_dir/worker.log; the terminal keeps only errors (it shows the live view).

    Returns the function that undoes it (the demo also runs inside tests)."""
    from ..runtime.log_context import TextFormatter, install_log_context

    handler = logging.FileHandler(data_dir / "worker.log")
    root = logging.getLogger()
    # The format the command line chose (--log-format), with the [name|task-0] context.
    handler.setFormatter(next((h.formatter for h in root.handlers if getattr(h, "_dbconnect_cli", False)
                               and h.formatter is not None), None) or TextFormatter())
    quieted = [(h, h.level) for h in root.handlers
               if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)]
    for existing, _ in quieted:
        existing.setLevel(logging.ERROR)
    root.addHandler(handler)
    install_log_context()
    level = root.level
    if level == logging.NOTSET or level > logging.INFO:
        root.setLevel(logging.INFO)

    def restore() -> None:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(level)
        for existing, old in quieted:
            existing.setLevel(old)

    return restore


class DemoStack:
    def __init__(self, *, data_dir: Path, kept: bool, rest_port: int, target: str) -> None:
        if target not in TARGETS:
            raise DemoError(f"--target {target}: choose one of {', '.join(TARGETS)}")
        self.data_dir, self.kept, self.rest_port, self.target_name = data_dir, kept, rest_port, target
        self.broker = self.registry = self.postgres = self.target_server = self.connect = None
        self.target: Any = None
        self.resumed = False

    # -- start ----------------------------------------------------------------------------------
    def start(self, say) -> None:
        from ..embedded import EmbeddedBroker, EmbeddedMariaDB, EmbeddedPostgres, EmbeddedRegistry, EmbeddedServerError

        check_port_free(self.rest_port)
        if self.target_name == "mariadb" and not (shutil.which("mariadbd") or Path("/usr/sbin/mariadbd").exists()):
            raise DemoError("--target mariadb needs the MariaDB server (mariadbd), which is not installed here: "
                            "apt-get install mariadb-server")
        password = self._password()
        try:
            self.broker = EmbeddedBroker().start()
            say(f"broker (Tansu)           {self.broker.bootstrap_servers}")
            self.registry = EmbeddedRegistry(self._sub("registry")).start()
            say(f"schema registry          {self.registry.url}")
            self.resumed = self.kept and (self.data_dir / "postgres" / "data" / "PG_VERSION").is_file()
            self.postgres = EmbeddedPostgres(password=password, data_dir=self._sub("postgres", create=False)).start()
            say(f"PostgreSQL {self.postgres.version or ''}".ljust(25) + f"{self.postgres.host}:{self.postgres.port}")
            for name in (SOURCE_DB, TARGET_DB):
                self.postgres.create_database(name)
            if self.target_name == "mariadb":
                self.target_server = EmbeddedMariaDB(password=password, dbname=TARGET_DB,
                                                     data_dir=self._sub("mariadb", create=False)).start()
                say(f"MariaDB {self.target_server.version or ''}".ljust(25)
                    + f"{self.target_server.host}:{self.target_server.port}")
            else:
                self.target_server = self.postgres
            self.target = TARGETS[self.target_name](self.target_server, TARGET_DB)
        except EmbeddedServerError as exc:
            raise DemoError(f"An embedded service failed to start: {str(exc).splitlines()[0]}") from None
        self._migrate(say)
        self._start_worker(say)

    def _password(self) -> str:
        """The databases' password: kept with the data (0600) so a resumed demo can log in again."""
        path = self.data_dir / "password"
        if path.is_file():
            return path.read_text().strip()
        value = secrets.token_urlsafe(16)
        path.write_text(value)
        path.chmod(0o600)
        return value

    def _sub(self, name: str, create: bool = True) -> Path | None:
        if not create and not self.kept:
            return None  # a server's own temp dir (made reachable for the unprivileged PostgreSQL user)
        path = self.data_dir / name
        if create:
            path.mkdir(exist_ok=True)
        return path

    def _migrate(self, say) -> None:
        from ..migrate import MigrationError, run_migrations

        plans = [(self.postgres.jdbc_url(SOURCE_DB), self.postgres, "postgresql")]
        if self.target.migrations:
            plans.append((self.target.jdbc_url(), self.target_server, self.target.migrations))
        for url, server, family in plans:
            directory = shipped_dir("migrations") / family
            try:
                report = run_migrations(url, directory, user=server.user, password=server.password)
            except MigrationError as exc:
                raise DemoError(str(exc)) from None
            say(f"migrations               {directory} → {url.split('//')[1]}: "
                f"{len(report.applied)} applied, {len(report.skipped)} already there")

    def _start_worker(self, say) -> None:
        from ..runtime.connect import StandaloneConnect

        self.connect = StandaloneConnect({
            "bootstrap.servers": self.broker.bootstrap_servers,
            "key.converter": "io.confluent.connect.json.JsonSchemaConverter",
            "key.converter.schema.registry.url": self.registry.url,
            "value.converter": "io.confluent.connect.json.JsonSchemaConverter",
            "value.converter.schema.registry.url": self.registry.url,
            "offset.storage.file.filename": str(self.data_dir / "connect.offsets"),
            "offset.flush.interval.ms": "10000",
            "listeners": f"http://127.0.0.1:{self.rest_port}",
            "rest.advertised.host.name": "127.0.0.1",
            # The embedded broker joins a consumer group in about half the session timeout.
            "consumer.session.timeout.ms": "6000",
        })
        self.connect.start()
        say(f"worker REST API          {self.connect.url}  (log: {self.data_dir / 'worker.log'})")

    # -- connector configs ------------------------------------------------------------------------
    def connector_request(self, path: Path) -> tuple[dict, list[str]]:
        """The JSON file's POST body with this stack's addresses and credentials; the keys it set."""
        import json

        from ..connectors.jdbc.url import parse_url

        body = json.loads(path.read_text())
        config = body["config"]
        changed = []
        spec = parse_url(config["connection.url"])
        server = self.postgres if spec.family == "postgresql" else self.target_server
        url = server.jdbc_url(spec.database)
        for key, value in (("connection.url", url), ("connection.user", server.user),
                           ("connection.password", server.password)):
            if config.get(key) != value:
                config[key] = value
                changed.append(key)
        for key in list(config):
            if key.endswith("schema.registry.url"):
                config[key] = self.registry.url
                changed.append(key)
        return body, changed

    # -- stop -------------------------------------------------------------------------------------
    def stop(self) -> None:
        for step in (self._stop_worker, self._close_target, self._stop_servers):
            try:
                step()
            except Exception:  # noqa: BLE001 — keep stopping the rest
                log.exception("demo shutdown step failed")
        if not self.kept:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _stop_worker(self) -> None:
        if self.connect is not None:
            self.connect.stop()
            self.connect = None

    def _close_target(self) -> None:
        if self.target is not None:
            self.target.close()

    def _stop_servers(self) -> None:
        for server in (self.target_server if self.target_server is not self.postgres else None,
                       self.postgres, self.registry, self.broker):
            if server is not None:
                server.stop()
