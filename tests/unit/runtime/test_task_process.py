"""Pure pieces of the task-process boundary (task_process.py, task_host.py)."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading

import pytest

from dbconnect.api.errors import ConnectError
from dbconnect.runtime.stores.status import ConnectorTaskId, State, Status
from dbconnect.runtime.task_host import Channel, PipeLogHandler, RemoteOffsetStore, RemoteStatusStore
from dbconnect.runtime.task_process import check_serialisable, exit_description

TASK = ConnectorTaskId("orders", 3)


def test_exit_description_names_the_signal_or_the_code():
    assert exit_description(-signal.SIGKILL) == "was killed by signal SIGKILL"
    assert exit_description(-signal.SIGSEGV) == "was killed by signal SIGSEGV"
    assert exit_description(3) == "exited with code 3"


def test_a_config_that_cannot_cross_the_boundary_is_refused_naming_the_key():
    check_serialisable("task config", TASK, {"topic": "t", "batch.size": "10"})
    with pytest.raises(ConnectError) as info:
        check_serialisable("task config", TASK, {"topic": "t", "lock": threading.Lock()})
    message = str(info.value)
    assert "'lock'" in message and "orders-3" in message and "cannot be serialised" in message


def test_offset_requests_wait_for_the_workers_reply_over_a_real_pipe():
    child_end, worker_end = multiprocessing.Pipe()
    channel = Channel(child_end)
    store = RemoteOffsetStore(channel)
    stored = {}

    def worker_side():  # what the supervisor's reader does, on the other end of the pipe
        for _ in range(2):
            kind, rid, *args = worker_end.recv()
            if kind == "offsets.set":
                stored.update(args[0])
                worker_end.send(("reply", rid, None, None))
            else:
                worker_end.send(("reply", rid, {k: stored.get(k) for k in args[0]}, None))

    def child_main_thread():  # the child's main thread routes replies to the waiting request
        for _ in range(2):
            channel.deliver(*child_end.recv()[1:])

    threads = [threading.Thread(target=worker_side), threading.Thread(target=child_main_thread)]
    for t in threads:
        t.start()
    store.set({b"k": b"v"})
    assert stored == {b"k": b"v"}  # set() returned only after the worker stored it
    assert store.get([b"k", b"other"]) == {b"k": b"v", b"other": None}
    for t in threads:
        t.join(5)


def test_a_request_fails_clearly_when_the_worker_is_gone():
    child_end, worker_end = multiprocessing.Pipe()
    channel = Channel(child_end)
    threading.Timer(0.1, channel.close).start()  # what the child's main thread does on EOF
    with pytest.raises(ConnectError, match="closed the pipe"):
        RemoteOffsetStore(channel).set({b"k": b"v"})


def test_status_is_forwarded_and_read_back_locally():
    child_end, worker_end = multiprocessing.Pipe()
    store = RemoteStatusStore(Channel(child_end), Status(State.UNASSIGNED, "w"))
    store.put_task(TASK, Status(State.FAILED, "w", "trace"))
    assert worker_end.recv() == ("status", State.FAILED, "trace")
    assert store.task(TASK).state == State.FAILED


def test_log_records_cross_formatted_with_the_task_context():
    child_end, worker_end = multiprocessing.Pipe()
    handler = PipeLogHandler(Channel(child_end), TASK)
    logger = logging.getLogger("tests.unit.task_process.child")
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "rows %s", (object(),), None)
    handler.emit(record)
    kind, fields = worker_end.recv()
    rebuilt = logging.makeLogRecord(fields)
    assert kind == "log" and rebuilt.getMessage().startswith("rows <object object")
    # The context travels as fields, which the worker's filter keeps and its formatter shows.
    assert (rebuilt.connector_context, rebuilt.connector, rebuilt.task) == ("[orders|task-3] ", "orders", 3)


def test_a_level_set_through_admin_loggers_is_pushed_to_the_subscribers_at_once():
    from dbconnect.runtime import log_levels
    from dbconnect.runtime.rest.loggers import LoggerAdmin

    name = "tests.unit.pushed_levels"
    logging.getLogger(name).setLevel(logging.WARNING)
    pushed: list[dict[str, int]] = []
    unsubscribe = log_levels.on_levels_changed(pushed.append)
    try:
        LoggerAdmin().set_level(name, "DEBUG")
        assert len(pushed) == 1 and pushed[0][name] == logging.DEBUG  # during the call: no poll
    finally:
        unsubscribe()
        logging.getLogger(name).setLevel(logging.NOTSET)
    LoggerAdmin().set_level(name, "INFO")
    assert len(pushed) == 1  # unsubscribed (a task process that exited) hears nothing more
    logging.getLogger(name).setLevel(logging.NOTSET)
