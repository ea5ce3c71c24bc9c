"""``/admin/loggers`` over Python ``logging``: Kafka's LoggingResource (``router``) and ``Loggers``
(``LoggerAdmin``, which backs it).

Kafka names levels the log4j way; they map onto Python levels as:

====== ========================= ======
Kafka  Python                    value
====== ========================= ======
OFF    (above CRITICAL)          100
FATAL  CRITICAL                  50
ERROR  ERROR                     40
WARN   WARNING                   30
INFO   INFO                      20
DEBUG  DEBUG                     10
TRACE  (below DEBUG)             5
ALL    (everything)              1
====== ========================= ======

A Python level between two of these is reported as the lower Kafka name (e.g. 25 → INFO).
Levels are reported as the logger's *effective* level, as Kafka 4.x (log4j2) does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from dbconnect.api.errors import BadRequestError, NotFoundError
from dbconnect.runtime import log_levels
from dbconnect.runtime.log_levels import JAVA_LEVELS, python_level
from dbconnect.runtime.rest._http import (
    ConnectRoute,
    LoggerName,
    empty_response,
    error_responses,
    json_body,
    json_request_body,
    json_response,
    json_type,
    no_content,
)
from dbconnect.runtime.rest.entities import LoggerLevel

log = logging.getLogger(__name__)

ROOT_LOGGER_NAME = "root"
WORKER_SCOPE = "worker"
CLUSTER_SCOPE = "cluster"
_BY_VALUE_DESC = sorted(JAVA_LEVELS.items(), key=lambda item: item[1], reverse=True)


def java_level_name(level: int) -> str:
    """The Kafka name of a Python level: the highest Kafka level at or below it."""
    for name, value in _BY_VALUE_DESC:
        if level >= value:
            return name
    return "ALL"


class LoggerAdmin:
    """Reads and adjusts logger levels at runtime, with Kafka's REST shapes.

    - ``loggers()`` → ``{"root": {"level": "INFO", "last_modified": null}, …}`` for every known
      logger whose effective level is not OFF (sorted by name);
    - ``level(name)`` → ``{"level", "last_modified"}``; NotFoundError ``Logger <name> not found.``;
    - ``set_level(name, level, scope)`` sets the namespace and every logger whose name starts with
      it (Kafka's prefix match), returning the sorted names whose level changed (worker scope, 200)
      or None (cluster scope, 204; in standalone the worker *is* the cluster, so it applies locally).

    ``last_modified`` is the epoch milliseconds of the last change made through this object.
    Thread-safe. ``manager`` defaults to the process-wide logging hierarchy.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, manager: logging.Manager | None = None):
        self._clock = clock
        self._manager = manager if manager is not None else logging.Logger.manager
        self._last_modified: dict[str, int] = {}
        self._lock = threading.RLock()

    # -- reads --------------------------------------------------------------------------------

    def loggers(self) -> dict[str, LoggerLevel]:
        with self._lock:
            result: dict[str, LoggerLevel] = {}
            for name, logger in self._current_loggers():
                level = logger.getEffectiveLevel()
                if level >= JAVA_LEVELS["OFF"]:
                    continue
                result[name] = self._entry(name, level)
            return dict(sorted(result.items()))

    def level(self, name: str) -> LoggerLevel:
        with self._lock:
            logger = self._find(name)
            if logger is None:
                log.warning("Unable to find level for logger %s", name)
                raise NotFoundError(f"Logger {name} not found.")
            key = ROOT_LOGGER_NAME if logger is self._root else name
            return self._entry(key, logger.getEffectiveLevel())

    # -- writes -------------------------------------------------------------------------------

    def set_level(self, name: str, level: Any, scope: str | None = WORKER_SCOPE) -> list[str] | None:
        """Apply ``level`` to the namespace ``name`` and its children.

        Raises BadRequestError when ``level`` is missing and NotFoundError when it is not a known
        level (Kafka answers 404 for that). Returns the changed logger names for the worker scope,
        None for the cluster scope.
        """
        if level is None:
            raise BadRequestError("Desired 'level' parameter was not specified in request.")
        level_string = level if isinstance(level, str) else str(level)
        target = python_level(level_string)
        if target is None:
            raise NotFoundError(f"invalid log level '{level_string}'.")

        effective_scope = (scope or WORKER_SCOPE).lower()
        if effective_scope not in (WORKER_SCOPE, CLUSTER_SCOPE):
            log.warning(
                "Received invalid scope '%s' in request to adjust logging level; will default to %s",
                scope, WORKER_SCOPE,
            )
            effective_scope = WORKER_SCOPE

        changed = self._apply(name, target)
        if self._manager is logging.Logger.manager:
            log_levels.levels_changed()  # task processes have loggers of their own (task_process.py)
        return changed if effective_scope == WORKER_SCOPE else None

    # -- internals ----------------------------------------------------------------------------

    @property
    def _root(self) -> logging.Logger:
        return self._manager.root

    @staticmethod
    def _is_root_name(name: str) -> bool:
        return name == "" or name.lower() == ROOT_LOGGER_NAME

    def _current_loggers(self) -> list[tuple[str, logging.Logger]]:
        """Every existing logger (placeholders excluded), with the root as ``root``."""
        snapshot = dict(self._manager.loggerDict)
        found = [(name, lg) for name, lg in snapshot.items() if isinstance(lg, logging.Logger)]
        found.append((ROOT_LOGGER_NAME, self._root))
        return found

    def _find(self, name: str) -> logging.Logger | None:
        if self._is_root_name(name):
            return self._root
        logger = self._manager.loggerDict.get(name)
        return logger if isinstance(logger, logging.Logger) else None

    def _entry(self, key: str, level: int) -> LoggerLevel:
        return LoggerLevel(level=java_level_name(level), last_modified=self._last_modified.get(key))

    def _apply(self, namespace: str, target: int) -> list[str]:
        with self._lock:
            is_root = self._is_root_name(namespace)
            log.info("Setting level of namespace %s and children to %s", namespace, java_level_name(target))
            if is_root:
                anchor = self._root
            else:
                anchor = self._manager.getLogger(namespace)  # created if absent, as Kafka does
            current = self._current_loggers()
            if is_root:
                in_scope = current
            else:
                in_scope = [(n, lg) for n, lg in current if lg is not self._root and n.startswith(namespace)]
            before = {n: java_level_name(lg.getEffectiveLevel()) for n, lg in in_scope}

            anchor.setLevel(target)
            hierarchy_prefix = "" if is_root else namespace + "."
            for n, lg in in_scope:
                if lg is anchor:
                    continue
                # Loggers left NOTSET below the anchor inherit the new level; set the others.
                if lg.level != logging.NOTSET or not (is_root or n.startswith(hierarchy_prefix)):
                    lg.setLevel(target)

            now = int(self._clock() * 1000)
            changed = []
            for n, lg in in_scope:
                if java_level_name(lg.getEffectiveLevel()) != before[n]:
                    self._last_modified[n] = now
                    changed.append(n)
            return sorted(changed)


# -- the REST resource ---------------------------------------------------------------------------

router = APIRouter(prefix="/admin/loggers", tags=["admin"], route_class=ConnectRoute)


async def app_loggers(request: Request) -> LoggerAdmin:
    """The app's LoggerAdmin (``create_app`` puts it on ``app.state``)."""
    return request.app.state.loggers


@router.get(
    "",
    summary="List the current loggers and their log levels",
    response_model=dict[str, LoggerLevel],
    responses=error_responses(),
)
def list_loggers(loggers: LoggerAdmin = Depends(app_loggers)) -> Response:
    return json_response(loggers.loggers())


@router.get(
    "/{logger}",
    summary="Get the log level for the specified logger",
    response_model=LoggerLevel,
    responses=error_responses(404),
)
def get_logger(logger: LoggerName, loggers: LoggerAdmin = Depends(app_loggers)) -> Response:
    return json_response(loggers.level(logger))


@router.put(
    "/{logger}",
    summary="Set the log level for the specified logger",
    description="Applies to the logger and every logger under it. worker scope: 200 with the names of the "
    "loggers whose level changed; cluster scope: 204.",
    response_model=list[str],
    responses={204: no_content("Applied (cluster scope)"), **error_responses(400, 404)},
    openapi_extra=json_request_body(
        "The desired level: OFF, FATAL, ERROR, WARN, INFO, DEBUG, TRACE or ALL",
        {"type": "object", "properties": {"level": {"type": "string"}}, "required": ["level"]},
    ),
)
def set_level(
    logger: LoggerName,
    body: Any = Depends(json_body),
    loggers: LoggerAdmin = Depends(app_loggers),
    scope: str = Query(WORKER_SCOPE, description="The scope of the change: worker or cluster"),
) -> Response:
    if body is not None and not isinstance(body, dict):
        raise BadRequestError(f"Request body must be a JSON object, not {json_type(body)}")
    level = (body or {}).get("level")
    if isinstance(level, (dict, list)):
        raise BadRequestError(f"The 'level' must be a string, not {json_type(level)}")
    if isinstance(level, bool):
        level = "true" if level else "false"
    changed = loggers.set_level(logger, level, scope)
    if changed is None:
        return empty_response(204)
    return json_response(changed)
