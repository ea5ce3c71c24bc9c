"""Kafka's metric sample window: ``metrics.sample.window.ms`` × ``metrics.num.samples``.

Every ``-max``/``-avg`` figure and every ``-rate`` of Kafka Connect is a SampledStat: values are
recorded into the current sample until it is ``metrics.sample.window.ms`` old, then the next of
``metrics.num.samples + 1`` recycled samples begins; a reading ignores the samples whose last
value is ``metrics.num.samples × metrics.sample.window.ms`` old or older. Max and Avg of no values
are NaN; a Rate is the sum of the values over the time since the oldest sample began, taken as at
least ``metrics.num.samples − 1`` full windows (Kafka's ``Rate.windowSize``). One difference: a
reading changes nothing here (Kafka's purge resets the samples it reads), so that the worker can read
the samples a task process sent it.

``Sampled.record`` is O(1) and allocates nothing beyond the float it is given (fixed slots, reused):
the task loops call it once per batch (task_metrics.py). ``Sampled.samples`` copies the slots for a
snapshot (about once a second); ``measure`` reads such a copy (metrics.py, at a scrape).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

NAN = math.nan


class SampleWindow(NamedTuple):
    """``metrics.sample.window.ms`` (in seconds here) and ``metrics.num.samples``."""

    seconds: float = 30.0
    samples: int = 2

    @classmethod
    def from_config(cls, config: Any) -> "SampleWindow":
        """The worker's settings (a WorkerConfig, or None: Kafka's defaults)."""
        if config is None:
            return cls()
        return cls(float(config.get("metrics.sample.window.ms", 30000)) / 1000.0,
                   int(config.get("metrics.num.samples", 2)))


# One sample: (began, last value at, values, sum, max), times in the clock's seconds.
Sample = tuple[float, float, int, float, float]


class Sampled:
    """The samples of one figure (Kafka's Max, Avg and WindowedSum share their boundaries, so one
    object serves all three). The current sample is kept in plain attributes (the cheapest to
    update); a complete one moves to its slot of the lists when the next begins."""

    __slots__ = ("seconds", "size", "current", "began", "last", "count", "total", "max",
                 "cur_began", "cur_last", "cur_count", "cur_total", "cur_max")

    def __init__(self, window: SampleWindow, now: float) -> None:
        self.seconds = window.seconds
        slots = window.samples + 1  # Kafka keeps one more than metrics.num.samples
        self.size = 1               # slots in use (Kafka adds samples as it needs them)
        self.current = 0
        self.began = [now] * slots
        self.last = [now] * slots
        self.count = [0] * slots
        self.total = [0.0] * slots
        self.max = [-math.inf] * slots
        # The first sample begins when the figure does (the task's start).
        self.cur_began = self.cur_last = now
        self.cur_count = 0
        self.cur_total = 0.0
        self.cur_max = -math.inf

    def record(self, value: float, now: float) -> None:
        if now - self.cur_began >= self.seconds:
            self._advance(now)
        self.cur_last = now
        self.cur_count += 1
        self.cur_total += value
        if value > self.cur_max:
            self.cur_max = value

    def _advance(self, now: float) -> None:
        """The current sample is complete: store it, begin the next one in the oldest slot."""
        i = self.current
        self.began[i], self.last[i], self.count[i] = self.cur_began, self.cur_last, self.cur_count
        self.total[i], self.max[i] = self.cur_total, self.cur_max
        i += 1
        if i == len(self.began):
            i = 0
        elif i == self.size:
            self.size += 1
        self.current = i
        self.cur_began = self.cur_last = now
        self.cur_count = 0
        self.cur_total = 0.0
        self.cur_max = -math.inf

    def samples(self) -> tuple[Sample, ...]:
        """A picklable copy of the samples in use (for a snapshot)."""
        current = (self.cur_began, self.cur_last, self.cur_count, self.cur_total, self.cur_max)
        return tuple(current if i == self.current else
                     (self.began[i], self.last[i], self.count[i], self.total[i], self.max[i])
                     for i in range(self.size))


class Measured(NamedTuple):
    """What a reading at ``now`` gives: Kafka's Max, Avg, the WindowedSum and Rate's window."""

    max: float
    avg: float
    sum: float
    rate_seconds: float

    def rate(self) -> float:
        return self.sum / self.rate_seconds


def measure(samples: tuple[Sample, ...], window: SampleWindow, now: float) -> Measured:
    """Max, Avg (NaN without values), sum and Rate's window of ``samples`` read at ``now``."""
    expire = window.samples * window.seconds
    count, total, top, oldest = 0, 0.0, -math.inf, now
    for began, last, n, value_sum, value_max in samples:
        if now - last >= expire:
            continue  # obsolete: as if reset now (no values, beginning now)
        count += n
        total += value_sum
        if n and value_max > top:
            top = value_max
        if began < oldest:
            oldest = began
    elapsed = now - oldest
    full = int(elapsed // window.seconds)
    if full < window.samples - 1:
        elapsed += (window.samples - 1 - full) * window.seconds
    return Measured(top if count else NAN, total / count if count else NAN, total, max(elapsed, 0.001))


def frequencies(measured: Measured) -> tuple[float, float]:
    """(true, false) fractions of a figure that records 1.0 for true and 0.0 for false, as Kafka's
    ``Frequencies.forBooleanValues``: 0 for both when no value is in the window."""
    if math.isnan(measured.avg):
        return 0.0, 0.0
    return measured.avg, 1.0 - measured.avg


def measure_snapshot(snapshot: dict[str, Any], name: str, now: float) -> Measured:
    """A windowed figure of a task's snapshot (task_metrics.py: ``windows[name]``) read at ``now``, on
    the clock its samples were taken on (time.monotonic(): one clock for every process of the machine)."""
    return measure(snapshot["windows"][name], SampleWindow(*snapshot["sample_window"]), now)
