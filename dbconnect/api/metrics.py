"""Figures a task reports for the worker's ``GET /metrics`` (docs/metrics.md).

A task finds a ``TaskMetrics`` on its context (``SourceTaskContext.metrics``,
``SinkTaskContext.metrics``). Calls are plain dictionary updates in the task's own process —
call them once per batch, not per record. The runtime ships a snapshot to the worker about once a
second; the worker renders each figure as ``dbconnect_<name>`` with the labels ``connector``,
``task`` and the ones given here. Connectors need nothing from the runtime to report figures.
"""

from __future__ import annotations

import re
import threading
from typing import Any

# Upper bounds (seconds) of the buckets of ``observe`` (a Prometheus histogram).
DEFAULT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

COUNTER, GAUGE, SINCE, HISTOGRAM = "counter", "gauge", "since", "histogram"
_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")
_RESERVED_LABELS = frozenset({"connector", "task"})


class TaskMetrics:
    """Counters, gauges and histograms of one task, labelled by the task's own labels.

    - ``counter(name, amount, **labels)``: adds ``amount`` (rendered as ``dbconnect_<name>``, a
      counter: end the name with ``_total``);
    - ``gauge(name, value, **labels)``: the current value;
    - ``since(name, epoch_seconds, **labels)``: an instant, rendered as the seconds elapsed from it
      to the moment of the scrape (a lag that keeps growing while nothing new arrives);
    - ``observe(name, seconds, **labels)``: one observation of a histogram (DEFAULT_BUCKETS).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._figures: dict[tuple[str, str, tuple[tuple[str, str], ...]], Any] = {}
        self._kinds: dict[str, str] = {}
        self._keys: dict[tuple, tuple] = {}

    def _key(self, kind: str, name: str, labels: dict[str, Any]) -> tuple:
        known = self._kinds.get(name)
        if known is None:
            if not _NAME.match(name):
                raise ValueError(f"Invalid metric name {name!r}: use lower case letters, digits and underscores")
            if _RESERVED_LABELS.intersection(labels):
                raise ValueError(f"Metric {name!r}: the labels 'connector' and 'task' are set by the runtime")
            self._kinds[name] = kind
        elif known != kind:
            raise ValueError(f"Metric {name!r} is a {known}, not a {kind}")
        # Sorting the labels costs more than the metric update itself; a call site passes the same
        # labels in the same order every time, so their key is looked up, not rebuilt.
        raw = (kind, name, *labels.items())
        try:
            return self._keys[raw]
        except KeyError:
            key = self._keys[raw] = (kind, name, tuple(sorted((k, str(v)) for k, v in labels.items())))
            return key
        except TypeError:  # an unhashable label value: its text is the label
            return (kind, name, tuple(sorted((k, str(v)) for k, v in labels.items())))

    def counter(self, name: str, amount: float = 1, **labels: Any) -> None:
        key = self._key(COUNTER, name, labels)
        with self._lock:
            self._figures[key] = self._figures.get(key, 0) + amount

    def gauge(self, name: str, value: float, **labels: Any) -> None:
        key = self._key(GAUGE, name, labels)
        with self._lock:
            self._figures[key] = value

    def since(self, name: str, epoch_seconds: float, **labels: Any) -> None:
        key = self._key(SINCE, name, labels)
        with self._lock:
            self._figures[key] = float(epoch_seconds)

    def observe(self, name: str, seconds: float, **labels: Any) -> None:
        key = self._key(HISTOGRAM, name, labels)
        with self._lock:
            hist = self._figures.get(key)
            if hist is None:
                hist = self._figures[key] = [[0] * len(DEFAULT_BUCKETS), 0, 0.0]
            for i, bound in enumerate(DEFAULT_BUCKETS):
                if seconds <= bound:
                    hist[0][i] += 1
                    break
            hist[1] += 1
            hist[2] += seconds

    def remove(self, name: str, **labels: Any) -> None:
        """Forget one labelled figure (e.g. a table no longer read)."""
        kind = self._kinds.get(name)
        if kind is not None:
            with self._lock:
                self._figures.pop(self._key(kind, name, labels), None)

    def snapshot(self) -> list[tuple[str, str, tuple[tuple[str, str], ...], Any]]:
        """``[(kind, name, labels, value)]``, picklable; a histogram's value is
        ``(per-bucket counts, count, sum)`` (counts not cumulative)."""
        with self._lock:
            return [(kind, name, labels, (list(v[0]), v[1], v[2]) if kind == HISTOGRAM else v)
                    for (kind, name, labels), v in self._figures.items()]
