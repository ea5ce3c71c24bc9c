"""WorkerTask: one task instance on its own thread, with its lifecycle and status reports."""

from __future__ import annotations

import gc
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any

from ..api.converter import Converter
from .errors import ErrorHandler, RetryInterrupted
from .log_context import LogContext, logging_context
from .stores.configs import TargetState
from .stores.status import ConnectorTaskId, State, Status, StatusBackingStore, format_trace
from .sampled_stats import SampleWindow
from .task_metrics import TaskFigures
from .transformation_chain import TransformationChain

log = logging.getLogger(__name__)

# Young-generation collection threshold while tasks run (CPython's default is 700).
GC_YOUNG_THRESHOLD = 100_000

# Set in a task process (task_host.py): what it inherited from the fork server was frozen at its
# start and stays frozen, because collecting it would write into every shared page (copy-on-write).
KEEP_INHERITED_FROZEN = False


def settle_heap() -> None:
    """Tune the cyclic GC for the record churn of tasks (called when a source or sink task starts).

    A source keeps a poll's rows and their framed bytes alive until they are produced; a sink
    allocates about ten container objects per consumed record (the message, the
    converter's results, the Struct and its values, the SinkRecord, the sink's buffer entry) and
    keeps a poll's worth of them alive until put() returns — and its buffer until the write. With
    CPython's defaults the collector traverses each of them several times before they die: in the
    JDBC sink benchmark that was a third of the worker's CPU time (≈ 7 µs of 22 per record).

    - Collect, then move everything alive (modules, drivers, the REST app: a few hundred thousand
      objects) to the permanent generation (``gc.freeze``): full collections skip it. Frozen
      objects are still freed by reference counting; only reference cycles among them wait
      until the next ``settle_heap``, which unfreezes and collects first.
    - Raise the young-generation threshold to GC_YOUNG_THRESHOLD allocations (never lowering a
      higher one): a poll's records are then mostly freed by reference counting before a
      collection sees them. Cyclic garbage is still collected, after more allocations.
    """
    if not KEEP_INHERITED_FROZEN:
        gc.unfreeze()
    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    if young < GC_YOUNG_THRESHOLD:
        gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


class WorkerTask(ABC):
    """The parts every task loop has: the task, its converters, transforms and error handler."""

    def __init__(
        self,
        *,
        task: Any,
        task_config: Mapping[str, str],
        key_converter: Converter,
        value_converter: Converter,
        transformations: TransformationChain,
        error_handler: ErrorHandler,
        offset_flush_interval_ms: int,
        task_id: ConnectorTaskId,
        status_store: StatusBackingStore,
        worker_id: str,
        target_state: str,
        on_exit: Callable[["WorkerTask"], None] | None = None,
        header_converter: Any = None,
        sample_window: SampleWindow | None = None,
    ) -> None:
        self.task = task
        # The header.converter (a HeaderConverter); None: header values pass as they are (unit tests).
        self.header_converter = header_converter
        self.task_config = dict(task_config)
        self.key_converter = key_converter
        self.value_converter = value_converter
        self.transformations = transformations
        self.errors = error_handler
        self.flush_interval = max(offset_flush_interval_ms, 0) / 1000.0
        self._next_commit = 0.0
        self._started = False
        self.id = task_id
        self._status_store = status_store
        self._worker_id = worker_id
        self._target_state = target_state
        self._on_exit = on_exit
        self._stopping = threading.Event()
        self._state_changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=f"task-thread-{task_id}", daemon=True)
        self.failed = False
        self._cancelled = False
        # Counted per batch by the loops; GET /metrics reads them (task_metrics.py, metrics.py).
        # -max/-avg/-rate over the worker's metrics.sample.window.ms × metrics.num.samples.
        self.figures = TaskFigures(self.kind, error_handler, sample_window)

    kind = "task"

    def metrics_snapshot(self) -> dict[str, Any]:
        return self.figures.snapshot()

    # -- lifecycle driven by the Worker -------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the loop to finish; ``await_stop`` waits for it."""
        self._stopping.set()
        self.errors.stop()  # a backoff between retries ends now
        with self._state_changed:
            self._state_changed.notify_all()

    def await_stop(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def cancel(self) -> None:
        """Called when a graceful stop timed out: the thread is abandoned (it is a daemon).

        It may still be running (a put(), its close()) while a replacement starts: from now on
        it commits nothing (``cancelled``; sink tasks also see it through their context).
        """
        log.error("Graceful stop of task %s failed.", self.id)
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def transition_to(self, target_state: str) -> None:
        with self._state_changed:
            self._target_state = target_state
            self._state_changed.notify_all()

    @property
    def paused(self) -> bool:
        return self._target_state == TargetState.PAUSED

    def wait_while_paused(self, idle: Callable[[], None] | None = None) -> bool:
        """Block while the target state is PAUSED; returns False if stopping meanwhile.

        ``idle``, when given, replaces the wait between two checks of the state: it must return
        within about half a second. It runs outside the lock, so state changes are not held up.
        """
        with self._state_changed:
            if self._target_state != TargetState.PAUSED:
                return not self.stopping
            self._report(State.PAUSED)
            self.on_pause()
        while True:
            with self._state_changed:
                if self._target_state != TargetState.PAUSED or self.stopping:
                    break
                if idle is None:
                    self._state_changed.wait(0.5)
                    continue
            idle()
        if not self.stopping:
            self.on_resume()
            self._report(State.RUNNING)
        return not self.stopping

    def on_pause(self) -> None:
        pass

    def on_resume(self) -> None:
        pass

    # -- the thread -----------------------------------------------------------------------------
    def _run(self) -> None:
        # Every line logged on this thread (libraries' too) carries [name|task-N] (log_context.py).
        with logging_context(LogContext.for_task(self.id)):
            self._run_task()

    def _run_task(self) -> None:
        try:
            self.initialize_and_start()
            log.info("%s finished initialization and start", type(self).__name__)
            if not self.stopping:
                self._report(State.PAUSED if self.paused else State.RUNNING)
                self.execute()
        except RetryInterrupted if self.stopping else ():  # evaluated when an exception is matched
            log.info("Task %s was stopped while waiting to retry an operation", self.id)
        except BaseException as exc:  # noqa: BLE001 — a failing task never takes the worker down
            self.failed = True
            log.error("Task %s threw an uncaught and unrecoverable exception. Task is being killed and will not recover until manually restarted", self.id, exc_info=True)
            self._report(State.FAILED, format_trace(exc))
        finally:
            try:
                self.close()
            except Exception:
                log.exception("Error while closing task %s", self.id)
            for converter in (self.key_converter, self.value_converter, self.header_converter):
                if converter is None:
                    continue
                try:
                    converter.close()
                except Exception:
                    log.exception("Error while closing a converter of task %s", self.id)
            self.transformations.close()
            if not self.failed:
                self._report(State.UNASSIGNED)
            if self._on_exit:
                self._on_exit(self)

    def _report(self, state: str, trace: str | None = None) -> None:
        if self._cancelled:
            return  # abandoned: the status belongs to its replacement now
        current = self._status_store.task(self.id)
        # A shutdown must not overwrite FAILED: the trace stays visible until a restart.
        if state == State.UNASSIGNED and current is not None and current.state == State.FAILED:
            return
        self.figures.state(state)
        self._status_store.put_task(self.id, Status(state, self._worker_id, trace))

    @abstractmethod
    def initialize_and_start(self) -> None: ...

    @abstractmethod
    def execute(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...
