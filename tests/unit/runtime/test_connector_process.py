"""Pure pieces of the connector-process boundary (connector_process.py), over a real pipe.

The supervisor's side only: the "child" is the other end of a multiprocessing pipe, driven by
the test, so the call bookkeeping (timeouts, late replies) is checked without a process.
"""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from dbconnect.api.errors import ConnectError
from dbconnect.runtime.connector_process import ProcessWorkerConnector, RemoteConnectorError
from dbconnect.runtime.stores.status import MemoryStatusBackingStore


def supervisor() -> tuple[ProcessWorkerConnector, object]:
    """A supervisor whose start() already returned, wired to the test's end of a real pipe."""
    wc = ProcessWorkerConnector(
        name="orders", config={"connector.class": "Example"}, worker_props={}, worker_id="w1",
        target_state="STARTED", status_store=MemoryStatusBackingStore(), graceful_timeout=5.0,
        on_reconfigure=lambda _name: None, on_error=lambda _name, _trace: None, on_started=None)
    worker_end, child_end = multiprocessing.Pipe()
    wc._conn = worker_end
    wc._started = True
    return wc, child_end


def test_a_task_configs_call_that_times_out_blocks_further_calls_until_its_late_reply():
    wc, child = supervisor()
    with pytest.raises(ConnectError) as info:
        wc.task_configs(2, timeout=0.1)
    assert "did not return its task configs within 0.1 s" in str(info.value)
    kind, rid, max_tasks = child.recv()
    assert (kind, max_tasks) == ("task_configs", 2)
    # The child's connector thread is still inside that call: a new one would only queue behind it.
    with pytest.raises(ConnectError, match="has still not returned from an earlier task_configs"):
        wc.task_configs(2, timeout=5.0)
    assert not child.poll()  # nothing was sent for the refused call
    # The late reply is dropped, and calls go through again.
    wc._handle(("reply", rid, ([{"a": "1"}], "x.Task", False), None))

    def answer() -> None:
        _kind, next_rid, _n = child.recv()
        wc._handle(("reply", next_rid, ([{"a": "2"}], "x.Task", False), None))

    replier = threading.Thread(target=answer)
    replier.start()
    assert wc.task_configs(2, timeout=5.0) == ([{"a": "2"}], "x.Task", False)
    replier.join(5)


def test_a_plugin_exception_comes_back_with_the_childs_trace():
    wc, child = supervisor()

    def answer() -> None:
        _kind, rid, _n = child.recv()
        wc._handle(("reply", rid, None, "Traceback (most recent call last):\nValueError: no tables"))

    replier = threading.Thread(target=answer)
    replier.start()
    with pytest.raises(RemoteConnectorError) as info:
        wc.task_configs(1, timeout=5.0)
    replier.join(5)
    assert info.value.trace.endswith("ValueError: no tables")


def test_a_config_that_cannot_reach_the_connector_process_is_refused_naming_the_key():
    with pytest.raises(ConnectError) as info:
        ProcessWorkerConnector(
            name="orders", config={"connector.class": "Example", "lock": threading.Lock()}, worker_props={},
            worker_id="w1", target_state="STARTED", status_store=MemoryStatusBackingStore(), graceful_timeout=5.0,
            on_reconfigure=lambda _name: None, on_error=lambda _name, _trace: None, on_started=None)
    assert "'lock'" in str(info.value) and "connector process" in str(info.value)
