"""This process's explicitly set logger levels, and a hook told when they are changed.

``/admin/loggers`` (``rest/loggers.LoggerAdmin``) changes levels in the worker process; task
processes have loggers of their own. The REST layer calls :func:`levels_changed` after a change
and the task supervisors (``task_process``), subscribed with :func:`on_levels_changed`, push the
new levels down their pipes at once. Neither side imports the other: both point down to this module.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

#: Kafka (log4j) level name → Python level number.
JAVA_LEVELS: dict[str, int] = {
    "OFF": 100,
    "FATAL": logging.CRITICAL,
    "ERROR": logging.ERROR,
    "WARN": logging.WARNING,
    "INFO": logging.INFO,
    "DEBUG": logging.DEBUG,
    "TRACE": 5,
    "ALL": 1,
}


def python_level(name: str) -> int | None:
    """The Python level for a Kafka level name (case-insensitive), or None if unknown."""
    return JAVA_LEVELS.get(name.upper()) if name else None


_listeners: list[Callable[[dict[str, int]], None]] = []
_lock = threading.Lock()

log = logging.getLogger(__name__)


def logger_levels() -> dict[str, int]:
    """The levels set explicitly on this process's loggers (``""`` for the root)."""
    levels = {"": logging.getLogger().level}
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET:
            levels[name] = logger.level
    return levels


def on_levels_changed(listener: Callable[[dict[str, int]], None]) -> Callable[[], None]:
    """Call ``listener(levels)`` after every :func:`levels_changed`; returns the unsubscribe call."""
    with _lock:
        _listeners.append(listener)

    def remove() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return remove


def levels_changed() -> None:
    """Tell the subscribers that logger levels changed (they get the current explicit levels)."""
    with _lock:
        listeners = list(_listeners)
    if not listeners:
        return
    levels = logger_levels()
    for listener in listeners:
        try:
            listener(levels)
        except Exception:  # one task process gone must not fail the REST call for the others
            log.exception("A logger-level listener failed")
