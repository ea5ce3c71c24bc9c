"""``dbconnect demo``: tables replicated live from PostgreSQL to PostgreSQL (or MariaDB) through Kafka.

The sequence is the one a user follows: start the services, create the schema with the migration
runner, register the sink and then the source with the JSON files in examples/connectors/ (POSTed
to the REST API), and watch the snapshot and then a stream of changes arrive.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import requests

from ..resources import shipped_dir
from .monitor import ReplicationMonitor
from .shop import TABLES, ChangeStream, SeedPlan, seed
from .stack import SOURCE_DB, DemoError, DemoStack, prepare_data_dir, route_logs
from .verify import first_difference
from .view import make_view

SNAPSHOT_TIMEOUT_S = 600
CATCH_UP_TIMEOUT_S = 180


@dataclass
class DemoHooks:
    """For tests: called with the running stack just before ``--once`` compares the tables."""

    before_verify: Callable[[DemoStack], None] | None = None


@dataclass
class DemoResult:
    rows: int = 0
    first_row_s: float | None = None
    snapshot_s: float = 0.0
    changes: int = 0
    lag_samples: list[float] = field(default_factory=list)
    difference: str | None = None


def run_tables_demo(args: Any, *, out=None, hooks: DemoHooks | None = None) -> int:
    out = out or sys.stdout
    hooks = hooks or DemoHooks()

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    try:
        data_dir, kept = prepare_data_dir(args.data_dir)
        stack = DemoStack(data_dir=data_dir, kept=kept, rest_port=args.rest_port, target=args.target)
    except DemoError as exc:
        print(f"dbconnect demo: {exc}", file=sys.stderr)
        return 2
    unroute_logs = route_logs(data_dir)
    stop = threading.Event()
    restore = _on_signals(stop)
    try:
        say(f"dbconnect demo: PostgreSQL 'shop' → Kafka → {args.target} 'replica' (data in {data_dir})")
        stack.start(say)
        return _run(args, stack, stop, say, out, hooks)
    except DemoError as exc:
        print(f"dbconnect demo: {exc}", file=sys.stderr)
        return 2 if stack.connect is None else 1
    except KeyboardInterrupt:
        return 130
    finally:
        say("stopping the worker and the embedded services …")
        stack.stop()
        restore()
        unroute_logs()


def _run(args: Any, stack: DemoStack, stop: threading.Event, say, out, hooks: DemoHooks) -> int:
    result = DemoResult()
    source = stack.postgres.connect(SOURCE_DB)
    try:
        plan = SeedPlan.for_total(args.rows)
        if source.execute("SELECT count(*) FROM orders").fetchone()[0] == 0:
            seed(source, plan)
            say(f"seeded 'shop': {plan.customers:,} customers, {plan.products:,} products, {plan.orders:,} orders")
        else:
            say("'shop' already holds data (resumed from --data-dir): not seeding again")
        result.rows = sum(source.execute(f"SELECT count(*) FROM {t} WHERE deleted_at IS NULL").fetchone()[0]
                          for t in TABLES)
        base = stack.connect.url
        started = time.monotonic()
        examples = shipped_dir("examples") / "connectors"
        # The sink first, before its topics exist, then the source: the order of the seeds' tutorial.
        for path in (examples / f"replica-{stack.target_name}-sink.json", examples / "shop-source.json"):
            body, changed = stack.connector_request(path)
            response = requests.post(f"{base}/connectors", json=body, timeout=30)
            if response.status_code == 409:
                response = requests.put(f"{base}/connectors/{body['name']}/config", json=body["config"], timeout=30)
            if response.status_code >= 300:
                raise DemoError(f"POST {path.name} answered {response.status_code}: {response.text}")
            say(f"POST /connectors  {path}  → {response.status_code}  ({', '.join(changed)} set for this demo)")
        monitor = ReplicationMonitor(source, stack.target)
        with make_view(out) as view:
            while not monitor.caught_up:
                if stop.is_set():
                    return 130
                tables = monitor.tick()
                if result.first_row_s is None and any(p.target_rows for p in tables.values()):
                    result.first_row_s = time.monotonic() - started
                view.update("snapshot", tables, 0)
                _check_running(base)
                if time.monotonic() - started > SNAPSHOT_TIMEOUT_S:
                    raise DemoError(f"the snapshot did not complete within {SNAPSHOT_TIMEOUT_S} s")
                if not monitor.caught_up:
                    stop.wait(1.0)
            result.snapshot_s = time.monotonic() - started
            view.message(f"snapshot: {result.rows:,} rows in {result.snapshot_s:.1f} s "
                         f"({result.rows / result.snapshot_s:,.0f} rows/s; first row after {result.first_row_s or 0:.1f} s)")
            view.message(_states(base))
            changes = ChangeStream(lambda: stack.postgres.connect(SOURCE_DB), args.rate).start()
            if not args.once:
                _print_walkthrough(view, base)
            stream_started = time.monotonic()
            try:
                while not stop.is_set():
                    if changes.error is not None:
                        raise DemoError(f"the change stream failed: {changes.error}")
                    tables = monitor.tick()
                    result.lag_samples.append(monitor.lag_samples[-1])
                    view.update("streaming changes", tables, changes.total)
                    _check_running(base)
                    if args.once and time.monotonic() - stream_started >= args.stream_seconds:
                        break
                    stop.wait(1.0)
            finally:
                changes.stop()
            if not args.once:
                return 0
            result.changes = changes.total
            deadline = time.monotonic() + CATCH_UP_TIMEOUT_S
            while True:
                tables = monitor.tick()
                view.update("catching up", tables, changes.total)
                if monitor.caught_up or stop.is_set() or time.monotonic() > deadline:
                    break
                stop.wait(0.5)
        if hooks.before_verify is not None:
            hooks.before_verify(stack)
        result.difference = first_difference(source, stack.target)
        _summary(say, result, monitor, stack)
        return 0 if result.difference is None else 1
    finally:
        source.close()


def _check_running(base: str) -> None:
    """A FAILED connector or task ends the demo with its trace's first line."""
    for name in requests.get(f"{base}/connectors", timeout=10).json():
        status = requests.get(f"{base}/connectors/{name}/status", timeout=10).json()
        for part in [status.get("connector", {}), *status.get("tasks", [])]:
            if part.get("state") == "FAILED":
                trace = (part.get("trace") or "").strip().splitlines()
                raise DemoError(f"{name} {'task ' + str(part['id']) if 'id' in part else 'connector'} FAILED: "
                                f"{trace[-1] if trace else 'no trace'}")


def _states(base: str) -> str:
    lines = []
    for name in sorted(requests.get(f"{base}/connectors", timeout=10).json()):
        status = requests.get(f"{base}/connectors/{name}/status", timeout=10).json()
        tasks = ", ".join(f"task {t['id']} {t['state']}" for t in status["tasks"])
        lines.append(f"  {name}: connector {status['connector']['state']}, {tasks}")
    return "connectors:\n" + "\n".join(lines)


def _print_walkthrough(view, base: str) -> None:
    view.message(f"status page: {base}/ui  (connectors, tasks, throughput, lag, pause/resume/restart)\n"
                 f"metrics:     {base}/metrics  (Prometheus, Kafka Connect's names; docs/metrics.md)\n"
                 f"REST API: {base} — try, in another terminal:\n"
                 f"  curl -s {base}/connectors/shop-source/status\n"
                 f"  curl -s -X PUT {base}/connectors/replica-sink/pause\n"
                 f"  curl -s {base}/connectors/shop-source/offsets\n"
                 "Ctrl-C stops the demo.")


def _summary(say, result: DemoResult, monitor: ReplicationMonitor, stack: DemoStack) -> None:
    lags = sorted(result.lag_samples) or [0.0]
    p95 = lags[min(len(lags) - 1, int(round(0.95 * (len(lags) - 1))))]
    say("summary:")
    say(f"  snapshot        {result.rows:,} rows in {result.snapshot_s:.1f} s = "
        f"{result.rows / max(result.snapshot_s, 1e-9):,.0f} rows/s (REST call to last row in the target)")
    say(f"  first row       {result.first_row_s or 0:.1f} s after the REST call")
    say(f"  change stream   {result.changes:,} changes (inserts, updates, deletes); lag p95 {p95:.1f} s, "
        f"max {max(lags):.1f} s")
    if result.difference is None:
        compared = sum(p.target_rows for p in monitor.tables.values())
        say(f"  check           OK: the target equals the source, {compared:,} rows in {len(TABLES)} tables")
    else:
        say(f"  check           DIFFERENT: {result.difference}")


def _on_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGINT/SIGTERM end the demo cleanly (only the main thread may install handlers)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum, _frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    for s in previous:
        signal.signal(s, handler)

    def restore() -> None:
        for s, h in previous.items():
            signal.signal(s, h)

    return restore
