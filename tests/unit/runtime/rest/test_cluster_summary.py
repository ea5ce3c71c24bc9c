"""GET /metrics/summary?scope=cluster: the merge of workers' summaries and the asking of peers."""

from __future__ import annotations

import threading
from typing import Any

from dbconnect.runtime.rest import cluster_summary
from dbconnect.runtime.rest.cluster_summary import gather, merge


def task(records: int, rate: float, lag: float | None = None, updated: float = 100.0, errors: int = 0) -> dict[str, Any]:
    return {"records_in_total": records, "records_out_total": records, "records_in_per_second": rate,
            "records_out_per_second": rate, "record_errors_total": errors, "lag_seconds": lag, "updated": updated}


def summary(worker: str, connectors: dict[str, dict[str, dict[str, Any]]], state: str = "RUNNING") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, tasks in connectors.items():
        out[name] = {"state": state, "type": "source" if tasks else None, "tasks": tasks,
                     "records_in_total": sum(t["records_in_total"] for t in tasks.values()),
                     "records_out_total": sum(t["records_out_total"] for t in tasks.values()),
                     "records_in_per_second": sum(t["records_in_per_second"] for t in tasks.values()),
                     "records_out_per_second": sum(t["records_out_per_second"] for t in tasks.values()),
                     "record_errors_total": sum(t["record_errors_total"] for t in tasks.values()),
                     "lag_seconds": max((t["lag_seconds"] for t in tasks.values() if t["lag_seconds"] is not None),
                                        default=None)}
    return {"worker_id": worker, "time": 1.0, "connectors": out}


A = summary("a:1", {"src": {"0": task(10, 1.5, lag=2.0, errors=1)}, "other": {}})
B = summary("b:2", {"src": {"1": task(32, 2.25, lag=7.5)}, "other": {"0": task(5, 0.5)}})


def test_merge_sums_totals_and_rates_takes_the_max_lag_and_names_each_tasks_worker() -> None:
    merged = merge([A, B], "a:1", now=5.0)
    src = merged["connectors"]["src"]
    assert (src["records_in_total"], src["records_out_total"], src["record_errors_total"]) == (42, 42, 1)
    assert (src["records_in_per_second"], src["records_out_per_second"]) == (3.75, 3.75)
    assert src["lag_seconds"] == 7.5
    assert {k: v["worker_id"] for k, v in src["tasks"].items()} == {"0": "a:1", "1": "b:2"}
    assert src["tasks"]["1"]["records_out_total"] == 32
    assert (src["state"], src["type"]) == ("RUNNING", "source")
    # A connector with no task on A (type null there) takes its type from B.
    assert merged["connectors"]["other"]["type"] == "source"
    assert merged["connectors"]["other"]["records_out_total"] == 5
    assert merged["workers"] == ["a:1", "b:2"] and merged["unreachable"] == []
    assert (merged["scope"], merged["worker_id"], merged["time"]) == ("cluster", "a:1", 5.0)


def test_merge_without_figures_keeps_lag_null_and_zero_totals() -> None:
    merged = merge([summary("a:1", {"idle": {}})], "a:1")
    idle = merged["connectors"]["idle"]
    assert idle["lag_seconds"] is None and idle["records_out_total"] == 0 and idle["tasks"] == {}


def test_a_task_two_workers_report_counts_once_with_the_newer_figures() -> None:
    old = summary("a:1", {"src": {"0": task(10, 1.0, updated=50.0)}})
    new = summary("b:2", {"src": {"0": task(12, 2.0, updated=60.0)}})
    for order in ([old, new], [new, old]):
        src = merge(order, "a:1")["connectors"]["src"]
        assert src["records_out_total"] == 12 and src["tasks"]["0"]["worker_id"] == "b:2"


def test_gather_asks_every_other_worker_in_parallel_with_the_authorization_header() -> None:
    seen: list[tuple[str, dict[str, str]]] = []
    both_in = threading.Barrier(2, timeout=5)

    def fetch(url: str, headers: Any) -> dict[str, Any]:
        seen.append((url, dict(headers)))
        both_in.wait()  # would time out (BrokenBarrierError → unreachable) if asked one after the other
        return {"http://b:2": B, "http://c:3": summary("c:3", {"src": {"2": task(1, 0.25)}})}[url]

    merged = gather(A, ["http://a:1", "http://b:2/", "http://c:3"],
                    {"Authorization": "Basic dTpw", "Cookie": "x", "Content-Type": "text/plain"}, fetch)
    assert sorted(url for url, _ in seen) == ["http://b:2", "http://c:3"]  # never itself
    assert all(headers == {"Authorization": "Basic dTpw"} for _, headers in seen)
    assert merged["unreachable"] == []
    assert merged["connectors"]["src"]["records_out_total"] == 43
    assert merged["workers"] == ["a:1", "b:2", "c:3"]


def test_a_worker_that_does_not_answer_is_listed_unreachable_and_the_rest_is_merged() -> None:
    def fetch(url: str, headers: Any) -> dict[str, Any]:
        if url == "http://dead:9":
            raise ConnectionError("connection refused")
        return B

    merged = gather(A, ["http://b:2", "http://dead:9"], {}, fetch)
    assert merged["unreachable"] == [{"worker_id": "dead:9", "url": "http://dead:9", "error": "connection refused"}]
    assert merged["connectors"]["src"]["records_out_total"] == 42


def test_standalone_a_single_worker_is_its_own_cluster() -> None:
    def fetch(url: str, headers: Any) -> dict[str, Any]:
        raise AssertionError("a standalone worker asks nobody")

    merged = gather(A, ["http://a:1"], {}, fetch)
    assert merged["connectors"]["src"]["records_out_total"] == 10 and merged["workers"] == ["a:1"]


def test_fetch_summary_refuses_an_error_answer() -> None:
    class Answer:
        status_code = 401
        text = '{"error_code":401,"message":"Unauthorized"}'

    class Peers:
        def get(self, *args: Any, **kwargs: Any) -> Answer:
            return Answer()

    merged = gather(A, ["http://b:2"], {}, cluster_summary.summary_fetcher(Peers()))  # type: ignore[arg-type]
    assert merged["unreachable"][0]["worker_id"] == "b:2" and "401" in merged["unreachable"][0]["error"]

