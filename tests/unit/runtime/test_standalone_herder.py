"""StandaloneHerder (over AbstractHerder) driving a fake worker: what it asks the worker to start and
stop, and what it leaves in the config, status and offset stores.

The fake records the herder's calls and answers them as a thread-mode Worker does (start() ran,
task configs come back at once), so these tests are pure logic: no broker, no connector process.
The connector class is real and goes through the real Plugins and validation; its task configs are
answered by the fake worker, one task per entry of the running instance's ``tables``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from dbconnect.api.connector import SourceConnector
from dbconnect.api.errors import AlreadyExistsError, BadRequestError, NotFoundError
from dbconnect.runtime.plugins import Plugins
from dbconnect.runtime.standalone import StandaloneHerder
from dbconnect.runtime.stores.configs import ConfigBackingStore, TargetState
from dbconnect.runtime.stores.offsets import FileOffsetBackingStore, OffsetBackingStore
from dbconnect.runtime.stores.status import (
    ConnectorTaskId,
    MemoryStatusBackingStore,
    State,
    Status,
    StatusBackingStore,
)


class TablesSourceConnector(SourceConnector):
    """Valid when it names its tables; the herder never runs it here (the fake worker does not)."""

    def start(self, props: Mapping[str, str]) -> None:
        raise AssertionError("the fake worker starts no connector instance")

    def task_class(self) -> type:
        raise AssertionError("the fake worker builds no task")

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        raise AssertionError("the fake worker answers the task configs")

    def stop(self) -> None:
        pass

    def validate(self, props: Mapping[str, str]) -> dict[str, list[str]]:
        return {} if props.get("tables") else {"tables": ["tables must name at least one table"]}


TASK_CLASS = "tests.unit.runtime.TablesTask"


class FakeWorker:
    """The part of runtime.worker.Worker that StandaloneHerder calls, recording every call.

    Connector statuses are written as Worker writes them (RUNNING/PAUSED on start, FAILED when
    start() fails or a connector call raises); task statuses RUNNING/PAUSED on start.
    """

    def __init__(self, plugins: Plugins, status_store: StatusBackingStore, offset_store: OffsetBackingStore) -> None:
        self.plugins = plugins
        self.status_store = status_store
        self.offset_store = offset_store
        self.worker_id = "fake-worker:8083"
        self.calls: list[tuple[Any, ...]] = []
        self.connectors: dict[str, dict[str, str]] = {}
        self.tasks: dict[ConnectorTaskId, dict[str, str]] = {}
        self.failing_task_configs: set[str] = set()
        # Process mode: start_connector answers None and reports its start through on_started.
        self.process_mode = False
        self.on_reconfigure: dict[str, Callable[[str], None]] = {}
        self.task_started = threading.Event()

    def start(self) -> None:
        self.calls.append(("start",))
        self.offset_store.start()

    def stop(self) -> None:
        self.calls.append(("stop",))
        self.offset_store.stop()

    def admin_config(self) -> dict[str, Any]:
        return {}

    # -- connectors --------------------------------------------------------------------------------
    def start_connector(self, name: str, config: dict[str, str], target_state: str,
                        on_reconfigure: Callable[[str], None],
                        on_started: Callable[[bool], None] | None = None) -> bool | None:
        self.calls.append(("start_connector", name, target_state))
        assert name not in self.connectors, f"connector {name} started twice"
        if config.get("fail.start") == "true":
            self.status_store.put_connector(name, Status(State.FAILED, self.worker_id, "start() failed"))
            return False
        self.connectors[name] = dict(config)
        self.on_reconfigure[name] = on_reconfigure
        state = State.PAUSED if target_state == TargetState.PAUSED else State.RUNNING
        self.status_store.put_connector(name, Status(state, self.worker_id))
        if self.process_mode:
            # The connector process's start() returned at once: the herder configures the tasks
            # on a thread of its own once this call (holding the herder's lock) is over.
            assert on_started is not None
            on_started(True)
            return None
        return True

    def stop_connector(self, name: str) -> None:
        self.calls.append(("stop_connector", name))
        self.connectors.pop(name, None)

    def connector_running(self, name: str) -> bool:
        return name in self.connectors

    def connector_task_configs(self, name: str, config: Mapping[str, str], max_tasks: int,
                               enforce: bool = True) -> list[dict[str, str]]:
        self.calls.append(("connector_task_configs", name, max_tasks))
        if name in self.failing_task_configs:
            raise RuntimeError("task_configs() raised")
        # What the running instance decided (it may have found new tables since it started).
        tables = self.connectors[name]["tables"].split(",")
        return [{"table": table, "task.class": TASK_CLASS} for table in tables][:max_tasks]

    def _connector_failed(self, name: str, error: BaseException) -> None:
        # The herder calls this private method of Worker (see the report on the fake's interface).
        self.calls.append(("connector_failed", name, str(error)))
        self.status_store.put_connector(name, Status(State.FAILED, self.worker_id, str(error)))

    def set_target_state(self, name: str, target_state: str) -> None:
        self.calls.append(("set_target_state", name, target_state))
        state = State.PAUSED if target_state == TargetState.PAUSED else State.RUNNING
        for task_id in self.task_ids(name):
            self.status_store.put_task(task_id, Status(state, self.worker_id))
        if name in self.connectors:
            self.status_store.put_connector(name, Status(state, self.worker_id))

    # -- tasks -------------------------------------------------------------------------------------
    def start_task(self, task_id: ConnectorTaskId, connector_config: Mapping[str, str],
                   task_config: Mapping[str, str], target_state: str) -> bool:
        self.calls.append(("start_task", task_id, dict(task_config), target_state))
        assert task_id not in self.tasks, f"task {task_id} started twice"
        self.tasks[task_id] = dict(task_config)
        state = State.PAUSED if target_state == TargetState.PAUSED else State.RUNNING
        self.status_store.put_task(task_id, Status(state, self.worker_id))
        self.task_started.set()
        return True

    def stop_and_await_tasks(self, task_ids: list[ConnectorTaskId]) -> None:
        self.calls.append(("stop_tasks", sorted(task_ids)))
        for task_id in task_ids:
            self.tasks.pop(task_id, None)

    def task_ids(self, connector: str | None = None) -> list[ConnectorTaskId]:
        return [t for t in self.tasks if connector is None or t.connector == connector]

    # -- what the tests read -----------------------------------------------------------------------
    def calls_named(self, *kinds: str) -> list[tuple[Any, ...]]:
        return [c for c in self.calls if c[0] in kinds]

    def forget_calls(self) -> None:
        self.calls.clear()


@pytest.fixture
def worker(tmp_path) -> FakeWorker:
    plugins = Plugins(load_entry_points=False)
    plugins.register(TablesSourceConnector)
    return FakeWorker(plugins, MemoryStatusBackingStore(), FileOffsetBackingStore(tmp_path / "offsets.json"))


@pytest.fixture
def herder(worker: FakeWorker) -> StandaloneHerder:
    herder = StandaloneHerder(worker)  # type: ignore[arg-type]  # duck-typed: Worker has no interface
    herder.start()
    yield herder
    herder.stop()


def config(tables: str = "a,b", **extra: str) -> dict[str, str]:
    return {"connector.class": "TablesSource", "tasks.max": "3", "tables": tables, **extra}


def tid(name: str, task: int) -> ConnectorTaskId:
    return ConnectorTaskId(name, task)


def states(herder: StandaloneHerder, name: str) -> tuple[str, list[str]]:
    status = herder.connector_status(name)
    return status["connector"]["state"], [t["state"] for t in status["tasks"]]


def test_ready_only_when_told_as_kafkas_standalone_cli_after_its_connector_files(worker):
    herder = StandaloneHerder(worker)  # type: ignore[arg-type]
    herder.start()
    assert herder.is_ready() is False
    herder.ready()
    assert herder.is_ready() is True
    herder.stop()
    assert herder.is_ready() is False


def test_create_starts_the_connector_then_one_task_per_task_config(herder, worker):
    created, info = herder.put_connector_config("src", config("a,b"), allow_replace=False)

    assert created is True
    assert info["tasks"] == [{"connector": "src", "task": 0}, {"connector": "src", "task": 1}]
    assert info["type"] == "source"
    assert worker.calls_named("start_connector", "start_task") == [
        ("start_connector", "src", TargetState.STARTED),
        ("start_task", tid("src", 0), {"table": "a", "task.class": TASK_CLASS}, TargetState.STARTED),
        ("start_task", tid("src", 1), {"table": "b", "task.class": TASK_CLASS}, TargetState.STARTED),
    ]
    # The stores behind their interfaces hold the config, the task configs and the statuses.
    assert isinstance(herder.config_store, ConfigBackingStore)
    assert herder.status_store is worker.status_store
    assert herder.config_store.connector_config("src") == {**config("a,b"), "name": "src"}
    assert [c["table"] for c in herder.config_store.task_configs("src")] == ["a", "b"]
    assert states(herder, "src") == (State.RUNNING, [State.RUNNING, State.RUNNING])
    assert herder.connectors() == ["src"]


def test_create_of_an_existing_connector_without_replace_is_refused_and_starts_nothing(herder, worker):
    herder.put_connector_config("src", config(), allow_replace=False)
    worker.forget_calls()

    with pytest.raises(AlreadyExistsError):
        herder.put_connector_config("src", config("z"), allow_replace=False)

    assert worker.calls == []
    assert herder.config_store.connector_config("src")["tables"] == "a,b"


def test_a_second_put_of_the_same_config_restarts_the_connector_and_its_tasks(herder, worker):
    herder.put_connector_config("src", config("a,b"), allow_replace=False)
    worker.forget_calls()

    created, info = herder.put_connector_config("src", config("a,b"), allow_replace=True)

    assert created is False
    assert len(info["tasks"]) == 2
    # Stop tasks, stop the connector, start it, and (forced, although the task configs did not
    # change) stop and start the tasks again.
    assert worker.calls_named("stop_tasks", "stop_connector", "start_connector", "start_task") == [
        ("stop_tasks", [tid("src", 0), tid("src", 1)]),
        ("stop_connector", "src"),
        ("start_connector", "src", TargetState.STARTED),
        ("stop_tasks", []),
        ("start_task", tid("src", 0), {"table": "a", "task.class": TASK_CLASS}, TargetState.STARTED),
        ("start_task", tid("src", 1), {"table": "b", "task.class": TASK_CLASS}, TargetState.STARTED),
    ]
    assert states(herder, "src") == (State.RUNNING, [State.RUNNING, State.RUNNING])


def test_a_config_update_restarts_the_tasks_with_the_new_configs_and_forgets_the_dropped_ones(herder, worker):
    herder.put_connector_config("src", config("a,b,c"), allow_replace=False)
    worker.forget_calls()

    herder.put_connector_config("src", config("x,y"), allow_replace=True)

    assert worker.tasks == {tid("src", 0): {"table": "x", "task.class": TASK_CLASS},
                            tid("src", 1): {"table": "y", "task.class": TASK_CLASS}}
    assert [c["table"] for c in herder.config_store.task_configs("src")] == ["x", "y"]
    assert [c[2]["table"] for c in worker.calls_named("start_task")] == ["x", "y"]
    assert herder.config_store.connector_config("src")["tables"] == "x,y"
    # Task 2 no longer exists: its status is gone from the store, not just hidden.
    assert sorted(herder.status_store.tasks("src")) == [0, 1]
    with pytest.raises(NotFoundError):
        herder.task_status("src", 2)


def test_patch_merges_into_the_stored_config_and_reconfigures(herder, worker):
    herder.put_connector_config("src", config("a", extra="1"), allow_replace=False)

    info = herder.patch_connector_config("src", {"tables": "a,b", "extra": None})

    assert "extra" not in herder.config_store.connector_config("src")
    assert info["config"]["tables"] == "a,b"
    assert sorted(worker.tasks) == [tid("src", 0), tid("src", 1)]


def test_a_config_that_fails_validation_is_answered_and_nothing_starts(herder, worker):
    bad = {"name": "src", "connector.class": "TablesSource", "tasks.max": "1"}

    answer = herder.validate_connector_config("TablesSource", bad)
    assert answer["name"] == f"{TablesSourceConnector.__module__}.TablesSourceConnector"
    assert answer["error_count"] == 1
    tables = [c["value"] for c in answer["configs"] if c["value"]["name"] == "tables"]
    assert tables == [{"name": "tables", "value": None, "recommended_values": [], "errors":
                       ["tables must name at least one table"], "visible": True}]

    with pytest.raises(BadRequestError, match="tables must name at least one table"):
        herder.put_connector_config("src", bad, allow_replace=False)
    assert worker.calls_named("start_connector", "start_task") == []
    assert herder.config_store.connector_config("src") is None
    assert herder.connectors() == []


def test_a_connector_whose_start_fails_is_failed_and_has_no_tasks(herder, worker):
    herder.put_connector_config("src", config("a", **{"fail.start": "true"}), allow_replace=False)

    assert worker.calls_named("start_task", "connector_task_configs") == []
    assert states(herder, "src") == (State.FAILED, [])


def test_task_configs_that_raise_fail_the_connector_and_start_no_task(herder, worker):
    worker.failing_task_configs.add("src")

    herder.put_connector_config("src", config("a"), allow_replace=False)

    assert worker.calls_named("connector_failed") == [("connector_failed", "src", "task_configs() raised")]
    assert worker.calls_named("start_task") == []
    assert states(herder, "src") == (State.FAILED, [])


def test_pause_and_resume_move_the_target_state_and_ask_the_worker(herder, worker):
    herder.put_connector_config("src", config("a,b"), allow_replace=False)
    worker.forget_calls()

    herder.pause_connector("src")
    assert herder.config_store.target_state("src") == TargetState.PAUSED
    assert states(herder, "src") == (State.PAUSED, [State.PAUSED, State.PAUSED])

    herder.resume_connector("src")
    assert herder.config_store.target_state("src") == TargetState.STARTED
    assert states(herder, "src") == (State.RUNNING, [State.RUNNING, State.RUNNING])

    # Neither restarts anything: the worker only moves the running instances.
    assert worker.calls == [("set_target_state", "src", TargetState.PAUSED),
                            ("set_target_state", "src", TargetState.STARTED)]


def test_a_connector_created_paused_starts_its_tasks_paused(herder, worker):
    herder.put_connector_config("src", config("a"), allow_replace=False, initial_state="PAUSED")

    assert worker.calls_named("start_connector", "start_task") == [
        ("start_connector", "src", TargetState.PAUSED),
        ("start_task", tid("src", 0), {"table": "a", "task.class": TASK_CLASS}, TargetState.PAUSED),
    ]
    assert states(herder, "src") == (State.PAUSED, [State.PAUSED])


def test_stop_stops_everything_and_resume_starts_it_again(herder, worker):
    herder.put_connector_config("src", config("a,b"), allow_replace=False)
    worker.forget_calls()

    herder.stop_connector("src")
    assert worker.connectors == {} and worker.tasks == {}
    assert herder.config_store.task_configs("src") == []
    assert herder.status_store.tasks("src") == {}
    assert states(herder, "src") == (State.STOPPED, [])
    with pytest.raises(BadRequestError, match="STOPPED"):
        herder.restart_connector("src")

    herder.resume_connector("src")
    assert sorted(worker.tasks) == [tid("src", 0), tid("src", 1)]
    assert states(herder, "src") == (State.RUNNING, [State.RUNNING, State.RUNNING])


def test_restart_of_the_connector_alone_leaves_its_tasks_running(herder, worker):
    herder.put_connector_config("src", config("a,b"), allow_replace=False)
    worker.forget_calls()

    assert herder.restart_connector("src") is None

    # The task configs did not change, so the (unforced) reconfiguration keeps the tasks.
    assert worker.calls_named("stop_connector", "start_connector", "stop_tasks", "start_task") == [
        ("stop_connector", "src"),
        ("start_connector", "src", TargetState.STARTED),
    ]
    assert sorted(worker.tasks) == [tid("src", 0), tid("src", 1)]


def test_restart_with_include_tasks_restarts_the_connector_and_every_task(herder, worker):
    herder.put_connector_config("src", config("a,b"), allow_replace=False)
    worker.forget_calls()

    answer = herder.restart_connector("src", include_tasks=True)

    assert answer["connector"]["state"] == State.RESTARTING
    assert [t["state"] for t in answer["tasks"]] == [State.RESTARTING, State.RESTARTING]
    assert worker.calls_named("stop_connector", "start_connector", "stop_tasks", "start_task",
                              "connector_task_configs") == [
        ("stop_tasks", [tid("src", 0), tid("src", 1)]),
        ("stop_connector", "src"),
        ("start_connector", "src", TargetState.STARTED),
        ("start_task", tid("src", 0), {"table": "a", "task.class": TASK_CLASS}, TargetState.STARTED),
        ("start_task", tid("src", 1), {"table": "b", "task.class": TASK_CLASS}, TargetState.STARTED),
    ]


def test_restart_only_failed_restarts_the_failed_task_and_not_the_running_connector(herder, worker):
    herder.put_connector_config("src", config("a,b"), allow_replace=False)
    herder.status_store.put_task(tid("src", 1), Status(State.FAILED, worker.worker_id, "boom"))
    worker.forget_calls()

    answer = herder.restart_connector("src", include_tasks=True, only_failed=True)

    assert answer["connector"]["state"] == State.RUNNING
    assert [t["state"] for t in answer["tasks"]] == [State.RUNNING, State.RESTARTING]
    assert "trace" not in answer["tasks"][1]
    assert worker.calls == [
        ("stop_tasks", [tid("src", 1)]),
        ("start_task", tid("src", 1), {"table": "b", "task.class": TASK_CLASS}, TargetState.STARTED),
    ]
    assert states(herder, "src") == (State.RUNNING, [State.RUNNING, State.RUNNING])


def test_restart_only_failed_of_a_failed_connector_without_tasks_restarts_the_connector_alone(herder, worker):
    herder.put_connector_config("src", config("a"), allow_replace=False)
    herder.status_store.put_connector("src", Status(State.FAILED, worker.worker_id, "boom"))
    worker.forget_calls()

    answer = herder.restart_connector("src", include_tasks=False, only_failed=True)

    assert answer["connector"]["state"] == State.RESTARTING
    assert worker.calls == [("stop_connector", "src"), ("start_connector", "src", TargetState.STARTED)]
    assert states(herder, "src") == (State.RUNNING, [State.RUNNING])


def test_restart_task_restarts_that_task_only_and_an_unknown_task_is_not_found(herder, worker):
    herder.put_connector_config("src", config("a,b"), allow_replace=False)
    worker.forget_calls()

    herder.restart_task("src", 1)
    assert worker.calls == [
        ("stop_tasks", [tid("src", 1)]),
        ("start_task", tid("src", 1), {"table": "b", "task.class": TASK_CLASS}, TargetState.STARTED),
    ]
    with pytest.raises(NotFoundError):
        herder.restart_task("src", 2)


def test_delete_stops_the_tasks_and_the_connector_and_forgets_it(herder, worker):
    herder.put_connector_config("src", config("a,b"), allow_replace=False)
    herder.put_connector_config("other", config("c"), allow_replace=False)
    worker.forget_calls()

    herder.delete_connector("src")

    assert worker.calls == [("stop_tasks", [tid("src", 0), tid("src", 1)]), ("stop_connector", "src")]
    assert herder.connectors() == ["other"]
    assert herder.config_store.connector_config("src") is None
    assert herder.status_store.connector("src") is None and herder.status_store.tasks("src") == {}
    with pytest.raises(NotFoundError):
        herder.connector_status("src")
    with pytest.raises(NotFoundError):
        herder.delete_connector("src")
    assert states(herder, "other") == (State.RUNNING, [State.RUNNING])


def test_status_and_task_configs_answer_for_each_task(herder, worker):
    herder.put_connector_config("src", config("a,b"), allow_replace=False)

    status = herder.connector_status("src")
    assert status["name"] == "src" and status["type"] == "source"
    assert status["connector"] == {"state": State.RUNNING, "worker_id": worker.worker_id}
    assert herder.task_status("src", 1) == {"id": 1, "state": State.RUNNING, "worker_id": worker.worker_id}
    assert [t["config"]["table"] for t in herder.task_configs("src")] == ["a", "b"]
    with pytest.raises(NotFoundError):
        herder.connector_status("missing")


def test_source_offsets_live_in_the_workers_offset_store_and_change_only_when_stopped(herder, worker, tmp_path):
    herder.put_connector_config("src", config("a"), allow_replace=False)
    entry = {"partition": {"table": "a"}, "offset": {"id": 7}}

    with pytest.raises(BadRequestError, match="STOPPED"):
        herder.alter_connector_offsets("src", [entry])

    herder.stop_connector("src")
    herder.alter_connector_offsets("src", [entry])
    assert herder.connector_offsets("src") == {"offsets": [entry]}
    # The store is the worker's file store: a fresh one over the same file reads the same offset.
    reread = FileOffsetBackingStore(tmp_path / "offsets.json")
    reread.start()
    assert reread.connector_offsets("src") == [entry]

    herder.reset_connector_offsets("src")
    assert herder.connector_offsets("src") == {"offsets": []}


def test_process_mode_answers_once_the_connector_started_with_its_tasks(herder, worker):
    worker.process_mode = True

    created, info = herder.put_connector_config("src", config("a,b"), allow_replace=False)

    # start_connector answered None; the PUT waited for the start to settle and the task configs.
    assert created is True
    assert info["tasks"] == [{"connector": "src", "task": 0}, {"connector": "src", "task": 1}]
    assert sorted(worker.tasks) == [tid("src", 0), tid("src", 1)]


def test_a_connector_asking_for_reconfiguration_gets_its_tasks_restarted_with_new_configs(herder, worker):
    herder.put_connector_config("src", config("a"), allow_replace=False)
    worker.task_started.clear()
    # The connector found another table (as a JDBC source's table monitor does) and asks for new
    # task configs through its context; the herder answers on a thread of its own.
    worker.connectors["src"]["tables"] = "a,b"

    worker.on_reconfigure["src"]("src")

    assert worker.task_started.wait(10), "the reconfiguration started no task"
    with herder._lock:  # the reconfiguration thread holds it until every task started
        assert [c["table"] for c in herder.config_store.task_configs("src")] == ["a", "b"]
        assert sorted(worker.tasks) == [tid("src", 0), tid("src", 1)]


def test_a_hidden_secret_put_back_keeps_the_stored_one_and_is_refused_when_none_is_stored(herder):
    herder.put_connector_config("src", config("a", **{"db.password": "s3cret-pw", "db.url": "pg://u:s3cret-pw@h/d"}),
                                allow_replace=False)
    shown = herder.connector_config("src")
    assert shown["db.password"] == "[hidden]" and shown["db.url"] == "pg://u:[hidden]@h/d"
    herder.put_connector_config("src", {**shown, "tables": "a,b"}, allow_replace=True)
    stored = herder.config_store.connector_config("src")
    assert stored["db.password"] == "s3cret-pw" and stored["db.url"] == "pg://u:s3cret-pw@h/d"
    assert stored["tables"] == "a,b"
    # Nothing stored to keep: the mask is refused, never stored as the secret.
    with pytest.raises(BadRequestError, match=r"The value of db.password is \[hidden\].*no stored value"):
        herder.put_connector_config("other", config("a", **{"db.password": "[hidden]"}), allow_replace=False)
    with pytest.raises(BadRequestError, match=r"The value of other.password is \[hidden\]"):
        herder.put_connector_config("src", {**shown, "other.password": "[hidden]"}, allow_replace=True)
    assert herder.config_store.connector_config("other") is None


def test_an_expired_config_provider_value_restarts_the_connector_and_its_tasks(herder, worker):
    import time

    herder.put_connector_config("src", config("a"), allow_replace=False)
    connectors, tasks = len(worker.calls_named("start_connector")), len(worker.calls_named("start_task"))
    assert worker.on_config_ttl == herder._schedule_reload  # the worker reports TTLs to this herder
    herder._schedule_reload("src", 20)
    deadline = time.monotonic() + 10
    while len(worker.calls_named("start_task")) == tasks and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(worker.calls_named("start_connector")) == connectors + 1
    assert len(worker.calls_named("start_task")) > tasks
    # A reload scheduled for a connector deleted since does nothing.
    herder._schedule_reload("src", 60_000)
    herder.delete_connector("src")
    assert herder._reloads == {}
