"""Free loopback ports and the process plumbing shared by the embedded servers.

Everything here exists so that a test run, a benchmark or ``dbconnect demo``
can start real servers on 127.0.0.1 and be sure they are gone afterwards:

* :func:`free_port` asks the kernel for an unused port.  There is a window
  between closing our probe socket and the server binding it, so
  :class:`EmbeddedServer` retries start-up on a fresh port when the server log
  says the address was taken.
* :class:`EmbeddedServer` owns one child process, its temp dir and its log, and
  gives every server the same ``start()``/``stop()``/context-manager/``atexit``
  behaviour.  Subclasses only say how to prepare, launch and probe.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import Any

LOOPBACK = "127.0.0.1"

# Log phrases that mean "someone else got the port between free_port() and bind()".
_PORT_TAKEN_MARKERS = ("address already in use", "addrinuse", "could not bind", "do you already have another")


class EmbeddedServerError(RuntimeError):
    """An embedded server failed to start (the message carries the log tail)."""


@dataclass(frozen=True)
class ServerTls:
    """PEM files a database server serves TLS with (``EmbeddedPostgres(tls=…)``, ``EmbeddedMariaDB(tls=…)``).

    ``required``: plaintext clients are turned away (PostgreSQL: hostssl-only pg_hba.conf;
    MariaDB: require_secure_transport=ON). ``ca`` is the CA for client certificates (optional).
    """

    cert: str | os.PathLike
    key: str | os.PathLike
    ca: str | os.PathLike | None = None
    required: bool = False


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port on ``host`` that nothing is listening on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # No SO_REUSEADDR: we want a port that is genuinely unused, not one in TIME_WAIT.
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# --- orphan protection -------------------------------------------------------

_live: "set[EmbeddedServer]" = set()
_live_lock = threading.Lock()


def _stop_all_at_exit() -> None:
    # Normal interpreter exit (end of pytest, Ctrl-C in a script): stop whatever is still up.
    with _live_lock:
        servers = list(_live)
    for server in servers:
        try:
            server.stop()
        except Exception as exc:  # pragma: no cover - best effort at exit
            print(f"dbconnect.embedded: failed to stop {server!r} at exit: {exc}", file=sys.stderr)


atexit.register(_stop_all_at_exit)


def _parent_death_signal(sig: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get ``sig`` when we die, or None.

    atexit does not run when the test process is SIGKILLed (CI timeout, OOM),
    so on Linux we also ask the kernel to signal the server.  PR_SET_PDEATHSIG
    fires when the *thread* that forked exits, so it is only safe from the main
    thread; servers started from worker threads rely on atexit alone.
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def preexec() -> None:
        # Runs in the child after setuid (so the kernel does not clear it) and before exec.
        prctl(pr_set_pdeathsig, int(sig), 0, 0, 0)

    return preexec


# --- the base class ----------------------------------------------------------


class EmbeddedServer:
    """One server process on a loopback port with a private temp dir.

    Subclasses implement :meth:`_launch` (prepare files, call :meth:`_spawn`,
    then :meth:`_wait_until`) and may override :meth:`_after_stop`.
    """

    name = "server"
    #: signal for an orderly shutdown (Postgres wants SIGINT: SIGTERM waits for clients)
    stop_signal: int = signal.SIGTERM
    #: how long an orderly shutdown may take before SIGKILL
    stop_grace: float = 15.0
    default_startup_timeout: float = 60.0
    #: how many fresh ports to try when the chosen one was taken meanwhile
    port_attempts = 3

    def __init__(self, *, host: str = LOOPBACK, port: int | None = None,
                 startup_timeout: float | None = None, keep_dir: bool = False,
                 data_dir: str | os.PathLike | None = None) -> None:
        self.host = host
        # A directory that outlives the server (``dbconnect demo --data-dir``): used as the base dir,
        # never deleted, and a server that finds its data there starts on it instead of initialising.
        self.data_dir = Path(data_dir).resolve() if data_dir is not None else None
        self._fixed_port = port
        self.port: int = port or 0
        self.startup_timeout = startup_timeout or self.default_startup_timeout
        self.keep_dir = keep_dir
        self.base_dir: Path | None = None
        self.log_path: Path | None = None
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen | None = None
        self._last_spawn: tuple | None = None
        self._lock = threading.RLock()

    # -- public API

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> "EmbeddedServer":
        """Start the server and wait until it answers; a no-op when already running."""
        with self._lock:
            if self.running:
                return self
            if self._proc is not None or self.base_dir is not None:
                self.stop()  # it died on its own: clean up before starting afresh
            started = time.monotonic()
            for attempt in range(1, self.port_attempts + 1):
                self.port = self._fixed_port or free_port(self.host)
                if self.data_dir is not None:
                    self.data_dir.mkdir(parents=True, exist_ok=True)
                    self.base_dir = self.data_dir
                else:
                    _sweep_stale_dirs(self.name)
                    self.base_dir = Path(tempfile.mkdtemp(prefix=f"dbconnect-{self.name}-"))
                self.log_path = self.base_dir / f"{self.name}.log"
                _write_owner(self.base_dir, None)
                with _live_lock:
                    _live.add(self)
                try:
                    self._launch()
                except BaseException as exc:
                    retry = (not self._fixed_port and attempt < self.port_attempts
                             and isinstance(exc, EmbeddedServerError) and self._port_was_taken())
                    self.stop()
                    if not retry:
                        raise
                    continue
                self.startup_seconds = time.monotonic() - started
                return self
            raise AssertionError("unreachable")  # pragma: no cover

    def stop(self) -> None:
        """Stop the process (signal, grace period, SIGKILL) and remove the temp dir. Idempotent."""
        with self._lock:
            proc, self._proc = self._proc, None
            try:
                self._before_stop()
            finally:
                if proc is not None:
                    _terminate(proc, self.stop_signal, self.stop_grace)
                self._after_stop()
                if self.base_dir is not None and not self.keep_dir and self.data_dir is None:
                    shutil.rmtree(self.base_dir, ignore_errors=True)
                self.base_dir = None if self.data_dir is not None or not self.keep_dir else self.base_dir
                with _live_lock:
                    _live.discard(self)

    def restart(self) -> "EmbeddedServer":
        """Stop the server process and start it again on the same port and data.

        For tests of what clients do when their database goes away mid-stream: connections
        break, the data survives.
        """
        with self._lock:
            if self._last_spawn is None or self.base_dir is None:
                raise self._error("restart() needs a server that was started")
            proc, self._proc = self._proc, None
            self._before_stop()
            if proc is not None:
                _terminate(proc, self.stop_signal, self.stop_grace)
            argv, env, user, cwd = self._last_spawn
            self._spawn(argv, env=env, user=user, cwd=cwd)
            self._wait_until(self._ready, "waiting for the restarted server")
            return self

    def _ready(self) -> bool:
        """True once the server answers a client (used by restart())."""
        raise NotImplementedError

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the server log (for error messages)."""
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:]) or "(empty log)"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {self.host}:{self.port} {state}>"

    # -- for subclasses

    def _launch(self) -> None:
        raise NotImplementedError

    def _before_stop(self) -> None:
        """Drop client objects that would otherwise log noise once the server is gone."""

    def _after_stop(self) -> None:
        """Extra cleanup after the process is gone."""

    def _spawn(self, argv: Sequence[str], *, env: dict[str, str] | None = None,
               user: str | None = None, cwd: Path | None = None) -> subprocess.Popen:
        """Start ``argv`` with stdout+stderr appended to the log, in its own session.

        Its own session keeps a terminal's Ctrl-C from hitting the server before
        we can stop it in order; ``user`` drops root privileges (Postgres refuses root).
        """
        assert self.log_path is not None and self.base_dir is not None
        self._last_spawn = (list(argv), env, user, cwd)
        kwargs: dict[str, Any] = {}
        if user is not None:
            kwargs.update(user=user, group=_primary_group(user), extra_groups=[])
        with open(self.log_path, "ab") as log:
            proc = self._proc = subprocess.Popen(
                list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=str(cwd or self.base_dir), env=env, start_new_session=True,
                preexec_fn=_parent_death_signal(self.stop_signal), **kwargs)
        _write_owner(self.base_dir, proc.pid)
        return proc

    def _run(self, argv: Sequence[str], *, timeout: float, user: str | None = None,
             env: dict[str, str] | None = None, what: str | None = None) -> None:
        """Run a set-up command to completion, output into the log; raise with the tail on failure."""
        assert self.log_path is not None and self.base_dir is not None
        kwargs: dict[str, Any] = {}
        if user is not None:
            kwargs.update(user=user, group=_primary_group(user), extra_groups=[])
        with open(self.log_path, "ab") as log:
            log.write(f"$ {' '.join(map(str, argv))}\n".encode())
            log.flush()
            try:
                result = subprocess.run(list(argv), stdin=subprocess.DEVNULL, stdout=log,
                                        stderr=subprocess.STDOUT, cwd=str(self.base_dir), env=env,
                                        timeout=timeout, **kwargs)
            except subprocess.TimeoutExpired:
                raise self._error(f"{what or argv[0]} did not finish within {timeout:.0f}s") from None
        if result.returncode != 0:
            raise self._error(f"{what or argv[0]} failed with exit code {result.returncode}")

    def _wait_until(self, probe: Callable[[], bool], what: str, timeout: float | None = None) -> None:
        """Poll ``probe`` until it returns True; fail fast if the process dies.

        ``probe`` may raise: the last exception is reported if we time out.
        """
        deadline = time.monotonic() + (timeout or self.startup_timeout)
        last_error: BaseException | None = None
        delay = 0.02
        while True:
            if self._proc is not None and self._proc.poll() is not None:
                raise self._error(f"{self.name} exited with code {self._proc.returncode} while {what}")
            try:
                if probe():
                    return
            except Exception as exc:  # the probe's failure is the normal "not yet"
                last_error = exc
            if time.monotonic() >= deadline:
                detail = f" (last error: {last_error})" if last_error else ""
                raise self._error(f"{self.name} not ready after {timeout or self.startup_timeout:.0f}s "
                                  f"while {what}{detail}")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)

    def _error(self, message: str) -> EmbeddedServerError:
        return EmbeddedServerError(f"{message}\n--- last lines of {self.log_path} ---\n{self.log_tail()}")

    def _port_was_taken(self) -> bool:
        tail = self.log_tail(200).lower()
        return any(marker in tail for marker in _PORT_TAKEN_MARKERS)


_OWNER_FILE = ".dbconnect-owner"


def _write_owner(base_dir: Path, server_pid: int | None) -> None:
    """Record who owns ``base_dir`` so a later run can delete it if we are SIGKILLed."""
    (base_dir / _OWNER_FILE).write_text(f"{os.getpid()} {server_pid or 0}\n")


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (dead, not yet reaped by init) still answers kill(0)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _sweep_stale_dirs(name: str) -> None:
    """Delete temp dirs left by killed runs (owner and server both dead).

    atexit cannot run on SIGKILL, and a MariaDB data dir is ~100 MB, so
    repeated killed CI runs would otherwise fill /tmp.
    """
    for path in Path(tempfile.gettempdir()).glob(f"dbconnect-{name}-*"):
        marker = path / _OWNER_FILE
        try:
            owner, server = (int(x) for x in marker.read_text().split()[:2])
            # The marker, not the dir, tells whose it is: Postgres dirs are chowned to its OS user.
            mine = marker.stat().st_uid == os.geteuid()
        except (OSError, ValueError):
            continue  # not ours, or being created right now
        if mine and not _pid_alive(owner) and not _pid_alive(server):
            shutil.rmtree(path, ignore_errors=True)


def _terminate(proc: subprocess.Popen, sig: int, grace: float) -> None:
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(sig)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        # Kill the whole session: Postgres backends and helpers share it with the postmaster.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def _primary_group(user: str) -> int:
    import pwd

    return pwd.getpwnam(user).pw_gid
