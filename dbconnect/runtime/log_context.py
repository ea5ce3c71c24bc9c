"""Kafka Connect's logging context (``[name|task-0] ``) and the worker's two log formats.

Kafka Connect puts ``connector.context`` in log4j's MDC while a connector or task runs
(``LoggingContext``): ``[name|worker] `` for the connector's lifecycle in the worker,
``[name|task-0] `` on a task's thread, ``[name|task-0|offsets] `` while its offsets are
committed. Here the same value lives in a ``ContextVar`` set by the thread that runs on behalf
of the connector or task; ``ConnectorContextFilter`` (on the root handlers) copies it onto every
record, so library log lines emitted on that thread (psycopg, PyMySQL, confluent-kafka callbacks
served by the task's own ``poll``) carry it as well. A task or connector process sends its
records up the pipe with these fields already set; the worker keeps them when it re-emits them.

Formats: ``text`` is connect-log4j.properties' ``[%d] %p %X{connector.context}%m (%c:%L)%n``;
``json`` is one object per line (orjson) for log shippers.
"""

from __future__ import annotations

import contextvars
import datetime
import functools
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

import orjson

__all__ = ["LogContext", "ConnectorContextFilter", "JsonFormatter", "TEXT_FORMAT", "LOG_FORMATS",
           "logging_context", "current_context", "current_log_format", "set_worker_id", "install_log_context", "configure_logging",
           "validate_log_format"]

#: connect-log4j.properties' ``[%d] %p %X{connector.context}%m (%c:%L)%n``.
TEXT_FORMAT = "[%(asctime)s] %(levelname)s %(connector_context)s%(message)s (%(name)s:%(lineno)d)"
LOG_FORMATS = ("text", "json")
#: The logger of the task clients' librdkafka lines (confluent-kafka's ``logger`` setting).
LIBRDKAFKA_LOGGER = "librdkafka"


@dataclass(frozen=True)
class LogContext:
    """Whose work a log line belongs to: a connector (``task`` None) or one of its tasks."""

    connector: str
    task: int | None = None
    scope: str | None = None  # "offsets" while a task's offsets are committed

    @property
    def prefix(self) -> str:
        """Kafka's ``connector.context`` MDC value, trailing space included."""
        parts = [self.connector, "worker" if self.task is None else f"task-{self.task}"]
        if self.scope:
            parts.append(self.scope)
        return "[" + "|".join(parts) + "] "

    def with_scope(self, scope: str) -> LogContext:
        return LogContext(self.connector, self.task, scope)

    @classmethod
    def for_task(cls, task_id: Any) -> LogContext:
        """From a ConnectorTaskId (anything with ``connector`` and ``task``)."""
        return cls(task_id.connector, int(task_id.task))

    @classmethod
    def for_connector(cls, name: str) -> LogContext:
        return cls(name)


_CURRENT: contextvars.ContextVar[LogContext | None] = contextvars.ContextVar("dbconnect_log_context", default=None)
_worker_id: str | None = None


def current_context() -> LogContext | None:
    return _CURRENT.get()


@contextmanager
def logging_context(context: LogContext | None) -> Iterator[LogContext | None]:
    """Log on behalf of ``context`` in this thread until the block ends (then the outer one again)."""
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)


@contextmanager
def offsets_scope() -> Iterator[None]:
    """``[name|task-0|offsets]`` while a task's offsets are committed (Kafka's forOffsets)."""
    context = _CURRENT.get()
    if context is None or context.scope == "offsets":
        yield
        return
    with logging_context(context.with_scope("offsets")):
        yield


def set_worker_id(worker_id: str | None) -> None:
    """The worker id put on every record (``worker_id``; the json format's ``worker``)."""
    global _worker_id
    _worker_id = worker_id


def context_fields(context: LogContext | None) -> dict[str, Any]:
    """The record attributes a context sets (also sent up the pipe by a child process)."""
    if context is None:
        return {"connector_context": "", "connector": None, "task": None}
    return {"connector_context": context.prefix, "connector": context.connector, "task": context.task}


class ConnectorContextFilter(logging.Filter):
    """Adds ``connector_context``, ``connector``, ``task`` and ``worker_id`` to every record.

    A record that already has ``connector_context`` keeps it: it came from a task or connector
    process (or passed another handler already) and the thread handling it now is not the one
    that logged it. Never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "connector_context"):
            record.__dict__.update(context_fields(_CURRENT.get()))
        if getattr(record, "worker_id", None) is None:
            record.worker_id = _worker_id
        return True


_FILTER = ConnectorContextFilter()


class TextFormatter(logging.Formatter):
    """TEXT_FORMAT, tolerant of records that never passed the context filter."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "connector_context"):
            record.connector_context = ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message, connector, task, worker, …

    ``exception`` (the formatted traceback) only when there is one; ``thread`` and ``line`` help
    to find the code. The message and exception text are the masked ones when the masking
    filter ran first (api.masking installs it on the same handlers).
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "connector": getattr(record, "connector", None),
            "task": getattr(record, "task", None),
            "context": (getattr(record, "connector_context", "") or "").strip() or None,
            "worker": getattr(record, "worker_id", None),
            "thread": record.threadName,
            "line": record.lineno,
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return orjson.dumps(entry, default=str).decode()

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        # ISO 8601 in UTC with milliseconds: what log shippers parse without configuration.
        moment = datetime.datetime.fromtimestamp(record.created, tz=datetime.timezone.utc)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def validate_log_format(value: str) -> str:
    fmt = (value or "").strip().lower()
    if fmt not in LOG_FORMATS:
        raise ValueError(f"Invalid log format {value!r}: expected one of {', '.join(LOG_FORMATS)}")
    return fmt


def formatter_for(fmt: str) -> logging.Formatter:
    return JsonFormatter() if validate_log_format(fmt) == "json" else TextFormatter()


def install_log_context(logger: logging.Logger | None = None) -> None:
    """Put the context filter on every handler of ``logger`` (the root logger by default), once."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, ConnectorContextFilter) for f in handler.filters):
            handler.addFilter(_FILTER)


def configure_logging(level: str | int = "INFO", fmt: str = "text", stream: IO[str] | None = None) -> logging.Handler:
    """The CLI's logging: one handler on the root logger, in ``fmt``, with the context filter."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter_for(fmt))
    handler.addFilter(_FILTER)
    handler._dbconnect_cli = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in list(root.handlers):  # a previous call's handler; others (pytest's capture) stay
        if getattr(old, "_dbconnect_cli", False):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else getattr(logging, str(level).upper(), logging.INFO))
    return handler


def current_log_format(logger: logging.Logger | None = None) -> str:
    """``json`` when a root handler writes JSON lines, else ``text`` (what a child process's own
    last words on the shared stderr use: child_host.watch_worker)."""
    handlers = (logger or logging.getLogger()).handlers
    return "json" if any(isinstance(h.formatter, JsonFormatter) for h in handlers) else "text"


def set_log_format(fmt: str, logger: logging.Logger | None = None) -> None:
    """Switch the root handlers to ``fmt`` (the worker property ``log.format``)."""
    formatter = formatter_for(fmt)
    for handler in (logger or logging.getLogger()).handlers:
        handler.setFormatter(formatter)


def connector_scoped(method: Any) -> Any:
    """Runs ``method(self, name, …)`` in ``[name|worker]`` (Kafka's LoggingContext.forConnector)."""
    @functools.wraps(method)
    def wrapper(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        with logging_context(LogContext.for_connector(name)):
            return method(self, name, *args, **kwargs)

    return wrapper


def offsets_scoped(method: Any) -> Any:
    """Runs a task's offset commit in ``[name|task-0|offsets]`` (Kafka's LoggingContext.forOffsets)."""
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with offsets_scope():
            return method(*args, **kwargs)

    return wrapper


def task_scoped(method: Any) -> Any:
    """Runs ``method(self, task_id, …)`` in ``[name|task-N]`` (the worker creating or stopping a task)."""
    @functools.wraps(method)
    def wrapper(self: Any, task_id: Any, *args: Any, **kwargs: Any) -> Any:
        with logging_context(LogContext.for_task(task_id)):
            return method(self, task_id, *args, **kwargs)

    return wrapper
