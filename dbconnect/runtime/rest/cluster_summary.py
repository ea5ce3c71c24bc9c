"""``GET /metrics/summary?scope=cluster``: every live worker's own summary, merged per connector.

The worker that answers asks each other worker of the group (``Herder.cluster_worker_urls``) for its
``/metrics/summary`` in parallel, through the worker's ``PeerClient`` (its https settings, pooled
connections), with a short timeout and the caller's ``Authorization`` header,
and merges the answers with its own: per connector the sums of totals and rates, the max of the
lags, and each task's entry with the ``worker_id`` that runs it. A worker that does not answer
(down, slow, refusing) is listed under ``unreachable``: the page still shows the rest.
See docs/metrics.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dbconnect.runtime.distributed.peer_client import PeerClient

log = logging.getLogger("dbconnect.runtime.rest")

# Short: the status page polls every few seconds, and one slow worker must not hold it up.
PEER_TIMEOUT_S = 2.0
FORWARDED_HEADERS = ("authorization",)
SUMMED = ("records_in_total", "records_out_total", "record_errors_total")
RATES = ("records_in_per_second", "records_out_per_second")


def worker_id_of(url: str) -> str:
    """The worker id (the advertised ``host:port``) of a worker's REST URL."""
    return url.split("://", 1)[-1].rstrip("/")


Fetch = Callable[[str, Mapping[str, str]], dict[str, Any]]


def summary_fetcher(peers: PeerClient) -> Fetch:
    """A worker's ``/metrics/summary``, asked through ``peers``."""
    def fetch(url: str, headers: Mapping[str, str]) -> dict[str, Any]:
        return fetch_summary(peers, url, headers)

    return fetch


def fetch_summary(peers: PeerClient, url: str, headers: Mapping[str, str]) -> dict[str, Any]:
    answer = peers.get(f"{url.rstrip('/')}/metrics/summary", headers=dict(headers), timeout=PEER_TIMEOUT_S)
    if answer.status_code != 200:
        raise RuntimeError(f"HTTP {answer.status_code}: {answer.text[:200]}")
    body = answer.json()
    if not isinstance(body, dict) or not isinstance(body.get("connectors"), dict):
        raise RuntimeError("not a metrics summary")
    return body


def gather(own: dict[str, Any], urls: Iterable[str], headers: Mapping[str, str], fetch: Fetch) -> dict[str, Any]:
    """Ask every worker of ``urls`` but this one (``own["worker_id"]``) for its summary, in parallel,
    and merge the answers with ``own``."""
    others = sorted({u.rstrip("/") for u in urls if u and worker_id_of(u) != own.get("worker_id")})
    forwarded = {k: v for k, v in headers.items() if k.lower() in FORWARDED_HEADERS}
    answers: list[dict[str, Any]] = [own]
    unreachable: list[dict[str, str]] = []
    if others:
        def one(url: str) -> tuple[str, dict[str, Any] | None, str | None]:
            try:
                return url, fetch(url, forwarded), None
            except Exception as exc:  # any failure of a peer is reported, never raised
                return url, None, str(exc) or type(exc).__name__

        with ThreadPoolExecutor(max_workers=min(len(others), 8), thread_name_prefix="cluster-summary") as pool:
            for url, body, error in pool.map(one, others):
                if body is None:
                    log.info("Worker %s did not answer the cluster metrics summary: %s", url, error)
                    unreachable.append({"worker_id": worker_id_of(url), "url": url, "error": error or ""})
                else:
                    answers.append(body)
    return merge(answers, own.get("worker_id", ""), unreachable)


def merge(answers: list[dict[str, Any]], worker_id: str, unreachable: list[dict[str, str]] | None = None,
          now: float | None = None) -> dict[str, Any]:
    """Merge workers' summaries (each ``{"worker_id", "time", "connectors"}``) per connector.

    A task reported by two workers (one just handed it over in a rebalance) counts once, with the
    most recently updated figures."""
    connectors: dict[str, dict[str, Any]] = {}
    tasks: dict[str, dict[str, dict[str, Any]]] = {}
    for answer in answers:
        source = str(answer.get("worker_id", ""))
        for name, entry in (answer.get("connectors") or {}).items():
            merged = connectors.setdefault(name, {"state": None, "type": None})
            for key in ("state", "type"):
                if merged[key] is None and entry.get(key) is not None:
                    merged[key] = entry[key]
            for task, figures in (entry.get("tasks") or {}).items():
                known = tasks.setdefault(name, {}).get(task)
                if known is None or (figures.get("updated") or 0) > (known.get("updated") or 0):
                    tasks[name][task] = {**figures, "worker_id": source}
    for name, merged in connectors.items():
        own_tasks = dict(sorted(tasks.get(name, {}).items(), key=lambda kv: _task_order(kv[0])))
        for key in SUMMED:
            merged[key] = sum(int(t.get(key) or 0) for t in own_tasks.values())
        for key in RATES:
            merged[key] = round(sum(float(t.get(key) or 0.0) for t in own_tasks.values()), 3)
        lags = [t["lag_seconds"] for t in own_tasks.values() if t.get("lag_seconds") is not None]
        merged["lag_seconds"] = max(lags) if lags else None
        merged["tasks"] = own_tasks
    return {
        "worker_id": worker_id,
        "time": time.time() if now is None else now,
        "scope": "cluster",
        "workers": sorted(str(a.get("worker_id", "")) for a in answers),
        "unreachable": list(unreachable or []),
        "connectors": dict(sorted(connectors.items())),
    }


def _task_order(task: str) -> tuple[int, str]:
    return (int(task), "") if task.isdigit() else (1 << 30, task)
