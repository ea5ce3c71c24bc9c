"""``RestServer``: serves an HTTP app (the Connect REST API, the registry) with uvicorn on a daemon thread.

Listeners use Kafka's syntax, ``http://host:port`` (``http://:8083`` = all interfaces; port 0 =
pick a free port). Only plain HTTP is supported for now.
"""

from __future__ import annotations

import errno
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass
from collections.abc import Sequence
from typing import Any

import uvicorn

from dbconnect.api.errors import ConfigError, ConnectError

# The logger keeps the name it had before the module moved out of the Connect REST layer, so
# that logging configurations (and /admin/loggers levels) set for it still apply.
log = logging.getLogger("dbconnect.runtime.rest.server")

DEFAULT_LISTENERS = ("http://:8083",)
# Kafka's RestServer.LISTENER_PATTERN.
_LISTENER_RE = re.compile(r"^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$")
_WILDCARDS = ("", "0.0.0.0", "::")


@dataclass(frozen=True)
class Listener:
    protocol: str
    host: str
    port: int
    text: str


def parse_listener(text: str) -> Listener:
    match = _LISTENER_RE.match(text.strip())
    if not match:
        raise ConfigError(f"Could not parse listener {text!r}: expected protocol://host:port, e.g. http://:8083")
    protocol, host, port_text = match.group(1).lower(), match.group(2), match.group(3)
    _check_protocol(protocol, f"listener {text!r}")
    port = int(port_text)
    if not 0 <= port <= 65535:
        raise ConfigError(f"Invalid port {port} in listener {text!r}")
    return Listener(protocol, host, port, text.strip())


def _check_protocol(protocol: str, where: str) -> None:
    if protocol == "https":
        raise ConfigError(f"TLS is not supported yet: {where} uses https; use an http listener")
    if protocol != "http":
        raise ConfigError(f"Unsupported protocol {protocol!r} in {where}; only http is supported")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _local_address() -> str:
    """This host's address, as Jetty reports it for a listener without a host."""
    try:
        address = socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"
    return address or "127.0.0.1"


class RestServer:
    """Runs ``app`` on uvicorn in a daemon thread.

    ``start()`` binds every listener (a clear ConnectError if a port is taken), starts serving
    and returns once requests are accepted (bounded by ``start_timeout``). ``stop()`` shuts down.
    """

    def __init__(
        self,
        app: Any,
        listeners: Sequence[str] | str | None = None,
        advertised_host: str | None = None,
        advertised_port: int | None = None,
        advertised_listener: str | None = None,
        *,
        start_timeout: float = 10.0,
        access_log: bool = True,
    ):
        if listeners is None:
            listeners = DEFAULT_LISTENERS
        if isinstance(listeners, str):
            listeners = [part for part in listeners.split(",") if part.strip()]
        if not listeners:
            raise ConfigError("At least one REST listener must be configured")
        self._app = app
        self._listeners = [parse_listener(text) for text in listeners]
        if advertised_listener:
            _check_protocol(advertised_listener.strip().lower(), "rest.advertised.listener")
        if advertised_port in (None, ""):
            advertised_port = None
        else:
            try:
                advertised_port = int(advertised_port)
            except (TypeError, ValueError):
                raise ConfigError(f"Invalid rest.advertised.port {advertised_port!r}") from None
            if not 0 < advertised_port <= 65535:
                raise ConfigError(f"Invalid rest.advertised.port {advertised_port}")
        self._advertised_host = advertised_host or None
        self._advertised_port = advertised_port
        self._start_timeout = start_timeout
        self._access_log = access_log
        self._sockets: list[socket.socket] = []
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("REST server already started")
        self._sockets = []
        try:
            for listener in self._listeners:
                self._sockets.append(self._bind(listener))
        except BaseException:
            self._close_sockets()
            raise

        config = uvicorn.Config(
            self._app,
            log_config=None,
            lifespan="off",
            ws="none",
            access_log=self._access_log,
            server_header=False,
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._failure = None
        self._thread = threading.Thread(target=self._run, name="dbconnect-rest-server", daemon=True)
        self._thread.start()

        deadline = time.monotonic() + self._start_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                failure = self._failure
                self._cleanup()
                raise ConnectError(f"REST server failed to start: {failure or 'exited during startup'}")
            if time.monotonic() > deadline:
                self.stop()
                raise ConnectError(f"REST server did not start within {self._start_timeout:g}s")
            time.sleep(0.005)
        log.info("REST server listening on %s, advertised URL %s", ", ".join(self.urls), self.advertised_url)

    def stop(self, timeout: float = 10.0) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        log.info("Stopping REST server")
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout)
        self._cleanup()
        log.info("REST server stopped")

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- addresses -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port actually bound by the first listener (its configured port before start)."""
        return self._bound_port(0)

    @property
    def url(self) -> str:
        """A URL to reach the first listener from this host, e.g. ``http://127.0.0.1:8083``."""
        return self._local_url(0)

    @property
    def urls(self) -> list[str]:
        return [self._local_url(i) for i in range(len(self._listeners))]

    @property
    def advertised_url(self) -> str:
        """The URL other workers should use, per ``rest.advertised.*`` (no trailing slash).

        Host: ``advertised_host``, else the listener's host, else (wildcard listener) this host's
        address. Port: ``advertised_port``, else the listener's port, else the bound port.
        """
        listener = self._listeners[0]
        host = self._advertised_host
        if not host:
            host = listener.host if listener.host not in _WILDCARDS else _local_address()
        if self._advertised_port is not None:
            port = self._advertised_port
        elif listener.port > 0:
            port = listener.port
        else:
            port = self.port
        return f"http://{_url_host(host)}:{port}"

    # -- internals -----------------------------------------------------------------------------

    def _bound_port(self, index: int) -> int:
        if index < len(self._sockets):
            try:
                return self._sockets[index].getsockname()[1]
            except OSError:
                pass
        return self._listeners[index].port

    def _local_url(self, index: int) -> str:
        host = self._listeners[index].host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        return f"http://{_url_host(host)}:{self._bound_port(index)}"

    def _bind(self, listener: Listener) -> socket.socket:
        host = listener.host or None
        try:
            if host is None:
                family, address = socket.AF_INET, ("0.0.0.0", listener.port)
            else:
                infos = socket.getaddrinfo(host, listener.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
                family, address = infos[0][0], infos[0][4]
        except socket.gaierror as exc:
            raise ConnectError(f"Unable to resolve the host of REST listener {listener.text}: {exc}") from exc
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(2048)
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise ConnectError(
                    f"Unable to start the REST server: {listener.text} is already in use (address already in use)"
                ) from exc
            raise ConnectError(f"Unable to bind REST listener {listener.text}: {exc.strerror or exc}") from exc
        return sock

    def _run(self) -> None:
        assert self._server is not None
        try:
            self._server.run(sockets=self._sockets)
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self._failure = exc
            log.exception("REST server failed")

    def _close_sockets(self) -> None:
        for sock in self._sockets:
            try:
                sock.close()
            except OSError:
                pass

    def _cleanup(self) -> None:
        self._close_sockets()
        self._sockets = []
        self._server = None
        self._thread = None
