"""Task classes that plugin authors subclass (SourceTask, SinkTask) and their contexts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from typing import Any, NamedTuple

import dbconnect

from .metrics import TaskMetrics
from .records import SinkRecord, SourceRecord


class TopicPartition(NamedTuple):
    topic: str
    partition: int


class OffsetStorageReader(ABC):
    """Reads the last committed offsets of this connector's source partitions."""

    @abstractmethod
    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None: ...

    def offsets(self, partitions: Iterable[Mapping[str, Any]]) -> dict[Any, dict[str, Any] | None]:
        """``{frozen partition: offset}``; use ``freeze_partition`` to look one up."""
        return {freeze_partition(p): self.offset(p) for p in partitions}


def freeze_partition(partition: Mapping[str, Any]) -> tuple:
    """A hashable form of a source-partition map."""
    return tuple(sorted((k, _freeze(v)) for k, v in partition.items()))


def _freeze(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return freeze_partition(value)
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


class SourceTaskContext:
    def __init__(self, offset_storage_reader: OffsetStorageReader, configs: Mapping[str, str] | None = None,
                 key_payload_format: Any = None, value_payload_format: Any = None):
        self.offset_storage_reader = offset_storage_reader
        self._configs = dict(configs or {})
        self._payload_formats = (value_payload_format, key_payload_format)
        self._status_reporter: Any = None  # set by the runtime: (message | None) -> None
        # Figures for the worker's GET /metrics (api/metrics.py); the runtime sets the task's own.
        self.metrics = TaskMetrics()

    def report_status(self, message: str | None) -> None:
        """Show ``message`` in the task's status (its trace) while it stays RUNNING; None clears it.
        For conditions the user should see that are not failures (e.g. a bound held back)."""
        if self._status_reporter is not None:
            self._status_reporter(message)

    def configs(self) -> dict[str, str]:
        return dict(self._configs)

    def json_payload_format(self, is_key: bool = False) -> Any:
        """The JsonPayloadFormat (dbconnect.api.payload) in which the record values (or keys) may be
        handed over pre-encoded as JsonRowStructs, or None: then emit ordinary Structs. Set only
        when the converter writes that format as it is and no transformation comes in between."""
        return self._payload_formats[1 if is_key else 0]


class ErrantRecordReporter(ABC):
    """Sink tasks report records they could not write; they go to the log and/or the DLQ."""

    @abstractmethod
    def report(self, record: SinkRecord, error: BaseException) -> Future | None:
        """Report ``record``; as in Kafka, the returned future is done once it is written to the DLQ
        (or failed to be). A sink that commits its own offsets waits for it before committing past it."""


class SinkTaskContext:
    """What the runtime offers a running sink task: pause/resume, rewind, commit requests."""

    def __init__(self) -> None:
        self._assignment: set[TopicPartition] = set()
        self._paused: set[TopicPartition] = set()
        self._offset_resets: dict[TopicPartition, int] = {}
        self._timeout_ms: int | None = None
        self._commit_requested = False
        self._reporter: ErrantRecordReporter | None = None
        self._configs: dict[str, str] = {}
        self._abandoned = False
        # Figures for the worker's GET /metrics (api/metrics.py); the runtime sets the task's own.
        self.metrics = TaskMetrics()
        # The runtime installs these hooks so pause/resume take effect on the consumer.
        self.on_pause: Callable[[list[TopicPartition]], None] = lambda tps: None
        self.on_resume: Callable[[list[TopicPartition]], None] = lambda tps: None

    def configs(self) -> dict[str, str]:
        return dict(self._configs)

    def assignment(self) -> set[TopicPartition]:
        return set(self._assignment)

    def pause(self, *partitions: TopicPartition) -> None:
        self._paused.update(partitions)
        self.on_pause(list(partitions))

    def resume(self, *partitions: TopicPartition) -> None:
        self._paused.difference_update(partitions)
        self.on_resume(list(partitions))

    def paused(self) -> set[TopicPartition]:
        return set(self._paused)

    def offset(self, offsets: Mapping[TopicPartition, int] | TopicPartition, offset: int | None = None) -> None:
        """Rewind (or skip) consumption: the runtime seeks before the next poll."""
        if isinstance(offsets, TopicPartition):
            self._offset_resets[offsets] = int(offset)  # type: ignore[arg-type]
        else:
            self._offset_resets.update({tp: int(o) for tp, o in offsets.items()})

    def timeout(self, timeout_ms: int) -> None:
        """After a RetriableError from put(), wait this long before redelivering the batch."""
        self._timeout_ms = int(timeout_ms)

    def request_commit(self) -> None:
        self._commit_requested = True

    def errant_record_reporter(self) -> ErrantRecordReporter | None:
        return self._reporter

    def abandoned(self) -> bool:
        """True once the worker gave up on this task (its graceful stop timed out; dbconnect only).

        Kafka Connect cancels such a task and skips its offset commits; a replacement may already
        own its partitions. A sink that commits to its own store (exactly-once) must stop committing.
        """
        return self._abandoned


class Task(ABC):
    def version(self) -> str:
        return dbconnect.__version__

    @abstractmethod
    def start(self, props: Mapping[str, str]) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...


class SourceTask(Task):
    """Polls an external system and returns SourceRecords.

    ``poll`` may block briefly (it runs on the task's own thread) and returns an empty list
    or None when there is nothing new.
    """

    def __init__(self) -> None:
        self.context: SourceTaskContext | None = None

    def initialize(self, context: SourceTaskContext) -> None:
        self.context = context

    @abstractmethod
    def poll(self) -> list[SourceRecord] | None: ...

    def commit(self) -> None:
        """Called after offsets were committed."""

    def commit_record(self, record: SourceRecord, metadata: Any) -> None:
        """Called once per record after the broker acknowledged it."""


class SinkTask(Task):
    """Receives batches of SinkRecords and writes them to an external system."""

    def __init__(self) -> None:
        self.context: SinkTaskContext | None = None

    def initialize(self, context: SinkTaskContext) -> None:
        self.context = context

    @abstractmethod
    def put(self, records: list[SinkRecord]) -> None: ...

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        """Make everything passed to ``put`` durable."""

    def pre_commit(self, current_offsets: Mapping[TopicPartition, int]) -> dict[TopicPartition, int]:
        """Flush and return the offsets safe to commit (next offset to consume per partition)."""
        self.flush(current_offsets)
        return dict(current_offsets)

    def open(self, partitions: list[TopicPartition]) -> None:
        """Partitions newly assigned to this task."""

    def close(self, partitions: list[TopicPartition]) -> None:
        """Partitions revoked from this task; write out what is buffered for them."""


def inherit_context(context: Any) -> None:
    """A thread pool's ``initializer``: its threads get the context variables of ``context``.

    ``ThreadPoolExecutor(initializer=inherit_context, initargs=(contextvars.copy_context(),))``,
    created on a task's thread, gives the pool's threads that thread's context, the worker's log
    context among them: their log lines carry ``[name|task-0]`` as the task's own do (what log4j's
    inherited MDC gives a Java connector's helper threads).
    """
    for variable, value in context.items():
        variable.set(value)
