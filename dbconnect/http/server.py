"""``RestServer``: serves an HTTP app (the Connect REST API, the registry) with uvicorn on a daemon thread.

Listeners use Kafka's syntax, ``http://host:port`` or ``https://host:port`` (``http://:8083`` = all
interfaces; port 0 = pick a free port), several at once and of both kinds. The https listeners share
one ``ServerTls`` (dbconnect.http.tls); each protocol is served by a uvicorn server of its own
(uvicorn applies one TLS setting to all the sockets it serves), on the same app.
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

from .tls import ServerTls

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


PROTOCOLS = ("http", "https")


def _check_protocol(protocol: str, where: str) -> None:
    if protocol not in PROTOCOLS:
        raise ConfigError(f"Unsupported protocol {protocol!r} in {where}; expected http or https")


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
        tls: ServerTls | None = None,
    ):
        if listeners is None:
            listeners = DEFAULT_LISTENERS
        if isinstance(listeners, str):
            listeners = [part for part in listeners.split(",") if part.strip()]
        if not listeners:
            raise ConfigError("At least one REST listener must be configured")
        self._app = app
        self._listeners = [parse_listener(text) for text in listeners]
        protocols = {listener.protocol for listener in self._listeners}
        if "https" in protocols and tls is None:
            raise ConfigError("An https listener needs TLS settings: listeners.https.ssl.keystore.location "
                              "(a PEM file with the private key and the certificate chain)")
        self._tls = tls
        self._advertised_protocol = "http" if "http" in protocols else "https"
        if advertised_listener:
            protocol = advertised_listener.strip().lower()
            _check_protocol(protocol, "rest.advertised.listener")
            if protocol not in protocols:
                raise ConfigError(f"rest.advertised.listener={advertised_listener} names a protocol that no "
                                  f"listener uses (listeners: {', '.join(l.text for l in self._listeners)})")
            self._advertised_protocol = protocol
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
        # One uvicorn server and thread per protocol (see the module's docstring).
        self._servers: list[uvicorn.Server] = []
        self._threads: list[threading.Thread] = []
        self._failure: BaseException | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._threads:
            raise RuntimeError("REST server already started")
        self._sockets = []
        try:
            for listener in self._listeners:
                self._sockets.append(self._bind(listener))
        except BaseException:
            self._close_sockets()
            raise

        self._failure = None
        for protocol in PROTOCOLS:
            sockets = [sock for sock, listener in zip(self._sockets, self._listeners) if listener.protocol == protocol]
            if not sockets:
                continue
            tls: dict[str, Any] = {}
            if protocol == "https":
                assert self._tls is not None
                self._tls.server_context()  # the files may have changed since the config was read
                tls = self._tls.uvicorn_settings()
            config = uvicorn.Config(
                self._app,
                log_config=None,
                lifespan="off",
                ws="none",
                access_log=self._access_log,
                server_header=False,
                timeout_graceful_shutdown=5,
                **tls,
            )
            server = uvicorn.Server(config)
            thread = threading.Thread(target=self._run, args=(server, sockets), name=f"dbconnect-rest-{protocol}",
                                      daemon=True)
            self._servers.append(server)
            self._threads.append(thread)
            thread.start()

        deadline = time.monotonic() + self._start_timeout
        while not all(server.started for server in self._servers):
            if not all(thread.is_alive() for thread in self._threads):
                failure = self._failure
                self.stop()
                raise ConnectError(f"REST server failed to start: {failure or 'exited during startup'}")
            if time.monotonic() > deadline:
                self.stop()
                raise ConnectError(f"REST server did not start within {self._start_timeout:g}s")
            time.sleep(0.005)
        log.info("REST server listening on %s, advertised URL %s", ", ".join(self.urls), self.advertised_url)

    def stop(self, timeout: float = 10.0) -> None:
        servers, threads = list(self._servers), list(self._threads)
        if not servers:
            return
        log.info("Stopping REST server")
        for server in servers:
            server.should_exit = True
        for server, thread in zip(servers, threads):
            thread.join(timeout)
            if thread.is_alive():
                server.force_exit = True
                thread.join(timeout)
        self._cleanup()
        log.info("REST server stopped")

    @property
    def running(self) -> bool:
        return bool(self._threads) and all(thread.is_alive() for thread in self._threads)

    @property
    def tls(self) -> ServerTls | None:
        return self._tls

    # -- addresses -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port actually bound by the advertised listener (its configured port before start)."""
        return self._bound_port(self._advertised_index())

    @property
    def url(self) -> str:
        """A URL to reach the advertised listener from this host, e.g. ``http://127.0.0.1:8083``."""
        return self._local_url(self._advertised_index())

    @property
    def urls(self) -> list[str]:
        return [self._local_url(i) for i in range(len(self._listeners))]

    @property
    def advertised_url(self) -> str:
        """The URL other workers should use, per ``rest.advertised.*`` (no trailing slash).

        Host: ``advertised_host``, else the listener's host, else (wildcard listener) this host's
        address. Port: ``advertised_port``, else the listener's port, else the bound port.
        """
        listener = self._listeners[self._advertised_index()]
        host = self._advertised_host
        if not host:
            host = listener.host if listener.host not in _WILDCARDS else _local_address()
        if self._advertised_port is not None:
            port = self._advertised_port
        elif listener.port > 0:
            port = listener.port
        else:
            port = self.port
        return f"{listener.protocol}://{_url_host(host)}:{port}"

    # -- internals -----------------------------------------------------------------------------

    def _advertised_index(self) -> int:
        """The first listener of the advertised protocol (Kafka's ``rest.advertised.listener``:
        http when a listener uses it, unless set)."""
        return next(i for i, l in enumerate(self._listeners) if l.protocol == self._advertised_protocol)

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
        return f"{self._listeners[index].protocol}://{_url_host(host)}:{self._bound_port(index)}"

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

    def _run(self, server: uvicorn.Server, sockets: list[socket.socket]) -> None:
        try:
            server.run(sockets=sockets)
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
        self._servers = []
        self._threads = []
