"""``run_registry``: the ``dbconnect registry`` process, serving until SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

from dbconnect.api.errors import ConnectError
from dbconnect.registry.server.app import create_registry_app
from dbconnect.registry.server.store import RegistryError, SchemaStore
from dbconnect.http.server import RestServer

log = logging.getLogger("dbconnect.registry")


def listener(host: str, port: int) -> str:
    """A RestServer listener for ``host:port`` (IPv6 literals in brackets)."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}"


def run_registry(host: str = "127.0.0.1", port: int = 8081, data_dir: str | Path | None = None) -> int:
    """Serve the registry until SIGTERM/SIGINT; 0 after a graceful stop, 1 if it cannot start.

    With ``data_dir`` everything registered survives restarts (see store.py); without it the
    registry lives in memory.
    """
    try:
        store = SchemaStore(data_dir)
    except RegistryError as exc:
        log.error("Cannot open the schema store: %s", exc.message)
        return 1
    server = RestServer(create_registry_app(store), listener(host, port))
    stop = threading.Event()
    previous = _install_handlers(stop)
    try:
        try:
            server.start()
        except ConnectError as exc:
            log.error("%s", exc)
            return 1
        where = f"data in {Path(data_dir).resolve()}" if data_dir is not None else "in memory (no --data)"
        log.info("Schema Registry listening on %s, %s", server.url, where)
        while not stop.wait(0.5):
            if not server.running:
                log.error("The registry's HTTP server stopped unexpectedly")
                return 1
        log.info("Stopping the Schema Registry")
        return 0
    finally:
        server.stop()
        store.close()
        _restore_handlers(previous)


def _install_handlers(stop: threading.Event) -> dict[int, object]:
    if threading.current_thread() is not threading.main_thread():
        return {}  # signals can only be handled on the main thread; the caller stops us otherwise

    def handler(signum: int, _frame: object) -> None:
        log.info("Received %s, shutting down gracefully", signal.Signals(signum).name)
        stop.set()

    return {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}


def _restore_handlers(previous: dict[int, object]) -> None:
    for sig, old in previous.items():
        signal.signal(sig, old)  # type: ignore[arg-type]
