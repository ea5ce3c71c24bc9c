"""The parts of a distributed worker, built from its WorkerConfig: the three Kafka-backed stores,
the group member, the assignor and the herder (what DistributedConnect assembles)."""

from __future__ import annotations

import logging
from typing import Any

from ..stores.status import ConnectorTaskId
from ..worker_config import WorkerConfig
from .generation_status import GenerationStampedStatusStore
from .herder import DistributedHerder
from .peer_client import PeerClient

log = logging.getLogger(__name__)


class ProtocolStates:
    """Builds the member metadata (connect_protocol.WorkerState) the herder sends at each join."""

    def worker_state(self, url: str, config_offset: int, connectors: list[str], tasks: list[ConnectorTaskId]) -> Any:
        from .connect_protocol import ConnectorsAndTasks, WorkerState

        return WorkerState(url=url, config_offset=config_offset,
                           allocation=ConnectorsAndTasks(connectors=tuple(connectors), tasks=tuple(tasks)))


class DistributedParts:
    def __init__(self, config: WorkerConfig) -> None:
        from ..stores.kafka_configs import KafkaConfigBackingStore
        from ..stores.kafka_offsets import KafkaOffsetBackingStore
        from ..stores.kafka_status import KafkaStatusBackingStore
        from .connect_protocol import protocols_for

        self.config = config
        # Refused here (eager, or anything else) before anything starts.
        protocols_for(str(config.get("connect.protocol", "sessioned")))
        client = config.base_client_config()
        self.config_store = KafkaConfigBackingStore(config.get("config.storage.topic"), client)
        self.offset_store = KafkaOffsetBackingStore(config.get("offset.storage.topic"), client)
        self._herder: DistributedHerder | None = None
        self.status_store = GenerationStampedStatusStore(
            KafkaStatusBackingStore(config.get("status.storage.topic"), client),
            lambda: self._herder.generation if self._herder is not None else -1)

    def ensure_internal_topics(self) -> None:
        """Create the three topics when missing and check them (a ConfigError stops the worker)."""
        from ..stores.internal_topics import (CONFIG_TOPIC_KEY, OFFSET_TOPIC_KEY, STATUS_TOPIC_KEY,
                                              ensure_internal_topic)

        admin = {**self.config.base_client_config(), **self.config.client_settings("admin.")}
        ensure_internal_topic(admin, self.config.get(CONFIG_TOPIC_KEY), CONFIG_TOPIC_KEY, 1,
                              int(self.config.get("config.storage.replication.factor", 3)))
        for key, prefix in ((OFFSET_TOPIC_KEY, "offset.storage"), (STATUS_TOPIC_KEY, "status.storage")):
            ensure_internal_topic(admin, self.config.get(key), key, int(self.config.get(f"{prefix}.partitions")),
                                  int(self.config.get(f"{prefix}.replication.factor", 3)))

    def herder(self, worker: Any, peers: PeerClient | None = None) -> DistributedHerder:
        from .assignor import IncrementalCooperativeAssignor
        from .group_member import WorkerGroupMember

        config = self.config
        originals = dict(config.originals)

        def member(herder: DistributedHerder) -> Any:
            return WorkerGroupMember(originals, herder.url, herder)

        self._herder = DistributedHerder(
            worker, self.config_store, self.status_store,
            member_factory=member,
            assignor=IncrementalCooperativeAssignor(int(config.get("scheduled.rebalance.max.delay.ms"))),
            protocols=ProtocolStates(),
            sessioned=str(config.get("connect.protocol", "sessioned")).lower() == "sessioned",
            sync_timeout_ms=int(config.get("worker.sync.timeout.ms")),
            unsync_backoff_ms=int(config.get("worker.unsync.backoff.ms")),
            peers=peers)
        return self._herder
