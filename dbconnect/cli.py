"""``dbconnect standalone|distributed|demo|migrate|registry|passwd``: the command line."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

import dbconnect

from .api.errors import ConnectError

log = logging.getLogger("dbconnect")


def _setup_logging(level: int, fmt: str | None) -> None:
    """The root handler on stderr: Kafka Connect's layout (``[%d] %p %X{connector.context}%m (%c:%L)``)
    or one JSON object per line. ``--log-format`` wins over ``CONNECT_LOG_FORMAT`` (the worker
    property ``log.format`` as a CONNECT_* variable, read here so that the first lines are in it too)."""
    from .runtime.log_context import configure_logging, validate_log_format

    chosen = fmt or os.environ.get("CONNECT_LOG_FORMAT") or "text"
    try:
        chosen = validate_log_format(chosen)
    except ValueError as exc:
        configure_logging(level, "text")
        raise ConnectError(f"CONNECT_LOG_FORMAT: {exc}") from None
    configure_logging(level, chosen)


def _install_signal_handlers(stop) -> None:
    def handler(signum, _frame):
        log.info("Received %s, shutting down gracefully", signal.Signals(signum).name)
        threading.Thread(target=stop, name="shutdown", daemon=True).start()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def cmd_standalone(args: argparse.Namespace) -> int:
    from .runtime.connect import StandaloneConnect
    from .runtime.properties import load_connector_file, load_properties, properties_from_env

    worker_props = load_properties(args.worker_properties)
    # CONNECT_* variables (as in Confluent's images and compose files) override the file.
    overrides = properties_from_env(dict(os.environ))
    if overrides:
        log.info("Worker settings from CONNECT_* environment variables: %s", ", ".join(sorted(overrides)))
        worker_props.update(overrides)
    if args.log_format:
        worker_props["log.format"] = args.log_format  # the flag wins over the file and CONNECT_LOG_FORMAT
    elif "log.format" in worker_props:
        from .runtime.log_context import set_log_format

        try:
            set_log_format(worker_props["log.format"])  # from here on, not only once the worker started
        except ValueError:
            pass  # the worker's config validation refuses it with its own message
    connectors = [load_connector_file(path) for path in args.connector_files]
    connect = StandaloneConnect(worker_props)
    _install_signal_handlers(connect.stop)
    try:
        connect.start(connectors)
    except ConnectError as exc:
        log.error("%s", exc)
        connect.stop()
        return 1
    while not connect.await_stop(1.0):
        pass
    return 0


def cmd_distributed(args: argparse.Namespace) -> int:
    """``connect-distributed.sh``: a worker of the group ``group.id``; with no file, configured from
    ``CONNECT_*`` variables alone (Confluent's image)."""
    from .runtime.connect import DistributedConnect
    from .runtime.properties import load_properties, properties_from_env

    worker_props = load_properties(args.worker_properties) if args.worker_properties else {}
    overrides = properties_from_env(dict(os.environ))
    if overrides:
        log.info("Worker settings from CONNECT_* environment variables: %s", ", ".join(sorted(overrides)))
        worker_props.update(overrides)
    if not worker_props:
        log.error("No worker configuration: give a worker .properties file or CONNECT_* environment variables "
                  "(CONNECT_BOOTSTRAP_SERVERS, CONNECT_GROUP_ID, CONNECT_CONFIG_STORAGE_TOPIC, ...)")
        return 1
    if args.log_format:
        worker_props["log.format"] = args.log_format
    connect = DistributedConnect(worker_props)
    _install_signal_handlers(connect.stop)
    connect.start()
    while not connect.await_stop(1.0):
        pass
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args)


def cmd_registry(args: argparse.Namespace) -> int:
    from .registry.server.main import run_registry

    return run_registry(args.host, args.port, args.data)


def cmd_migrate(args: argparse.Namespace) -> int:
    from .migrate import MigrationError, run_migrations

    password = args.password if args.password is not None else os.environ.get("DBCONNECT_MIGRATE_PASSWORD")
    try:
        report = run_migrations(args.url, args.dir, user=args.user, password=password,
                                progress=lambda name, secs: print(f"applied {name} ({secs * 1000:.0f} ms)", flush=True))
    except MigrationError as exc:
        print(f"dbconnect migrate: {exc}", file=sys.stderr)
        return 1
    print(f"{len(report.applied)} migration(s) applied, {len(report.skipped)} already applied "
          f"({report.seconds:.2f} s)")
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    """Write USER=bcrypt-hash into a credentials file (rest.basic.auth.credentials.file)."""
    import getpass
    import re

    from .http.auth import hash_password

    if not re.fullmatch(r"[^\s=:#!\\]+", args.user):
        print(f"dbconnect passwd: invalid user name {args.user!r} (no spaces, '=', ':', '#', '!' or backslash)",
              file=sys.stderr)
        return 1
    if args.stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password for {args.user}: ")
        if getpass.getpass("Again: ") != password:
            print("dbconnect passwd: the passwords differ", file=sys.stderr)
            return 1
    try:
        entry = f"{args.user}={hash_password(password, args.rounds)}"
    except ValueError as exc:
        print(f"dbconnect passwd: {exc}", file=sys.stderr)
        return 1
    path = args.file
    lines = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as existing:
            lines = existing.read().splitlines()
    pattern = re.compile(rf"^\s*{re.escape(args.user)}\s*[=:\s]")
    replaced = False
    for i, line in enumerate(lines):
        if pattern.match(line):
            lines[i], replaced = entry, True
    if not replaced:
        lines.append(entry)
    # Readable by the owner only: the hashes are not the passwords, but need not be shown either.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    print(f"{'updated' if replaced else 'added'} {args.user} in {path}")
    return 0


def _log_format(value: str) -> str:
    from .runtime.log_context import validate_log_format

    try:
        return validate_log_format(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _log_level(value: str) -> int:
    """A level as ``/admin/loggers`` names it (Kafka's log4j names), or Python's WARNING/CRITICAL."""
    from .runtime.log_levels import JAVA_LEVELS, python_level

    level = python_level(value) or {"WARNING": logging.WARNING, "CRITICAL": logging.CRITICAL}.get(value.upper())
    if level is None:
        raise argparse.ArgumentTypeError(
            f"invalid level {value!r}: use {', '.join(JAVA_LEVELS)} (Kafka's names) or WARNING, CRITICAL")
    return level


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dbconnect", description="A pure-Python Kafka Connect worker.")
    parser.add_argument("--log-level", type=_log_level, default=logging.INFO, metavar="LEVEL",
                        help="DEBUG, INFO (default), WARN or ERROR; also TRACE, FATAL, OFF, ALL as /admin/loggers names them")
    # Checked by type=, not choices=: the help's only {a,b} list stays the one of the commands.
    parser.add_argument("--log-format", type=_log_format, default=None, metavar="FORMAT",
                        help="text: Kafka Connect's layout with the [connector|task-0] context (the default); "
                             "json: one JSON object per line for log shippers. Also CONNECT_LOG_FORMAT or the "
                             "worker property log.format")
    parser.add_argument("--version", action="version", version=f"dbconnect {dbconnect.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    standalone = sub.add_parser("standalone", help="run a standalone worker (like connect-standalone.sh)")
    standalone.add_argument("worker_properties", help="the worker .properties file")
    standalone.add_argument("connector_files", nargs="*",
                            help="connector configs: .properties, or .json (a POST /connectors body or a flat config)")
    standalone.set_defaults(func=cmd_standalone)

    distributed = sub.add_parser("distributed", help="run a worker of a Connect cluster (like connect-distributed.sh)")
    distributed.add_argument("worker_properties", nargs="?",
                             help="the worker .properties file (none: CONNECT_* environment variables alone)")
    distributed.set_defaults(func=cmd_distributed)

    demo = sub.add_parser("demo", help="replicate tables PostgreSQL → Kafka → PostgreSQL live, on embedded services")
    demo.add_argument("--once", action="store_true",
                      help="snapshot, a burst of changes, then check the target equals the source and exit "
                           "(0 when equal)")
    demo.add_argument("--target", choices=("postgresql", "mariadb"), default="postgresql",
                      help="the replica's database (default postgresql; mariadb needs mariadbd)")
    demo.add_argument("--rest-port", type=int, default=8083, help="the worker's REST port (default 8083)")
    demo.add_argument("--data-dir", default=None,
                      help="keep databases, schemas and offsets here and resume from them next time "
                           "(default: a temporary directory, removed at exit)")
    demo.add_argument("--rows", type=int, default=100_000, help="rows to seed over the three tables (default 100000)")
    demo.add_argument("--rate", type=float, default=300.0, help="changes per second after the snapshot (default 300)")
    demo.add_argument("--stream-seconds", type=float, default=10.0,
                      help="with --once: how long the change stream runs (default 10)")
    demo.add_argument("--files", action="store_true",
                      help="the file walkthrough instead: file → topic → file with the REST calls of the tutorial")
    demo.add_argument("--lines", type=int, default=5, help="with --files: lines to pass through (default 5)")
    demo.add_argument("--keep-running", action="store_true", help="with --files: keep the worker running until Ctrl-C")
    demo.set_defaults(func=cmd_demo)

    migrate = sub.add_parser("migrate", help="apply numbered SQL migrations once each, in order")
    migrate.add_argument("--url", required=True,
                         help="the database: a JDBC URL (jdbc:postgresql://host:5432/db?user=u) or "
                              "postgresql://u@host/db, mariadb://u@host/db")
    migrate.add_argument("--dir", required=True, help="the directory of NNN_description.sql files")
    migrate.add_argument("--user", default=None, help="user (wins over the URL's)")
    migrate.add_argument("--password", default=None,
                         help="password (wins over the URL's; or set DBCONNECT_MIGRATE_PASSWORD)")
    migrate.set_defaults(func=cmd_migrate)

    registry = sub.add_parser("registry", help="run a Confluent-compatible Schema Registry for JSON Schema")
    registry.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    registry.add_argument("--port", type=int, default=8081, help="port to listen on (default 8081)")
    registry.add_argument("--data", metavar="DIR", default=None,
                          help="directory that keeps schemas across restarts (default: in memory)")
    registry.set_defaults(func=cmd_registry)

    passwd = sub.add_parser("passwd", help="add or change a user of the REST API's Basic authentication "
                                           "(a bcrypt hash in rest.basic.auth.credentials.file)")
    passwd.add_argument("file", help="the credentials file (created when missing)")
    passwd.add_argument("user", help="the user name")
    passwd.add_argument("--stdin", action="store_true",
                        help="read the password from the first line of standard input (default when it is not a terminal)")
    passwd.add_argument("--rounds", type=int, default=12, help="bcrypt's cost factor (default 12)")
    passwd.set_defaults(func=cmd_passwd)
    # `dbconnect standalone --log-format json --log-level DEBUG …` work too (SUPPRESS: absent, it keeps the top-level value).
    for command in (standalone, distributed, demo, migrate, registry):
        command.add_argument("--log-format", type=_log_format, default=argparse.SUPPRESS, metavar="FORMAT",
                             help="text (default) or json: as dbconnect --log-format")
        command.add_argument("--log-level", type=_log_level, default=argparse.SUPPRESS, metavar="LEVEL",
                             help="as dbconnect --log-level")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _setup_logging(args.log_level, args.log_format)
        return int(args.func(args) or 0)
    except ConnectError as exc:
        log.error("%s", exc)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
