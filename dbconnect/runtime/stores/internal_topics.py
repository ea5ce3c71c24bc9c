"""The internal topics of a distributed worker: created when missing, then checked.

As Kafka Connect's TopicAdmin: a missing topic is created compacted (partitions and replication
factor -1 = the broker's defaults); an existing one must have ``cleanup.policy=compact`` exactly
(``delete`` or ``compact,delete`` would eventually lose configs, offsets or statuses), and the
config topic exactly one partition. Otherwise the worker refuses to start with Kafka's message,
which names the topic, the worker key and the fix.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from ...api.errors import ConfigError, ConnectError
from .kafka_based_log import client_settings

log = logging.getLogger(__name__)

CONFIG_TOPIC_KEY = "config.storage.topic"
OFFSET_TOPIC_KEY = "offset.storage.topic"
STATUS_TOPIC_KEY = "status.storage.topic"

# What each topic holds, in Kafka's words (the "purpose" in its messages).
PURPOSES = {
    CONFIG_TOPIC_KEY: "connector configurations",
    OFFSET_TOPIC_KEY: "source connector offsets",
    STATUS_TOPIC_KEY: "connector and task statuses",
}


def ensure_internal_topic(admin_config: Mapping[str, Any], topic: str, config_key: str, partitions: int,
                          replication_factor: int, purpose: str | None = None, timeout_s: float = 30.0) -> int:
    """Create ``topic`` when missing, check it, and return its partition count."""
    purpose = purpose or PURPOSES.get(config_key, "internal data")
    if partitions == 0 or partitions < -1:
        raise ConfigError(f"{config_key.removesuffix('.topic')}.partitions must be -1 (the broker's default) "
                          f"or at least 1, got {partitions}")
    if replication_factor == 0 or replication_factor < -1:
        raise ConfigError(f"{config_key.removesuffix('.topic')}.replication.factor must be -1 (the broker's "
                          f"default) or at least 1, got {replication_factor}")
    admin = AdminClient({"log.connection.close": False, **client_settings(admin_config)})
    _create_if_missing(admin, topic, partitions, replication_factor, timeout_s)
    count = _partition_count(admin, topic, timeout_s)
    if config_key == CONFIG_TOPIC_KEY:
        check_config_topic_partitions(topic, count)
    policies = _cleanup_policies(admin, topic, timeout_s)
    if policies is None:
        log.info("Unable to use the admin client to verify the cleanup policy of the '%s' topic is 'compact'", topic)
    elif policies != {"compact"}:
        raise ConfigError(
            f"Topic '{topic}' supplied via the '{config_key}' property is required to have "
            f"'cleanup.policy=compact' to guarantee consistency and durability of {purpose}, but found the "
            f"topic currently has 'cleanup.policy={','.join(sorted(policies))}'. Continuing would likely result "
            f"in eventually losing {purpose} and problems restarting this Connect cluster in the future. Change "
            f"the '{config_key}' property in the Connect worker configurations to use a topic with "
            f"'cleanup.policy=compact'.", {config_key: ["cleanup.policy must be compact"]})
    return count


def check_config_topic_partitions(topic: str, count: int) -> None:
    if count > 1:
        raise ConfigError(
            f"Topic '{topic}' supplied via the '{CONFIG_TOPIC_KEY}' property is required to have a single "
            f"partition in order to guarantee consistency of connector configurations, but found {count} "
            f"partitions.", {CONFIG_TOPIC_KEY: ["the topic must have exactly one partition"]})


def _create_if_missing(admin: AdminClient, topic: str, partitions: int, replication_factor: int,
                       timeout_s: float) -> None:
    new = NewTopic(topic, num_partitions=partitions, replication_factor=replication_factor,
                   config={"cleanup.policy": "compact"})
    try:
        admin.create_topics([new], operation_timeout=timeout_s, request_timeout=timeout_s)[topic].result(timeout_s)
        log.info("Created the internal topic %s (compacted, %s partitions, replication factor %s)", topic,
                 "default" if partitions == -1 else partitions,
                 "default" if replication_factor == -1 else replication_factor)
    except KafkaException as exc:
        err = exc.args[0] if exc.args else None
        if isinstance(err, KafkaError) and err.code() == KafkaError.TOPIC_ALREADY_EXISTS:
            return
        raise ConnectError(f"Could not create the internal topic '{topic}': {exc}") from exc


def _partition_count(admin: AdminClient, topic: str, timeout_s: float) -> int:
    metadata = admin.list_topics(topic, timeout=timeout_s)
    info = metadata.topics.get(topic)
    if info is None or info.error is not None or not info.partitions:
        raise ConnectError(f"The internal topic '{topic}' has no partitions: {info.error if info else 'missing'}")
    return len(info.partitions)


def _cleanup_policies(admin: AdminClient, topic: str, timeout_s: float) -> set[str] | None:
    """The topic's cleanup policies, None when the broker will not say."""
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    try:
        configs = admin.describe_configs([resource], request_timeout=timeout_s)[resource].result(timeout_s)
    except KafkaException as exc:
        log.debug("describe_configs of %s failed: %s", topic, exc)
        return None
    entry = configs.get("cleanup.policy")
    # Brokers that list only the keys set on the topic (Tansu) leave the default out: delete.
    value = entry.value if entry is not None and entry.value is not None else "delete"
    return {p.strip().lower() for p in value.split(",") if p.strip()}
