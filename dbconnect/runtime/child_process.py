"""What the supervisors of child processes share (``task.isolation=process``).

Tasks (``task_process.ProcessWorkerTask``) and connector instances
(``connector_process.ProcessWorkerConnector``) run in child processes started from one
multiprocessing *forkserver* whose interpreter has the worker's modules preloaded, so each child
shares their pages instead of importing them again. This module holds the start machinery, the
serialisability check for what is sent down, the description of how a child ended, and the
push of ``/admin/loggers`` level changes. See docs/design/task-processes.md.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Callable, Mapping
from multiprocessing import forkserver, popen_forkserver
from importlib import metadata
from typing import Any

from .log_levels import logger_levels, on_levels_changed
from .plugins import ENTRY_POINT_GROUP

# What the forkserver imports once, so that every child process shares these modules' pages: the
# runtime's child-side modules, and the modules of dbconnect's own plugins, read from the
# `dbconnect.plugins` entry points like every plugin (the runtime names no connector). A third
# party's modules are not preloaded: an import error other than ImportError would stop the fork
# server itself.
RUNTIME_PRELOAD = [
    "dbconnect.runtime.task_host",
    "dbconnect.runtime.connector_host",
    "dbconnect.runtime.worker",
]


def builtin_plugin_modules() -> list[str]:
    """The modules of the `dbconnect.plugins` entry points that dbconnect itself declares."""
    modules: dict[str, None] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        if dist is not None and dist.name == "dbconnect":
            modules[ep.module] = None
    return list(modules)


FORKSERVER_PRELOAD = RUNTIME_PRELOAD + builtin_plugin_modules()

_context_lock = threading.Lock()
_context: Any = None


def process_context() -> Any:
    """The forkserver context, with its preload set before the server first starts."""
    global _context
    with _context_lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(FORKSERVER_PRELOAD)
            _context = ctx
        return _context


def start_fork_server() -> None:
    """Start the fork server now; it imports FORKSERVER_PRELOAD on its own, without blocking us."""
    process_context()
    forkserver.ensure_running()


class ChildPopen(popen_forkserver.Popen):
    """The forkserver Popen, without running the worker's ``__main__`` again in the child.

    multiprocessing re-imports the parent's main module in each child so that targets defined
    there can be found. The child targets live in this package, and the worker's main (the
    ``dbconnect`` script, a bench script) imports the REST stack and more: 20 MiB of private memory
    per child process, and side effects if the script has no ``__main__`` guard. This is
    ``popen_forkserver.Popen._launch`` of CPython 3.11 (checked; re-check on upgrades) with those
    two entries dropped.
    """

    def _launch(self, process_obj: Any) -> None:
        mp = popen_forkserver
        prep_data = mp.spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_path", None)
        prep_data.pop("init_main_from_name", None)
        buf = io.BytesIO()
        mp.set_spawning_popen(self)
        try:
            mp.reduction.dump(prep_data, buf)
            mp.reduction.dump(process_obj, buf)
        finally:
            mp.set_spawning_popen(None)
        self.sentinel, w = mp.forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)  # the parent's sentinel, as in CPython
        self.finalizer = mp.util.Finalize(self, mp.util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = mp.forkserver.read_signed(self.sentinel)


class ChildProcess(multiprocessing.context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        return ChildPopen(process_obj)


def unserialisable(config: Mapping[Any, Any]) -> str | None:
    """``the value of 'key' cannot be serialised (…)`` for the first key or value that cannot be
    pickled (sent through a pipe), or None when all can."""
    for key, value in config.items():
        for part, item in (("key", key), ("value", value)):
            try:
                pickle.dumps(item)
            except Exception as exc:
                return f"the {part} of {key!r} cannot be serialised ({type(item).__name__}: {exc})"
    return None


def exit_description(exitcode: int | None) -> str:
    if exitcode is None:
        return "is still running"
    if exitcode < 0:
        try:
            return f"was killed by signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with code {exitcode}"


class LevelsPush:
    """Sends ``("levels", {logger: level})`` down a child's pipe after each /admin/loggers change.

    ``log_levels.levels_changed`` calls us during the REST request: each push runs on a thread of
    its own, so that a child whose pipe is full (its main thread stuck) cannot hang the REST call;
    the newest levels win whatever order those threads run in.
    """

    def __init__(self, send: Callable[[tuple], None], name: str, initial: dict[str, int]) -> None:
        self._send = send
        self._name = name
        self._initial = initial
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._latest = initial
        self._unsubscribe: Callable[[], None] | None = None

    def subscribe(self) -> None:
        self._unsubscribe = on_levels_changed(self.push)
        # A change made between the child's snapshot (its spec) and this subscription is sent now.
        if logger_levels() != self._initial:
            self.push(logger_levels())

    def unsubscribe(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def push(self, levels: dict[str, int]) -> None:
        with self._lock:
            self._latest = levels
        threading.Thread(target=self._send_latest, name=f"levels-{self._name}", daemon=True).start()

    def _send_latest(self) -> None:
        with self._send_lock:
            with self._lock:
                levels = self._latest
            self._send(("levels", levels))
