"""A group member's coordinator with no broker: kafka-python's own join loop runs on its IO thread,
and only the network round trip (``BaseCoordinator._do_join_and_sync_async``) is replaced by the
test's ``rounds.round_trip``. The client never connects."""

from __future__ import annotations

from typing import Any

from kafka.coordinator.base import BaseCoordinator
from kafka.net.compat import KafkaNetClient

from dbconnect.runtime.distributed.group_member import WorkerGroupMember, _ConnectCoordinator

CONFIG = {"bootstrap.servers": "127.0.0.1:1", "group.id": "g"}


def offline_coordinator(monkeypatch, member: WorkerGroupMember, rounds: Any) -> _ConnectCoordinator:
    """The member's coordinator (``member._client``/``_coordinator`` set); close ``member._client`` after."""
    monkeypatch.setattr(BaseCoordinator, "_do_join_and_sync_async", lambda self: rounds.round_trip(self))
    client = KafkaNetClient(bootstrap_servers=["127.0.0.1:1"], client_id="test")
    client._net.start()
    coordinator = _ConnectCoordinator(client, member, group_id="g", session_timeout_ms=10000,
                                      heartbeat_interval_ms=3000, api_version=(2, 8))
    coordinator.coordinator_id = "coordinator-1"
    monkeypatch.setattr(coordinator, "coordinator_unknown", lambda: False)
    monkeypatch.setattr(coordinator, "_maybe_start_heartbeat_loop", lambda: None)
    member._client, member._coordinator = client, coordinator
    return coordinator
