"""What the metrics cost per batch: every metric operation of the task loops, timed with the real code.

Usage: python bench/metrics_calls.py [--repeat 5] [--number 200000]

Issue 16 asks for < 2 % overhead on bench/jdbc_source.py and bench/jdbc_sink.py. This script
counts, from the code, the metric operations done per ``poll()`` batch (source) and per ``put()``
batch (sink) — task loop and JDBC connector — and times each of them with ``timeit`` (best of
--repeat runs of --number calls, on the real TaskFigures / TaskMetrics / SubmittedRecords /
WorkerSinkTask objects), plus what happens once per offset commit and once a second (the task
process's snapshot to the worker). Prints µs per batch; BENCHMARKS.md divides that by the time
per batch measured in the A/B runs (bench/jdbc_source.py --ab, bench/jdbc_sink.py --ab).
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dbconnect.api.task import TopicPartition  # noqa: E402
from dbconnect.converters.string import StringConverter  # noqa: E402
from dbconnect.runtime.errors import ErrorHandler  # noqa: E402
from dbconnect.runtime.sink_task import WorkerSinkTask  # noqa: E402
from dbconnect.runtime.stores.configs import TargetState  # noqa: E402
from dbconnect.runtime.stores.status import ConnectorTaskId, MemoryStatusBackingStore  # noqa: E402
from dbconnect.runtime.sampled_stats import measure_snapshot  # noqa: E402
from dbconnect.runtime.submitted_records import SubmittedRecords  # noqa: E402
from dbconnect.runtime.task_metrics import TaskFigures  # noqa: E402
from dbconnect.runtime.transformation_chain import TransformationChain  # noqa: E402


def cost(stmt, setup_globals: dict, repeat: int, number: int) -> float:
    """µs per call, best of ``repeat``."""
    timer = timeit.Timer(stmt, globals=setup_globals)
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--number", type=int, default=200_000)
    args = parser.parse_args()
    r, n = args.repeat, args.number

    figures = TaskFigures("source", ErrorHandler("c", 0, {}))
    submitted = SubmittedRecords()
    batch = submitted.new_batch(100)
    batch.closed = True  # a fully acknowledged leading batch, as after most polls
    custom = figures.custom
    g = {"time": time, "figures": figures, "submitted": submitted, "metrics": custom,
         "context": type("Ctx", (), {"metrics": custom})()}
    empty = cost("pass", g, r, n)  # the timing loop itself, subtracted
    source_ops = {
        "time.monotonic() ×2 (around poll())": cost("time.monotonic(); time.monotonic()", g, r, n) - empty,
        "figures.batch(size, seconds)": cost("figures.batch(100, 0.001)", g, r, n) - empty,
        "records_in += n; records_out += n": cost("figures.records_in += 100; figures.records_out += 100", g, r, n) - empty,
        "figures.active_count(records_in - submitted.settle())":
            cost("figures.active_count(figures.records_in - submitted.settle())", g, r, n) - empty,
        "JDBC source _report: getattr + counter + gauge (incrementing mode)":
            cost("m = getattr(context, 'metrics', None); m.counter('jdbc_source_rows_read_total', 100, table='t'); "
                 "m.gauge('jdbc_source_offset_incrementing', 5, table='t')", g, r, n) - empty,
    }
    timestamp_ops = {
        "gauge + since (offset and lag; timestamp modes instead of the incrementing gauge: add this)":
            cost("metrics.gauge('jdbc_source_offset_timestamp_seconds', 5.0, table='t'); "
                 "metrics.since('jdbc_source_replication_lag_seconds', 5.0, table='t')", g, r, n) - empty,
    }

    owner: list = []
    sink = WorkerSinkTask(
        consumer_config={}, max_poll_records=500, task=object(), task_config={"topics": "t"},
        key_converter=StringConverter(), value_converter=StringConverter(), transformations=TransformationChain(),
        error_handler=ErrorHandler("c", 0, {}), offset_flush_interval_ms=60_000,
        task_id=ConnectorTaskId("c", 0), status_store=MemoryStatusBackingStore(), worker_id="w",
        target_state=TargetState.STARTED)
    owner.append(sink)
    tp = TopicPartition("bench-orders", 0)
    sink._current[tp], sink._committed[tp] = 5000, 4000
    sink_figures = sink.figures
    g.update({"ops": {("shape",): [(1,)] * 500}, "sink": sink, "sf": sink_figures, "smetrics": sink_figures.custom,
              "sctx": type("Ctx", (), {"metrics": sink_figures.custom})()})
    sink_ops = {
        "time.monotonic() ×2 (around put())": cost("time.monotonic(); time.monotonic()", g, r, n) - empty,
        "figures.batch(size, seconds)": cost("sf.batch(500, 0.001)", g, r, n) - empty,
        "records_in += n; records_out += n": cost("sf.records_in += 500; sf.records_out += 500", g, r, n) - empty,
        "_note_active() (1 partition)": cost("sink._note_active()", g, r, n) - empty,
        "JDBC sink _report_written: getattr + counter + observe (1 table, 1 kind; per transaction)":
            cost("m = getattr(sctx, 'metrics', None); d = sum(len(k) for k in ops.values()); "
                 "w = sum(len(k) for k in ops.values()); m.counter('jdbc_sink_rows_written_total', 500, table='t', "
                 "kind='upsert'); m.observe('jdbc_sink_write_seconds', 0.004)", g, r, n) - empty,
    }
    per_commit = {
        "figures.commit(ok, seconds) + time.monotonic() ×2 + _note_active()":
            cost("time.monotonic(); time.monotonic(); sf.commit(True, 0.001); sink._note_active()", g, r, n) - empty,
    }
    snapshot = cost("pickle.dumps(figures.snapshot())", {**g, "pickle": pickle}, r, max(1, n // 20)) - empty
    # The worker, at a scrape: the six windowed figures of one task read from its snapshot (the
    # -max/-avg/-rate figures over metrics.sample.window.ms × metrics.num.samples).
    windows = tuple(figures.snapshot()["windows"])
    scrape = cost("now = time.monotonic(); [measure_snapshot(snap, k, now) for k in windows]",
                  {**g, "snap": figures.snapshot(), "windows": windows, "measure_snapshot": measure_snapshot},
                  r, max(1, n // 20)) - empty
    print(f"timeit: best of {r} × {n:,} calls, µs per call (the empty loop, {empty * 1000:.1f} ns, subtracted)")
    for title, ops in (("source, per poll() batch", source_ops), ("sink, per put() batch", sink_ops),
                       ("per offset commit", per_commit),
                       ("source in timestamp modes, per poll() batch, in addition", timestamp_ops)):
        print(f"{title}:")
        for name, us in ops.items():
            print(f"  {us:7.3f} µs  {name}")
        print(f"  {sum(ops.values()):7.3f} µs  total")
    print(f"once a second, task process: snapshot() + pickle.dumps: {snapshot:.1f} µs "
          f"({snapshot / 1e6:.4%} of one core; the pipe write is one ~{len(pickle.dumps(figures.snapshot()))} B message)")
    print(f"per scrape, per task, in the worker: the {len(windows)} windowed figures read from the snapshot: {scrape:.1f} µs")


if __name__ == "__main__":
    main()
