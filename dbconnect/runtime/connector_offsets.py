"""Reading, altering and resetting a connector's offsets (KIP-875), for every herder.

Source offsets live in the worker's offset store under ``["<connector>", {partition}]``.
Sink offsets are the consumer group ``connect-<connector>``'s committed offsets, shown as
``{"partition": {"kafka_topic", "kafka_partition"}, "offset": {"kafka_offset"}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from ..api.errors import BadRequestError, ConnectError
from .herder_entities import ConnectorOffset, ConnectorOffsets
from .stores.offsets import OffsetBackingStore, encode_offset, offset_key

_ADMIN_TIMEOUT = 30.0


def sink_group(connector: str) -> str:
    return f"connect-{connector}"


def source_offsets(store: OffsetBackingStore, connector: str) -> ConnectorOffsets:
    return ConnectorOffsets(offsets=store.connector_offsets(connector))


def alter_source_offsets(store: OffsetBackingStore, connector: str, offsets: list[Mapping[str, Any]]) -> None:
    values: dict[bytes, bytes | None] = {}
    for entry in offsets:
        partition, offset = entry.get("partition"), entry.get("offset")
        if not isinstance(partition, Mapping) or not partition:
            raise BadRequestError("Source partitions may not be null or empty")
        if offset is not None and not isinstance(offset, Mapping):
            raise BadRequestError(f"Source offset for partition {dict(partition)} must be a JSON object or null")
        values[offset_key(connector, partition)] = encode_offset(offset)
    store.set(values)


def _admin(admin_config: Mapping[str, Any]) -> AdminClient:
    return AdminClient(dict(admin_config))


def sink_offsets(admin_config: Mapping[str, Any], connector: str) -> ConnectorOffsets:
    admin = _admin(admin_config)
    request = ConsumerGroupTopicPartitions(sink_group(connector))
    try:
        result = admin.list_consumer_group_offsets([request], request_timeout=_ADMIN_TIMEOUT)
        partitions = result[sink_group(connector)].result().topic_partitions or []
    except KafkaException as exc:
        raise ConnectError(f"Failed to read the offsets of consumer group {sink_group(connector)}: {exc}") from exc
    out = [
        ConnectorOffset(partition={"kafka_topic": tp.topic, "kafka_partition": tp.partition},
                        offset={"kafka_offset": tp.offset})
        for tp in partitions if tp.offset >= 0
    ]
    return ConnectorOffsets(offsets=sorted(out, key=lambda o: (o["partition"]["kafka_topic"],
                                                                 o["partition"]["kafka_partition"])))


def _sink_partition(entry: Mapping[str, Any]) -> tuple[str, int, int | None]:
    partition, offset = entry.get("partition"), entry.get("offset")
    if not isinstance(partition, Mapping) or "kafka_topic" not in partition or "kafka_partition" not in partition:
        raise BadRequestError("The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'")
    topic, kafka_partition = partition["kafka_topic"], partition["kafka_partition"]
    if not isinstance(topic, str) or not topic:
        raise BadRequestError("Kafka topic names must be valid strings and may not be null")
    if not isinstance(kafka_partition, int) or isinstance(kafka_partition, bool) or kafka_partition < 0:
        raise BadRequestError("Kafka partitions must be valid integers and may not be null")
    if offset is None:
        return topic, kafka_partition, None
    if not isinstance(offset, Mapping) or "kafka_offset" not in offset:
        raise BadRequestError("The offset for a sink connector should either be null or contain the key 'kafka_offset'")
    value = offset["kafka_offset"]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadRequestError("Kafka offsets must be valid non-negative integers")
    return topic, kafka_partition, value


def alter_sink_offsets(admin_config: Mapping[str, Any], connector: str, offsets: list[Mapping[str, Any]]) -> None:
    parsed = [_sink_partition(e) for e in offsets]
    to_set = [TopicPartition(t, p, o) for t, p, o in parsed if o is not None]
    to_delete = [TopicPartition(t, p) for t, p, o in parsed if o is None]
    admin = _admin(admin_config)
    group = sink_group(connector)
    try:
        if to_set:
            admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, to_set)], request_timeout=_ADMIN_TIMEOUT)[group].result()
        if to_delete:
            _delete_group_offsets(admin, group, to_delete, whole_group=False)
    except KafkaException as exc:
        raise ConnectError(f"Failed to alter the offsets of consumer group {group}: {exc}") from exc


def reset_sink_offsets(admin_config: Mapping[str, Any], connector: str) -> None:
    admin = _admin(admin_config)
    group = sink_group(connector)
    current = sink_offsets(admin_config, connector)["offsets"]
    if not current:
        return
    tps = [TopicPartition(o["partition"]["kafka_topic"], o["partition"]["kafka_partition"]) for o in current]
    try:
        _delete_group_offsets(admin, group, tps, whole_group=True)
    except KafkaException as exc:
        raise ConnectError(f"Failed to reset the offsets of consumer group {group}: {exc}") from exc


def _delete_group_offsets(admin: AdminClient, group: str, tps: list[TopicPartition], whole_group: bool) -> None:
    """Forget committed offsets so the group starts from the earliest record again.

    A reset deletes the whole group, as Kafka does. The Python client has no OffsetDelete
    call and some brokers lack DeleteGroups, so otherwise the offsets are rewound to 0, which
    the consumer's ``auto.offset.reset=earliest`` turns into the log start if 0 is gone."""
    if whole_group:
        try:
            admin.delete_consumer_groups([group], request_timeout=_ADMIN_TIMEOUT)[group].result()
            return
        except KafkaException:
            pass
    rewound = [TopicPartition(tp.topic, tp.partition, 0) for tp in tps]
    admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, rewound)], request_timeout=_ADMIN_TIMEOUT)[group].result()
