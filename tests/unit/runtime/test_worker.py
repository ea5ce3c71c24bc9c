"""runtime.worker: the settings a sink task's consumer gets."""

from __future__ import annotations

from dbconnect.runtime.stores.offsets import MemoryOffsetBackingStore
from dbconnect.runtime.stores.status import ConnectorTaskId, MemoryStatusBackingStore
from dbconnect.runtime.worker import SINK_METADATA_REFRESH_MS, Worker
from dbconnect.runtime.worker_config import WorkerConfig


def _worker(**props: str) -> Worker:
    config = WorkerConfig({"bootstrap.servers": "127.0.0.1:9092", "key.converter": "JsonConverter",
                           "value.converter": "JsonConverter", **props})
    return Worker(config, None, MemoryOffsetBackingStore(), MemoryStatusBackingStore(), worker_id="w")


def test_sink_consumers_refresh_metadata_every_few_seconds_unless_overridden():
    tid = ConnectorTaskId("c", 0)
    assert _worker().consumer_config(tid, {"topics": "t"})["topic.metadata.refresh.interval.ms"] == 1000
    assert _worker().consumer_config(tid, {})["topic.metadata.refresh.interval.ms"] == SINK_METADATA_REFRESH_MS
    # topics.regex makes every refresh a request about the whole cluster: less often.
    assert _worker().consumer_config(tid, {"topics.regex": "t.*"})["topic.metadata.refresh.interval.ms"] == 5000
    worker = _worker(**{"consumer.topic.metadata.refresh.interval.ms": "60000"})
    assert worker.consumer_config(tid, {})["topic.metadata.refresh.interval.ms"] == "60000"
    assert worker.consumer_config(tid, {"consumer.override.topic.metadata.refresh.interval.ms": "1000"})[
        "topic.metadata.refresh.interval.ms"] == "1000"
    assert _worker().consumer_config(tid, {})["auto.offset.reset"] == "earliest"
