"""DistributedHerder: a worker of a Connect cluster (Kafka's DistributedHerder).

One tick thread owns every state change: the group member's callbacks (assignment, revocation,
lost session), the config topic's updates and the REST layer's writes are all queued to it and run
there in order, so no two of them ever interleave. The REST layer's reads come straight from the
stores, which every worker reads to the end of their topics.

Who does what (docs/design/distributed.md):
- the group's leader (elected by Kafka's group coordinator) computes the assignment, writes
  connector configs, task configs (stamped with its generation), restart requests and the session
  key; any other worker answers such a write with NotLeaderError and the REST layer forwards it;
- the worker that runs a connector generates its task configs and hands them to the leader
  (``POST /connectors/<name>/tasks``, signed with the session key under ``connect.protocol=sessioned``);
- pause and resume are target states written to the config topic by whichever worker got them;
- every worker starts and stops only what it was assigned, revoked work first.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Protocol

from ...api.errors import RequestTimeoutError
from ..abstract_herder import AbstractHerder
from ..herder import RebalanceNeededError
from ..metrics import RebalanceMetrics
from ..stores.configs import TargetState
from ..stores.status import ConnectorTaskId, State, Status
from . import request_signing
from .cluster_requests import ClusterRequests
from .generation_status import mark_unassigned
from .peer_client import PeerClient, send_task_configs

log = logging.getLogger(__name__)

# Kafka's rest.request.timeout: a REST call waits this long for the tick thread, then answers 500.
REQUEST_TIMEOUT_S = 90.0
# How long a revocation may hold the group member's thread while the tick thread stops the work.
REVOKE_WAIT_S = 60.0
# A follower whose task configs could not reach the leader tries again after this long.
RECONFIGURE_RETRY_S = 1.0
# On shutdown, how long a member that is or may be the leader of a rebalance in progress lets it
# finish before leaving the group: on the test broker (Tansu 0.6) a leader that leaves mid-rebalance
# leaves the group stuck for good (docs/design/distributed.md, failures). A follower leaves at once.
STOP_SETTLE_S = 10.0



class GroupMember(Protocol):
    """What the herder needs of ``group_member.WorkerGroupMember``."""

    member_id: str | None

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def request_rejoin(self, reason: str) -> None: ...

    def stop_joining_unless_leading(self) -> bool: ...


class Protocols(Protocol):
    """The classes of ``connect_protocol`` the herder builds its metadata with (passed in)."""

    def worker_state(self, url: str, config_offset: int, connectors: list[str],
                     tasks: list[ConnectorTaskId]) -> Any: ...


class DistributedHerder(ClusterRequests, AbstractHerder):
    def __init__(self, worker: Any, config_store: Any, status_store: Any, *, url: str | None = None,
                 member_factory: Callable[["DistributedHerder"], GroupMember],
                 assignor: Any, protocols: Protocols, sessioned: bool = True,
                 sync_timeout_ms: int = 3000, unsync_backoff_ms: int = 300_000,
                 stop_settle_s: float = STOP_SETTLE_S, peers: PeerClient | None = None) -> None:
        super().__init__(worker.plugins, config_store, status_store)
        self.worker = worker
        self.url = url
        self.assignor = assignor
        self.protocols = protocols
        # connect.protocol=sessioned; requests are signed once the group agreed on it (V2).
        self.sessioned_configured = sessioned
        self.sessioned = sessioned
        self.sync_timeout_s = sync_timeout_ms / 1000.0
        self.unsync_backoff_s = unsync_backoff_ms / 1000.0
        self.stop_settle_s = stop_settle_s
        # Task configs to the leader go through the worker's one client for the other workers.
        self.peers = peers if peers is not None else PeerClient()
        config = getattr(worker, "config", None)
        self.validator.topic_creation_enabled = bool(config.get("topic.creation.enable", True)) if config else True
        self.config_transformer = getattr(worker, "config_transformer", None)
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue()
        self._lock = threading.RLock()  # guards the fields below (read by REST threads)
        self.generation = -1
        self._leader_id: str | None = None
        self._leader_url: str | None = None
        self._rebalancing = True  # until the first assignment
        self._owned_connectors: set[str] = set()
        self._owned_tasks: set[ConnectorTaskId] = set()
        self._running_connectors: set[str] = set()
        # Leader only: who runs what, from its last assignment (where a request is forwarded to).
        self._owner_urls: dict[str | ConnectorTaskId, str] = {}
        self._assigned_connectors: set[str] = set()
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._settled = threading.Event()  # set whenever an assignment has been acted on
        self._thread: threading.Thread | None = None
        self._cluster_id: str | None = None
        self._fencing_generation: int | None = None  # while leader: stamped on task config commits
        # The member is created at start(), once the REST listener is bound and ``url`` is known.
        self._member_factory = member_factory
        # Answered at GET /connect-worker-instance: tells this worker from another on the same URL.
        self.instance_id = uuid.uuid4().hex
        self.member: Any = None
        config_store.set_update_listener(_ConfigListener(self))
        # GET /metrics: connect-worker-rebalance-metrics, timed like the 409 window (_rebalancing).
        self.rebalance_metrics = RebalanceMetrics("sessioned" if sessioned else "compatible")
        self.rebalance_metrics.started()
        if getattr(worker, "metrics", None) is not None:
            worker.metrics.rebalance = self.rebalance_metrics

    # -- identity -----------------------------------------------------------------------------------
    @property
    def worker_id(self) -> str:
        return self.worker.worker_id

    def kafka_cluster_id(self) -> str | None:
        if self._cluster_id is None:
            try:
                from confluent_kafka.admin import AdminClient

                self._cluster_id = AdminClient(self.worker.admin_config()).list_topics(timeout=5).cluster_id
            except Exception as exc:
                log.warning("Could not read the Kafka cluster id: %s", exc)
        return self._cluster_id

    def is_ready(self) -> bool:
        return self._ready.is_set()

    @property
    def is_leader(self) -> bool:
        with self._lock:
            return self._leader_id is not None and self._leader_id == getattr(self.member, "member_id", None)

    @property
    def leader_url(self) -> str | None:
        with self._lock:
            return self._leader_url

    @property
    def rebalancing(self) -> bool:
        with self._lock:
            return self._rebalancing

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Read the internal topics, then join the group; the tick thread acts from then on."""
        self.config_store.start(self.sync_timeout_s * 10)
        start_status = getattr(self.status_store, "start", None)
        if callable(start_status):
            start_status(self.sync_timeout_s * 10)
        self.worker.start()
        self.member = self._member_factory(self)
        self._thread = threading.Thread(target=self._run, name="DistributedHerder-tick", daemon=True)
        self._thread.start()
        self.member.start()
        self._ready.set()

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._ready.clear()
        deadline = time.monotonic() + self.stop_settle_s
        while self.member is not None and not self.member.stop_joining_unless_leading() and \
                self._thread is not None and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)  # the round goes on on the member's threads: poll
        # Leave the group first (the others take the work over at once), then stop the work here.
        try:
            if self.member is not None:
                self.member.stop()
        except Exception:
            log.exception("Could not leave the group cleanly")
        if self._thread is not None:  # (None: start() failed before the tick thread ran)
            done = threading.Event()
            self._queue.put(lambda: (self._stop_all_work(), done.set()))
            done.wait(REVOKE_WAIT_S)
        self._stopping.set()
        self._queue.put(lambda: None)
        if self._thread is not None:
            self._thread.join(10)
        try:
            self.worker.stop()
        except Exception:
            log.exception("Could not stop the worker cleanly")
        for store in (self.status_store, self.config_store):
            try:
                if callable(getattr(store, "stop", None)):
                    store.stop()
            except Exception:
                log.exception("Could not stop %s", type(store).__name__)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                action = self._queue.get(timeout=1.0)
            except queue.Empty:
                continue
            try:
                action()
            except Exception:
                log.exception("Unexpected error in the herder's tick thread")

    def _enqueue(self, action: Callable[[], None]) -> None:
        self._queue.put(action)

    def _call(self, action: Callable[[], Any], writes: bool = True) -> Any:
        """Run ``action`` on the tick thread and return its result (a REST request).

        A write during a rebalance is refused at once (409), before and again after waiting in
        the queue: the group's assignment it would act on is about to change.
        """
        if writes and self.rebalancing:
            raise RebalanceNeededError()
        future: Future[Any] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                if writes and self.rebalancing:
                    raise RebalanceNeededError()
                future.set_result(action())
            except BaseException as exc:  # noqa: BLE001 - handed to the REST thread
                future.set_exception(exc)

        self._enqueue(run)
        try:
            return future.result(REQUEST_TIMEOUT_S)
        except FutureTimeout:
            future.cancel()
            raise RequestTimeoutError("Request timed out") from None

    # -- group membership (called on the group member's thread) ------------------------------------
    def metadata(self) -> Any:
        """This worker's state for a JoinGroup: its URL, config offset and what it runs."""
        with self._lock:
            self._rebalancing = True
            self.rebalance_metrics.started()
            self._settled.clear()
            connectors = sorted(self._owned_connectors)
            tasks = sorted(self._owned_tasks)
        return self.protocols.worker_state(self.url, self.config_store.offset, connectors, tasks)

    def perform_assignment(self, members: Mapping[str, Any], generation: int) -> dict[str, Any]:
        """Leader only, on the member's IO thread (quick, no blocking read): assign what the config
        topic holds as far as this worker has read it; a member that read further gets the leader a
        CONFIG_MISMATCH round (the assignor's), after which it reads to there and rejoins."""
        snapshot = self.config_store.snapshot()
        connectors = {name: snapshot.task_count(name) for name in snapshot.connector_configs}
        leader_id = getattr(self.member, "member_id", None) or ""
        urls: dict[str, list[str]] = {}
        for member_id, state in members.items():
            urls.setdefault(state.url, []).append(member_id)
        for url, ids in urls.items():
            if len(ids) > 1:
                log.error("Workers %s all advertise the REST URL %s: requests forwarded to it reach only one of "
                          "them. Give each worker its own rest.advertised.host.name / rest.advertised.port.",
                          ", ".join(sorted(ids)), url)
        with self._lock:
            last_generation = self.generation if self.generation >= 0 else None
        assignments = self.assignor.assign(leader_id, self.url, snapshot.offset, dict(members), connectors, generation,
                                           last_completed_generation=last_generation)
        owners: dict[str | ConnectorTaskId, str] = {}
        for member_id, state in members.items():
            allocation = getattr(state, "allocation", None)
            for connector in getattr(allocation, "connectors", None) or ():
                owners[connector] = state.url
            for task in getattr(allocation, "tasks", None) or ():
                owners[ConnectorTaskId(task.connector, task.task)] = state.url
        for member_id, assignment in assignments.items():
            url = members[member_id].url
            for connector in assignment.revoked_connectors:
                owners.pop(connector, None)
            for task in assignment.revoked_tasks:
                owners.pop(ConnectorTaskId(task.connector, task.task), None)
            for connector in assignment.connectors:
                owners[connector] = url
            for task in assignment.tasks:
                owners[ConnectorTaskId(task.connector, task.task)] = url
        with self._lock:
            self._owner_urls = owners
            self._member_urls = sorted(urls)  # every member's, for cluster_worker_urls
            self._assigned_connectors = set(connectors)
        return assignments

    def on_assigned(self, assignment: Any, generation: int) -> None:
        self._enqueue(lambda: self._handle_assignment(assignment, generation))

    def on_revoked(self, leader: str | None, connectors: list[str], tasks: list[Any]) -> None:
        """Revoked work is stopped before this returns (before the next join), on the tick thread."""
        done = threading.Event()

        def revoke() -> None:
            try:
                self._stop_work(list(connectors), [ConnectorTaskId(t.connector, t.task) for t in tasks], unassign=True)
            finally:
                done.set()

        with self._lock:
            self._rebalancing = True
            self.rebalance_metrics.started()
        self._enqueue(revoke)
        if not done.wait(REVOKE_WAIT_S):
            log.error("Revoked work did not stop within %.0f s", REVOKE_WAIT_S)

    def on_session_lost(self, reason: str) -> None:
        """Evicted (missed heartbeats): the others take our work over, so it stops here at once."""
        log.warning("Lost the group session (%s): stopping every connector and task of this worker", reason)
        with self._lock:
            self._rebalancing = True
            self.rebalance_metrics.started()
            self._leader_id = None
            self._fencing_generation = None
        self._enqueue(self._stop_all_work)

    # -- acting on an assignment (tick thread) ----------------------------------------------------
    def _handle_assignment(self, assignment: Any, generation: int) -> None:
        log.info("Joined group at generation %s as %s; leader %s (%s); assigned connectors %s, tasks %s; "
                 "revoked connectors %s, tasks %s; delay %s ms", generation, getattr(self.member, "member_id", None),
                 assignment.leader, assignment.leader_url, list(assignment.connectors),
                 [str(t) for t in assignment.tasks], list(assignment.revoked_connectors),
                 [str(t) for t in assignment.revoked_tasks], assignment.delay_ms)
        with self._lock:
            self.generation = generation
            self.sessioned = self.sessioned_configured and getattr(assignment, "version", 2) >= 2
            self._leader_id = assignment.leader
            self._leader_url = assignment.leader_url or None
        if assignment.error:
            # The leader had read more of the config topic than this worker: catch up, then rejoin.
            log.warning("The assignment failed (error %s): reading the config topic to %s and rejoining",
                        assignment.error, assignment.config_offset)
            self._catch_up(assignment.config_offset)
            self.member.request_rejoin("config offset mismatch")
            return
        if not self._catch_up(assignment.config_offset):
            return
        # The member hands over its whole assignment (kept work included): whatever runs here and
        # is not in it (revoked) stops first, then what is in it and does not run starts.
        assigned_connectors = set(assignment.connectors)
        assigned_tasks = {ConnectorTaskId(t.connector, t.task) for t in assignment.tasks}
        revoked_tasks = {ConnectorTaskId(t.connector, t.task) for t in assignment.revoked_tasks}
        with self._lock:
            stale_connectors = (self._owned_connectors | self._running_connectors) - assigned_connectors
            stale_connectors |= set(assignment.revoked_connectors) & self._running_connectors
        stale_tasks = (set(self.worker.task_ids()) | self._owned_tasks) - assigned_tasks
        stale_tasks |= revoked_tasks & set(self.worker.task_ids())
        self._stop_work(sorted(stale_connectors), sorted(stale_tasks), unassign=True)
        became_leader = False
        with self._lock:
            self._owned_connectors = assigned_connectors
            self._owned_tasks = assigned_tasks
            # A round that revoked work is followed at once by another (the member rejoins to have
            # it reassigned): the rebalance is not over yet.
            self._rebalancing = bool(assignment.revoked_connectors or assignment.revoked_tasks)
            if not self._rebalancing:
                self._settled.set()
                self.rebalance_metrics.completed_round(generation, assignment.leader_url)
            if self.is_leader and self._fencing_generation is None:
                became_leader = True
            elif not self.is_leader:
                self._fencing_generation = None
        if became_leader:
            # A new leader reads the config topic to its end before it writes, and stamps its commits
            # with a generation no earlier leader used.
            self.config_store.refresh(self.sync_timeout_s)
            fencing = getattr(self.config_store, "fencing_generation", None)
            with self._lock:
                self._fencing_generation = fencing(generation) if callable(fencing) else generation
        if self.is_leader and self.sessioned:
            request_signing.ensure_session_key(self.config_store)
        self._start_owned_work()

    def _catch_up(self, offset: int) -> bool:
        if self.config_store.offset >= offset:
            return True
        if self.config_store.refresh(self.sync_timeout_s) and self.config_store.offset >= offset:
            return True
        log.error("This worker could not read the config topic up to offset %s within worker.sync.timeout.ms "
                  "(%.0f ms); leaving the group for worker.unsync.backoff.ms (%.0f ms)", offset,
                  self.sync_timeout_s * 1000, self.unsync_backoff_s * 1000)
        self._stop_all_work()
        timer = threading.Timer(self.unsync_backoff_s, self.member.request_rejoin, args=("config topic resync",))
        timer.daemon = True
        timer.start()
        return False

    def _start_owned_work(self) -> None:
        snapshot = self.config_store.snapshot()
        running_tasks = set(self.worker.task_ids())
        with self._lock:
            connectors = sorted(self._owned_connectors - self._running_connectors)
            tasks = sorted(self._owned_tasks - running_tasks)
        for name in connectors:
            if name in snapshot.connector_configs:
                self._start_connector(name)
        for task_id in tasks:
            self._start_task(task_id, snapshot)

    def _start_connector(self, name: str) -> None:
        config = self.config_store.connector_config(name)
        if config is None:
            return
        target = self.config_store.target_state(name) or TargetState.STARTED
        with self._lock:
            self._running_connectors.add(name)
        if target == TargetState.STOPPED:
            self.status_store.put_connector(name, Status(State.STOPPED, self.worker_id))
            return

        def started_later(ok: bool) -> None:  # from the connector's supervisor: must not block
            if ok:
                self._enqueue(lambda: self._reconfigure(name))

        started = self.worker.start_connector(name, config, target, self._request_reconfiguration, started_later)
        if started:
            self._reconfigure(name)

    def _start_task(self, task_id: ConnectorTaskId, snapshot: Any) -> None:
        config = snapshot.connector_configs.get(task_id.connector)
        task_configs = snapshot.tasks(task_id.connector)
        if config is None or task_id.task >= len(task_configs):
            log.warning("Task %s was assigned but has no config (yet): not started", task_id)
            return
        target = snapshot.target_state(task_id.connector) or TargetState.STARTED
        if target == TargetState.STOPPED:
            return
        self.worker.start_task(task_id, dict(config), task_configs[task_id.task], target)

    def _stop_work(self, connectors: list[str], tasks: list[ConnectorTaskId], unassign: bool = False) -> None:
        if tasks:
            self.worker.stop_and_await_tasks(tasks)
        for name in connectors:
            self.worker.stop_connector(name)
        with self._lock:
            self._owned_connectors -= set(connectors)
            self._running_connectors -= set(connectors)
            self._owned_tasks -= set(tasks)
        if unassign:
            mark_unassigned(self.status_store, self.worker_id, connectors, tasks)

    def _stop_all_work(self, unassign: bool = True) -> None:
        with self._lock:
            connectors = sorted(self._owned_connectors | self._running_connectors)
            tasks = sorted(set(self._owned_tasks) | set(self.worker.task_ids()))
        self._stop_work(connectors, tasks, unassign)

    def _commit_generation(self) -> int:
        with self._lock:
            return self._fencing_generation if self._fencing_generation is not None else self.generation

    # -- task configs -------------------------------------------------------------------------------
    def _request_reconfiguration(self, name: str) -> None:
        # From a connector's own thread (its context): handled on the tick thread.
        self._enqueue(lambda: self._reconfigure(name))

    def _reconfigure(self, name: str) -> None:
        """The connector runs here: generate its task configs and have the leader write them."""
        config = self.config_store.connector_config(name)
        if config is None or not self.worker.connector_running(name):
            return
        if (self.config_store.target_state(name) or TargetState.STARTED) == TargetState.STOPPED:
            return
        configs = self._generate_task_configs(name, config)
        if configs is None:
            return
        if configs == self.config_store.task_configs(name) or self._stopped_target(name):
            return
        if self.is_leader:
            self.config_store.put_task_configs(name, configs, generation=self._commit_generation())
            return
        key = self.config_store.session_key() if self.sessioned or getattr(self, "require_signature", False) else None
        if not send_task_configs(self.peers, self.leader_url, name, configs, key):
            timer = threading.Timer(RECONFIGURE_RETRY_S, self._request_reconfiguration, args=(name,))
            timer.daemon = True
            timer.start()

    # -- config topic updates (tick thread) ------------------------------------------------------
    def _on_connector_config_update(self, name: str) -> None:
        with self._lock:
            runs_here = name in self._running_connectors
            new_to_leader = self.is_leader and name not in self._assigned_connectors
        if runs_here:
            # Its new config: restart the instance, which generates task configs again.
            self.worker.stop_connector(name)
            with self._lock:
                self._running_connectors.discard(name)
            self._start_connector(name)
        if new_to_leader:
            self.member.request_rejoin(f"connector {name} added")

    def _on_connector_config_remove(self, name: str) -> None:
        with self._lock:
            tasks = [t for t in self._owned_tasks if t.connector == name]
            connectors = [name] if name in self._owned_connectors or name in self._running_connectors else []
        tasks = sorted(set(tasks) | set(self.worker.task_ids(name)))
        self._stop_work(connectors, tasks)
        if self.is_leader:
            self.member.request_rejoin(f"connector {name} removed")

    def _on_task_config_update(self, names: set[str]) -> None:
        # As Kafka: the tasks of these connectors stop here but stay in this worker's allocation;
        # the rebalance the leader starts keeps or revokes them, and those kept start again with
        # their new configs (_start_owned_work starts what is owned and not running).
        self.worker.stop_and_await_tasks(sorted(t for t in self.worker.task_ids() if t.connector in names))
        if self.is_leader:
            self.member.request_rejoin("task configs of " + ", ".join(sorted(names)))

    def _on_target_state_change(self, name: str) -> None:
        target = self.config_store.target_state(name) or TargetState.STARTED
        with self._lock:
            runs_here = name in self._running_connectors
        if target == TargetState.STOPPED:
            self._stop_work([], sorted(t for t in self.worker.task_ids(name)))
            if runs_here:
                self.worker.stop_connector(name)
                self.status_store.put_connector(name, Status(State.STOPPED, self.worker_id))
            return
        if runs_here and not self.worker.connector_running(name):
            # It was STOPPED here (owned, no instance): start it now, it generates task configs.
            with self._lock:
                self._running_connectors.discard(name)
            self._start_connector(name)
            return
        self.worker.set_target_state(name, target)

    def _on_restart_request(self, request: Any) -> None:
        name = request.connector
        with self._lock:
            connector_here = name in self._running_connectors
            tasks_here = sorted(t for t in self._owned_tasks if t.connector == name)
        status = self.status_store.connector(name)
        if connector_here and (not request.only_failed or (status is not None and status.state == State.FAILED)):
            self.worker.stop_connector(name)
            with self._lock:
                self._running_connectors.discard(name)
            self._start_connector(name)
        if not request.include_tasks:
            return
        restart = [t for t in tasks_here if not request.only_failed or
                   (self.status_store.task(t) is not None and self.status_store.task(t).state == State.FAILED)]
        if restart:
            self.worker.stop_and_await_tasks(restart)
            snapshot = self.config_store.snapshot()
            for task_id in restart:
                self._start_task(task_id, snapshot)


class _ConfigListener:
    """The config store's update listener: called on the log's thread, so it only queues."""

    def __init__(self, herder: DistributedHerder) -> None:
        self._herder = herder

    def on_connector_config_update(self, name: str) -> None:
        self._herder._enqueue(lambda: self._herder._on_connector_config_update(name))

    def on_connector_config_remove(self, name: str) -> None:
        self._herder._enqueue(lambda: self._herder._on_connector_config_remove(name))

    def on_task_config_update(self, names: set[str]) -> None:
        names = set(names)
        self._herder._enqueue(lambda: self._herder._on_task_config_update(names))

    def on_target_state_change(self, name: str) -> None:
        self._herder._enqueue(lambda: self._herder._on_target_state_change(name))

    def on_restart_request(self, request: Any) -> None:
        self._herder._enqueue(lambda: self._herder._on_restart_request(request))

    def on_session_key_update(self, key: Any) -> None:
        pass  # read from the store when a request is signed or checked
