"""A worker's membership of its Connect group, on Kafka's own group coordinator.

Kafka Connect's WorkerGroupMember/WorkerCoordinator in Python: the one adapter module over
kafka-python's ``BaseCoordinator`` (librdkafka, under confluent-kafka, has no custom protocol types).
The member joins ``group.id`` with protocol type ``connect`` and the metadata of
``connect_protocol.py``; the coordinator elects the leader; the leader's ``perform_assignment`` (the
herder, calling the assignor) computes every member's assignment, which the coordinator hands out
through SyncGroup.

Threads: kafka-python runs its network loop, and with it heartbeats, on an IO thread of its own, so
heartbeats are never starved by the herder. JoinGroup/SyncGroup are driven from this module's member
thread, which also calls the listener's ``on_revoked``/``on_assigned``. ``metadata()`` and
``perform_assignment()`` are called on kafka-python's IO thread during a join, and
``on_session_lost()`` on whichever thread notices the loss: those three must be quick and must not
block. ``on_revoked`` may block until the revoked work is stopped (heartbeats keep flowing meanwhile).

What this module does for the herder, as Kafka's WorkerCoordinator and DistributedHerder do:
- ``on_assigned`` receives the member's *whole* current assignment: the leader sends only new work
  (cooperative protocol), so the work kept from earlier rounds is added and the revoked work removed;
  the revoked lists stay on the object for information;
- after a round that revoked work, it rejoins at once (revocation in one round, reassignment in the next);
- a rejoin asked for while a round is in flight is not lost when that round completes: one more
  round follows it (``_ConnectCoordinator.request_member_rejoin``);
- a positive ``delay_ms`` makes it rejoin when the delay has passed (lost work held back, KIP-415); a
  round without a delay cancels that rejoin;
- its JoinGroup metadata embeds its last assignment (``_join_metadata``), as Kafka's does: at a
  delay's end that makes the rejoin a metadata change, which the test broker needs to rebalance;
- losing the session (eviction: UnknownMemberId/IllegalGeneration on a heartbeat, or no heartbeat
  acknowledged for ``session.timeout.ms``) calls ``on_session_lost`` once, forgets the assignment, and
  rejoins as a new member.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any, Protocol

from kafka import errors as kafka_errors
from kafka.coordinator.base import BaseCoordinator
from kafka.net.compat import KafkaNetClient
from kafka.protocol.consumer.group import DEFAULT_GENERATION_ID, UNKNOWN_MEMBER_ID

from ...api.errors import ConfigError, ConnectError
from ..kafka_clients import translate
from ..stores.status import ConnectorTaskId
from .connect_protocol import (
    PROTOCOL_VERSIONS, ExtendedAssignment, WorkerState, deserialize_assignment, deserialize_metadata,
    metadata_protocols, protocols_for, serialize_assignment)

log = logging.getLogger(__name__)

PROTOCOL_TYPE = "connect"

# Kafka Connect's defaults for the distributed worker's group settings.
DEFAULTS = {"session.timeout.ms": 10000, "heartbeat.interval.ms": 3000, "rebalance.timeout.ms": 60000,
            "connect.protocol": "sessioned"}

# librdkafka (or Java) key -> kafka-python argument, for the client the member opens.
_INT_KEYS = {
    "session.timeout.ms": "session_timeout_ms",
    "heartbeat.interval.ms": "heartbeat_interval_ms",
    "rebalance.timeout.ms": "max_poll_interval_ms",
    "request.timeout.ms": "request_timeout_ms",
    "retry.backoff.ms": "retry_backoff_ms",
    "reconnect.backoff.ms": "reconnect_backoff_ms",
    "reconnect.backoff.max.ms": "reconnect_backoff_max_ms",
    "metadata.max.age.ms": "metadata_max_age_ms",
    "connections.max.idle.ms": "connections_max_idle_ms",
}
_SSL_KEYS = {
    "ssl.ca.location": "ssl_cafile",
    "ssl.certificate.location": "ssl_certfile",
    "ssl.key.location": "ssl_keyfile",
    "ssl.key.password": "ssl_password",
    "ssl.crl.location": "ssl_crlfile",
    "ssl.cipher.suites": "ssl_ciphers",
}
_SASL_MECHANISMS = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "GSSAPI"}
_SECURITY_PROTOCOLS = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}
# Java settings for formats librdkafka and kafka-python do not read (JKS/PKCS12 stores).
_UNMAPPABLE = {"ssl.truststore.location", "ssl.truststore.password", "ssl.keystore.location",
               "ssl.keystore.password", "ssl.key.pem", "ssl.certificate.pem", "ssl.ca.pem"}
# Settings that need nothing on the kafka-python side (file formats implied by PEM locations).
_HARMLESS = {"ssl.truststore.type", "ssl.keystore.type", "ssl.protocol", "ssl.enabled.protocols"}


class GroupListener(Protocol):
    """The herder's side of the membership (Kafka's WorkerRebalanceListener plus the leader's assignor)."""

    def metadata(self) -> WorkerState:
        """This worker's URL, the config offset it has read and what it runs now (IO thread; quick)."""

    def perform_assignment(self, members: dict[str, WorkerState], generation: int) -> dict[str, ExtendedAssignment]:
        """Leader only: every member's assignment for ``generation`` (IO thread; quick)."""

    def on_assigned(self, assignment: ExtendedAssignment, generation: int) -> None:
        """The round is complete: ``assignment`` holds everything this member owns now."""

    def on_revoked(self, leader: str, connectors: list[str], tasks: list[ConnectorTaskId]) -> None:
        """Stop this work before returning: it may start elsewhere in the next round."""

    def on_session_lost(self, reason: str) -> None:
        """The group has moved on without this member: stop all work at once (must not block)."""


def kafka_python_settings(worker_config: Mapping[str, Any]) -> dict[str, Any]:
    """The kafka-python arguments for a worker's group member; ConfigError for what cannot be honoured."""
    group_id = str(worker_config.get("group.id") or "").strip()
    if not group_id:
        raise ConfigError("Missing required configuration \"group.id\" which has no default value.",
                          {"group.id": ["required for a distributed worker"]})
    servers = str(worker_config.get("bootstrap.servers") or "").strip()
    if not servers:
        raise ConfigError("Missing required configuration \"bootstrap.servers\" which has no default value.",
                          {"bootstrap.servers": ["required"]})
    out: dict[str, Any] = {"group_id": group_id, "bootstrap_servers": [s.strip() for s in servers.split(",") if s.strip()]}
    for key, default in DEFAULTS.items():
        if key in _INT_KEYS:
            out[_INT_KEYS[key]] = default
    for key, arg in _INT_KEYS.items():
        if key in worker_config and str(worker_config[key]).strip() != "":
            try:
                out[arg] = int(str(worker_config[key]).strip())
            except ValueError:
                raise ConfigError(f"Invalid value {worker_config[key]} for configuration {key}: Not a number of type INT",
                                  {key: ["Not a number of type INT"]}) from None
    if out["heartbeat_interval_ms"] >= out["session_timeout_ms"]:
        raise ConfigError(
            f"heartbeat.interval.ms ({out['heartbeat_interval_ms']}) must be lower than session.timeout.ms "
            f"({out['session_timeout_ms']}); Kafka recommends at most a third of it",
            {"heartbeat.interval.ms": ["must be lower than session.timeout.ms"]})
    if "client.id" in worker_config:
        out["client_id"] = str(worker_config["client.id"])

    security = {k: v for k, v in worker_config.items()
                if k == "security.protocol" or k.startswith("ssl.") or k.startswith("sasl.")}
    for key in security:
        if key in _UNMAPPABLE:
            raise ConfigError(
                f"{key} cannot be used by the distributed worker's group member (kafka-python reads PEM files): "
                "give ssl.ca.location / ssl.certificate.location / ssl.key.location instead",
                {key: ["not supported for group membership; use the PEM file settings"]})
    translated = translate({k: v for k, v in security.items() if k not in _HARMLESS})
    for key, value in translated.items():
        value = str(value).strip()
        if key == "security.protocol":
            protocol = value.upper()
            if protocol not in _SECURITY_PROTOCOLS:
                raise ConfigError(f"Invalid value {value} for configuration security.protocol",
                                  {key: [f"must be one of {', '.join(sorted(_SECURITY_PROTOCOLS))}"]})
            out["security_protocol"] = protocol
        elif key in _SSL_KEYS:
            out[_SSL_KEYS[key]] = value
        elif key == "ssl.endpoint.identification.algorithm":
            if value.lower() not in ("https", "none", ""):
                raise ConfigError(f"Invalid value {value} for configuration {key}", {key: ["must be https or none"]})
            out["ssl_check_hostname"] = value.lower() == "https"
        elif key == "sasl.mechanisms":
            if value.upper() not in _SASL_MECHANISMS:
                raise ConfigError(
                    f"sasl.mechanism={value} is not supported for the distributed worker's group membership: "
                    f"use one of {', '.join(sorted(_SASL_MECHANISMS))}",
                    {"sasl.mechanism": [f"must be one of {', '.join(sorted(_SASL_MECHANISMS))}"]})
            out["sasl_mechanism"] = value.upper()
        elif key == "sasl.username":
            out["sasl_plain_username"] = value
        elif key == "sasl.password":
            out["sasl_plain_password"] = value
        elif key == "sasl.kerberos.service.name":
            out["sasl_kerberos_service_name"] = value
        else:
            raise ConfigError(
                f"{key} cannot be honoured by the distributed worker's group member (kafka-python): remove it "
                "or use a setting it maps (security.protocol, ssl.ca.location, ssl.certificate.location, "
                "ssl.key.location, ssl.key.password, ssl.crl.location, ssl.cipher.suites, "
                "ssl.endpoint.identification.algorithm, sasl.mechanism, sasl.jaas.config, sasl.username, "
                "sasl.password, sasl.kerberos.service.name)",
                {key: ["not supported for group membership"]})
    return out


class _ConnectCoordinator(BaseCoordinator):
    """BaseCoordinator with protocol type ``connect``; every hook hands over to the WorkerGroupMember.

    One fix of kafka-python (3.0.x): the member thread waits for a round in slices
    (``ensure_active_group(timeout_ms=1000)``) and kafka-python keeps the JoinGroup/SyncGroup task
    between slices, but a task that *completed* between two slices is taken for a stale one and a new
    JoinGroup is sent: the round the coordinator completed (its assignment) is dropped, and the
    member spends another round (≈ 5 s on the test broker) getting it again. Kafka's
    AbstractCoordinator keeps its join future until the result is consumed. Here a completed round's
    assignment is kept until ``_on_join_complete_async`` consumes it, and the next attempt hands it
    over instead of sending a JoinGroup (unless the generation was reset meanwhile).

    And one difference: kafka-python clears ``rejoin_needed`` when a round completes, so a rejoin the
    herder asked for while a round was in flight (its JoinGroup sent, its assignment possibly
    computed before the change the rejoin is for) was lost with it. Kafka's herder never asks during
    a round (its tick thread drives the join and handles config updates only once it completed);
    ours asks from its own threads, so the member's requests (``request_member_rejoin``) are counted,
    and a round whose JoinGroup went out before the last request is followed by one more round.
    kafka-python's own ``request_rejoin()`` (a heartbeat answered REBALANCE_IN_PROGRESS: the round
    in flight is that rebalance) is not counted.

    For a stop it also knows whether a JoinGroup of this member awaits its answer and which member
    the last answer named leader (``round_leader``), and it sends no JoinGroup once ``joins_closed``.
    """

    def __init__(self, client: KafkaNetClient, member: WorkerGroupMember, **configs: Any) -> None:
        self._member = member
        self._unclaimed_assignment: bytes | None = None
        # The member's rejoin requests so far, and how many of them the round in flight was sent after.
        self._member_requests = 0
        self._requests_before_join = 0
        # A JoinGroup of ours is out and unanswered: the coordinator may have made us the leader.
        self.join_awaits_answer = False
        self.round_leader: str | None = None  # the leader named by the last JoinGroup answer
        self.joins_closed = False  # leaving: no JoinGroup from now on
        super().__init__(client, **configs)

    def request_member_rejoin(self) -> None:
        """A rejoin the member (the herder) asked for: kept across a round already in flight."""
        with self._lock:
            self._member_requests += 1
            self.rejoin_needed = True

    def protocol_type(self) -> str:
        return PROTOCOL_TYPE

    def group_protocols(self) -> list[tuple[str, bytes]]:
        return metadata_protocols(self._member._join_metadata(), self._member.connect_protocol)

    def _perform_assignment(self, leader_id, protocol, members):
        return self._member._perform_assignment(leader_id, protocol, members, self._generation.generation_id)

    async def _do_join_and_sync_async(self):
        unclaimed, self._unclaimed_assignment = self._unclaimed_assignment, None
        if unclaimed is not None:
            log.info("Group %s: taking the assignment of generation %s, completed while no one waited for it, "
                     "instead of joining again", self.group_id, self._generation.generation_id)
            return unclaimed
        with self._lock:  # the JoinGroup built now (its metadata too) answers the requests made so far
            if self.joins_closed:
                raise _Leaving(f"member of group {self.group_id} is leaving: no JoinGroup sent")
            self._requests_before_join = self._member_requests
            self.join_awaits_answer = True
        try:
            assignment = await super()._do_join_and_sync_async()
        finally:
            with self._lock:
                self.join_awaits_answer = False
        self._unclaimed_assignment = assignment
        return assignment

    def _process_join_group_response(self, response, send_time):
        try:
            response = super()._process_join_group_response(response, send_time)
        finally:
            with self._lock:
                self.join_awaits_answer = False
        with self._lock:
            self.round_leader = response.leader or None
        return response

    async def _on_join_complete_async(self, generation, member_id, protocol, member_assignment_bytes):
        self._unclaimed_assignment = None
        with self._lock:
            if self._member_requests != self._requests_before_join:
                log.info("Group %s: a rejoin was requested while the round of generation %s was in flight; "
                         "rejoining after it", self.group_id, generation)
                self.rejoin_needed = True
        self._member._joined(generation, member_id, protocol, member_assignment_bytes)

    def reset_generation(self, member_id=UNKNOWN_MEMBER_ID):
        self._unclaimed_assignment = None
        self.round_leader = None
        self._member._generation_reset()
        super().reset_generation(member_id)


class _Leaving(kafka_errors.KafkaError):
    """A join attempt refused because the member is leaving the group (not retried)."""


class WorkerGroupMember:
    """One worker's membership of its Connect group (see the module docstring for the threads)."""

    def __init__(self, worker_config: Mapping[str, Any], url: str, listener: GroupListener) -> None:
        self.settings = kafka_python_settings(worker_config)
        self.connect_protocol = str(worker_config.get("connect.protocol") or DEFAULTS["connect.protocol"]).strip().lower()
        protocols_for(self.connect_protocol)  # refuses eager / unknown values now, not at the first join
        self.url = url
        self.listener = listener
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: KafkaNetClient | None = None
        self._coordinator: _ConnectCoordinator | None = None
        self._rejoin_reason: str | None = None
        self._rejoin_at: float | None = None
        # What this member owns (the augmented assignment) and the generation it came with.
        self._snapshot: ExtendedAssignment | None = None
        self._owned_generation: int | None = None
        self._pending: tuple[int, str, str, bytes] | None = None
        self._leader_id: str | None = None
        self._leader_url: str | None = None
        self.last_error: BaseException | None = None
        # How long start() waits for a broker of bootstrap.servers to answer.
        self.bootstrap_timeout_s = 30.0

    # -- public API ------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the client, learn the brokers' API versions (up to 30 s), then join on the member thread.

        Raises ConnectError when no broker of ``bootstrap.servers`` answers in time.
        """
        if self._thread is not None:
            return
        self._client = KafkaNetClient(**self._client_config())
        self._client._net.start()
        try:
            self._coordinator = _ConnectCoordinator(self._client, self, **self._coordinator_config())
        except kafka_errors.KafkaError as exc:
            self._client.close()
            self._client = None
            raise ConnectError(
                f"The distributed worker could not reach the Kafka cluster at {','.join(self.settings['bootstrap_servers'])} "
                f"to join group {self.settings['group_id']}: {exc}") from exc
        self._thread = threading.Thread(target=self._run, name=f"connect-group-member-{self.settings['group_id']}",
                                        daemon=True)
        self._thread.start()

    def stop_joining_unless_leading(self) -> bool:
        """Whether this member may leave the group now without leaving it leaderless mid-rebalance.

        False while it is, or may be, the leader of a rebalance that has not completed: a JoinGroup of
        it awaits its answer (a coordinator makes the first member it hears from the leader of a group
        that has none, e.g. after the leader left), or a rebalance is pending or under way for it and
        the last JoinGroup answer (or, before one, the last assignment) named it leader. On the test
        broker (Tansu 0.6) a leader that leaves then leaves its group stuck for good (the design doc's
        failure table); a follower that leaves is dropped from the round and the leader completes it.
        When True, the member sends no JoinGroup any more, so it cannot become the leader before it
        leaves (the check and the closing are one step under the coordinator's lock).
        """
        coordinator = self._coordinator
        if coordinator is None:
            return True
        with coordinator._lock:
            if self._may_lead_a_rebalance(coordinator):
                return False
            coordinator.joins_closed = True
            return True

    def _may_lead_a_rebalance(self, coordinator: _ConnectCoordinator) -> bool:
        if coordinator.join_awaits_answer:
            return True
        pending = (self._rejoin_reason is not None or coordinator.need_rejoin()
                   or coordinator._unclaimed_assignment is not None)
        me = self.member_id
        if not pending or me is None:
            return False  # the group is settled as far as this member knows, or it is no member of it
        leader = coordinator.round_leader or self._leader_id
        return leader is None or leader == me

    def stop(self, timeout_s: float = 10.0) -> None:
        """Leave the group (LeaveGroup, so the others rebalance at once) and close, within ``timeout_s``."""
        if self._coordinator is not None:
            self._coordinator.joins_closed = True
        self._stopping.set()
        self._wake.set()
        deadline = time.monotonic() + timeout_s
        if self._thread is not None:
            self._thread.join(max(0.1, deadline - time.monotonic()))
        coordinator, client = self._coordinator, self._client
        if coordinator is not None:
            try:
                coordinator.close(timeout_ms=int(max(0.1, deadline - time.monotonic()) * 1000))
            except Exception as exc:  # leaving is best effort, as in Kafka
                log.warning("Leaving group %s failed: %s", self.settings["group_id"], exc)
        if client is not None:
            try:
                client.close()
            except Exception as exc:
                log.debug("Closing the group member's client: %s", exc)
        self._coordinator = self._client = None

    def request_rejoin(self, reason: str) -> None:
        """Rejoin the group as soon as possible (a new round: config changed, work revoked, ...)."""
        log.info("Group member %s: rejoin requested: %s", self.member_id, reason)
        with self._lock:
            self._rejoin_reason = reason
        self._wake.set()

    @property
    def member_id(self) -> str | None:
        coordinator = self._coordinator
        if coordinator is None:
            return None
        member_id = coordinator._generation.member_id
        return member_id or None

    @property
    def generation(self) -> int:
        """The generation of the last completed round (−1 before the first)."""
        with self._lock:
            return self._owned_generation if self._owned_generation is not None else DEFAULT_GENERATION_ID

    @property
    def leader_id(self) -> str | None:
        return self._leader_id

    @property
    def leader_url(self) -> str | None:
        return self._leader_url

    def is_leader(self) -> bool:
        return self._leader_id is not None and self._leader_id == self.member_id

    def assignment(self) -> ExtendedAssignment | None:
        with self._lock:
            return self._snapshot

    # -- configuration ---------------------------------------------------------------------------

    def _client_config(self) -> dict[str, Any]:
        keep = {"bootstrap_servers", "client_id", "request_timeout_ms", "retry_backoff_ms", "reconnect_backoff_ms",
                "reconnect_backoff_max_ms", "metadata_max_age_ms", "connections_max_idle_ms", "security_protocol",
                "ssl_cafile", "ssl_certfile", "ssl_keyfile", "ssl_password", "ssl_crlfile", "ssl_ciphers",
                "ssl_check_hostname", "sasl_mechanism", "sasl_plain_username", "sasl_plain_password",
                "sasl_kerberos_service_name"}
        config = {k: v for k, v in self.settings.items() if k in keep}
        config.setdefault("client_id", f"connect-{self.settings['group_id']}")
        # The JoinGroup is held up to rebalance.timeout.ms: the client's request timeout must not cut it.
        config.setdefault("request_timeout_ms", 40000)
        return config

    def _coordinator_config(self) -> dict[str, Any]:
        keys = ("group_id", "session_timeout_ms", "heartbeat_interval_ms", "max_poll_interval_ms",
                "request_timeout_ms", "retry_backoff_ms")
        config = {k: self.settings[k] for k in keys if k in self.settings}
        config.setdefault("request_timeout_ms", 40000)
        config["api_version"] = self._client._manager.broker_version if self._client else None
        if config["api_version"] is None:
            self._client._manager.bootstrap(int(self.bootstrap_timeout_s * 1000))
            config["api_version"] = self._client._manager.broker_version
        return config

    # -- hooks from the coordinator (kafka-python's IO thread) --------------------------------------

    def _join_metadata(self) -> WorkerState:
        """The listener's state with this member's last assignment embedded, as Kafka's WorkerCoordinator
        sends it (see ``WorkerState.last_assignment``: it makes the rejoin at a delay's end a rebalance)."""
        state = self.listener.metadata()
        with self._lock:
            snapshot = self._snapshot
        if snapshot is None or not isinstance(state, WorkerState):
            return state
        return dataclasses.replace(state, last_assignment=snapshot)

    def _perform_assignment(self, leader_id: str, protocol: str, members: list[Any], generation: int) -> dict[str, bytes]:
        version = PROTOCOL_VERSIONS.get(protocol)
        if version is None:
            raise kafka_errors.InconsistentGroupProtocolError(f"unexpected Connect protocol {protocol}")
        states = {m.member_id: deserialize_metadata(m.metadata) for m in members}
        log.info("Group %s generation %s: leader %s assigns work to %d member(s) with protocol %s",
                 self.settings["group_id"], generation, leader_id, len(states), protocol)
        assignments = self.listener.perform_assignment(states, generation)
        out: dict[str, bytes] = {}
        missing = set(states) - set(assignments)
        if missing:
            raise RuntimeError(f"perform_assignment returned no assignment for member(s) {sorted(missing)}")
        for member_id in states:
            assignment = assignments[member_id]
            assignment.version = version
            out[member_id] = serialize_assignment(assignment)
        return out

    def _joined(self, generation: int, member_id: str, protocol: str, raw: bytes) -> None:
        with self._lock:
            self._pending = (generation, member_id, protocol, raw)
        self._wake.set()

    def _generation_reset(self) -> None:
        with self._lock:
            lost = self._owned_generation is not None and not self._stopping.is_set()
            generation = self._owned_generation
            self._owned_generation = None
            self._snapshot = None
            self._pending = None
        if lost:
            self._session_lost(f"member {self.member_id} of generation {generation} is no longer in the group")

    def _session_lost(self, reason: str) -> None:
        log.warning("Group %s: session lost: %s; stopping all work and rejoining", self.settings["group_id"], reason)
        try:
            self.listener.on_session_lost(reason)
        except Exception:
            log.exception("on_session_lost failed")

    # -- the member thread -------------------------------------------------------------------------

    def _run(self) -> None:
        coordinator = self._coordinator
        assert coordinator is not None
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                with self._lock:
                    reason, self._rejoin_reason = self._rejoin_reason, None
                    if self._rejoin_at is not None and time.monotonic() >= self._rejoin_at:
                        reason = reason or "the scheduled rebalance delay has passed"
                        self._rejoin_at = None
                if reason is not None:
                    coordinator.request_member_rejoin()
                if coordinator.need_rejoin() or coordinator.coordinator_unknown():
                    coordinator.ensure_active_group(timeout_ms=1000)
                self._dispatch()
                coordinator.poll_heartbeat()
                self._check_session()
                backoff = 0.1
            except _Leaving:
                break
            except Exception as exc:  # a failed round: log, back off, try again
                self.last_error = exc
                log.warning("Group %s: join round failed: %s", self.settings["group_id"], exc, exc_info=True)
                coordinator.request_rejoin()
                self._wake.wait(backoff)
                backoff = min(backoff * 2, 2.0)
            self._wake.wait(0.2)
            self._wake.clear()

    def _check_session(self) -> None:
        coordinator = self._coordinator
        with self._lock:
            owned = self._owned_generation is not None
        if owned and coordinator is not None and coordinator.stable() and coordinator.heartbeat.session_timeout_expired():
            # The coordinator has evicted us by now: our work may already run elsewhere.
            coordinator.reset_generation()

    def _dispatch(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is None:
            return
        generation, member_id, protocol, raw = pending
        received = deserialize_assignment(raw)
        if received is None:
            log.warning("Group %s generation %s: empty assignment bytes; rejoining", self.settings["group_id"], generation)
            self.request_rejoin("empty assignment")
            return
        self._leader_id, self._leader_url = received.leader, received.leader_url
        revoked = bool(received.revoked_connectors or received.revoked_tasks)
        if revoked:
            self.listener.on_revoked(received.leader, list(received.revoked_connectors), list(received.revoked_tasks))
        with self._lock:
            previous = self._snapshot
            connectors = list(received.connectors)
            tasks = list(received.tasks)
            if previous is not None:
                gone_c, gone_t = set(received.revoked_connectors), set(received.revoked_tasks)
                connectors += [c for c in previous.connectors if c not in gone_c and c not in connectors]
                tasks += [t for t in previous.tasks if t not in gone_t and t not in tasks]
            full = ExtendedAssignment(received.version, received.error, received.leader, received.leader_url,
                                      received.config_offset, connectors, tasks, list(received.revoked_connectors),
                                      list(received.revoked_tasks), received.delay_ms)
            self._snapshot = full
            self._owned_generation = generation
            # As Kafka's herder (scheduledRebalance): a round without a delay cancels a scheduled rejoin.
            self._rejoin_at = time.monotonic() + received.delay_ms / 1000.0 if received.delay_ms > 0 else None
        log.info("Group %s generation %s: member %s assigned %s connector(s) and %s task(s)%s; leader %s (%s)",
                 self.settings["group_id"], generation, member_id, len(connectors), len(tasks),
                 f", revoked {len(received.revoked_connectors)}/{len(received.revoked_tasks)}" if revoked else "",
                 received.leader, received.leader_url)
        self.listener.on_assigned(full, generation)
        if revoked:
            # Revocation in this round, reassignment in the next (Kafka's herder rejoins the same way).
            self.request_rejoin("work was revoked in this round")
