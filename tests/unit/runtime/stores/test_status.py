"""The status stores' reads: one implementation (CachedStatusBackingStore) answers for the memory store
and the Kafka store alike, whichever way their maps were filled."""

from __future__ import annotations

import json

import pytest

from dbconnect.runtime.stores.kafka_based_log import LogRecord
from dbconnect.runtime.stores.kafka_status import KafkaStatusBackingStore
from dbconnect.runtime.stores.status import (
    CachedStatusBackingStore,
    ConnectorTaskId,
    MemoryStatusBackingStore,
    Status,
)


def memory_store(statuses):
    store = MemoryStatusBackingStore()
    for target, status in statuses:
        if isinstance(target, ConnectorTaskId):
            store.put_task(target, status)
        else:
            store.put_connector(target, status)
    return store


def kafka_store(statuses):
    store = KafkaStatusBackingStore("connect-status", {"bootstrap.servers": "127.0.0.1:1"})
    for offset, (target, status) in enumerate(statuses):
        key = (f"status-task-{target.connector}-{target.task}" if isinstance(target, ConnectorTaskId)
               else f"status-connector-{target}")
        value = json.dumps({"state": status.state, "trace": status.trace, "worker_id": status.worker_id,
                            "generation": status.generation}).encode()
        store._read(LogRecord(key.encode(), value, 0, offset, 0))
    return store


@pytest.mark.parametrize("make", [memory_store, kafka_store])
def test_both_stores_answer_the_same_reads(make):
    statuses = [("a", Status("RUNNING", "w1:8083")), ("b", Status("PAUSED", "w1:8083")),
                (ConnectorTaskId("a", 0), Status("RUNNING", "w1:8083")),
                (ConnectorTaskId("a", 1), Status("FAILED", "w2:8083", trace="boom")),
                (ConnectorTaskId("b", 0), Status("PAUSED", "w1:8083"))]
    store = make(statuses)
    assert isinstance(store, CachedStatusBackingStore)
    assert sorted(store.connectors()) == ["a", "b"]
    assert store.connector("a").state == "RUNNING" and store.connector("missing") is None
    assert store.task(ConnectorTaskId("a", 1)).trace == "boom"
    assert {i: s.state for i, s in store.tasks("a").items()} == {0: "RUNNING", 1: "FAILED"}
    assert store.tasks("missing") == {}
