"""Herder.cluster_worker_urls: the workers GET /metrics/summary?scope=cluster asks."""

from __future__ import annotations

import threading


def test_a_distributed_worker_knows_its_peers_from_the_assignment_the_leader_and_the_statuses() -> None:
    from dbconnect.runtime.distributed.cluster_requests import ClusterRequests
    from dbconnect.runtime.stores.status import ConnectorTaskId, MemoryStatusBackingStore, State, Status

    statuses = MemoryStatusBackingStore()
    statuses.put_connector("src", Status(State.RUNNING, "10.0.0.3:8083"))
    statuses.put_task(ConnectorTaskId("src", 0), Status(State.RUNNING, "10.0.0.4:8083"))

    class Follower(ClusterRequests):
        url = "https://10.0.0.1:8083"
        _lock = threading.Lock()
        _leader_url = "https://10.0.0.2:8083"
        _owner_urls: dict = {}
        status_store = statuses

        def connectors(self) -> list[str]:
            return ["src"]

    assert Follower().cluster_worker_urls() == [f"https://10.0.0.{i}:8083" for i in (1, 2, 3, 4)]

    class Leader(Follower):
        _leader_url = "https://10.0.0.1:8083"
        _member_urls = ["https://10.0.0.5:8083"]

    assert "https://10.0.0.5:8083" in Leader().cluster_worker_urls()


def test_a_standalone_herder_is_its_own_cluster() -> None:
    from dbconnect.runtime.herder import Herder

    class Standalone:
        url: str | None = None
        cluster_worker_urls = Herder.cluster_worker_urls

    herder = Standalone()
    assert herder.cluster_worker_urls() == []
    herder.url = "http://127.0.0.1:8083"
    assert herder.cluster_worker_urls() == ["http://127.0.0.1:8083"]
