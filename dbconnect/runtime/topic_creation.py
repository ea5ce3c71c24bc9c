"""Source topics created by the worker (KIP-158: Kafka's TopicCreation, TopicCreationGroup and the
topic.creation.* keys of SourceConnectorConfig).

A source connector that sets ``topic.creation.default.replication.factor`` and
``topic.creation.default.partitions`` has each task create every topic it is about to write to
for the first time, with the settings of the first group in ``topic.creation.groups`` whose
``include`` regexes match the topic and whose ``exclude`` regexes do not (else the default group's):
its partitions and replication factor (-1: the broker's default; a group without them takes the
default group's) and every other ``topic.creation.<group>.<name>`` as a topic config
(``cleanup.policy``, ``retention.ms``, …). A topic that already exists is left as it is. Each task
checks each topic once.

Validation is stricter than Kafka's, which reports bad topic.creation values only when the
connector starts and silently ignores some keys: here ``validate``, create and update refuse
them with 400, naming the key (``topic_creation_errors``). Refused too, rather than ignored:
``include``/``exclude`` on the default group (it takes every topic no other group takes), keys of
a group not listed in ``topic.creation.groups``, and any topic.creation.* key when the worker has
``topic.creation.enable=false``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..api.errors import ConnectError, RetriableError

log = logging.getLogger(__name__)

PREFIX = "topic.creation."
GROUPS_CONFIG = PREFIX + "groups"
DEFAULT_GROUP = "default"
INCLUDE, EXCLUDE, REPLICATION_FACTOR, PARTITIONS = "include", "exclude", "replication.factor", "partitions"
_GROUP_KEYS = (INCLUDE, EXCLUDE, REPLICATION_FACTOR, PARTITIONS)
# How long one CreateTopics request may take before the task fails (the admin client's default
# request timeout is 30 s as well).
CREATE_TIMEOUT_S = 30.0

_PARTITIONS_MESSAGE = "Number of partitions must be positive, or -1 to use the broker's default"
_REPLICATION_MESSAGE = ("Replication factor must be positive and not larger than the number of brokers in the "
                        "Kafka cluster, or -1 to use the broker's default")


def uses_topic_creation(props: Mapping[str, Any]) -> bool:
    """Whether any topic.creation.* key is set (SourceConnectorConfig.usesTopicCreation)."""
    return any(str(k).startswith(PREFIX) for k in props)


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def _java_list(values: list[str]) -> str:
    return "[" + ", ".join(values) + "]"


def groups_of(props: Mapping[str, Any]) -> list[str]:
    """The groups of topic.creation.groups, in order, without duplicates or ``default``."""
    return [g for g in dict.fromkeys(_list(props.get(GROUPS_CONFIG))) if g != DEFAULT_GROUP]


def _number(props: Mapping[str, Any], key: str, kind: str, low: int, high: int, message: str,
            errors: dict[str, list[str]]) -> int | None:
    raw = props.get(key)
    if raw is None or str(raw).strip() == "":
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        errors.setdefault(key, []).append(f"Invalid value {raw} for configuration {key}: Not a number of type {kind}")
        return None
    if not low <= value <= high:
        errors.setdefault(key, []).append(f"Invalid value {raw} for configuration {key}: Not a number of type {kind}")
        return None
    if value != -1 and value < 1:
        errors.setdefault(key, []).append(f"Invalid value {value} for configuration {key}: {message}")
        return None
    return value


def topic_creation_errors(props: Mapping[str, Any], enabled: bool = True) -> dict[str, list[str]]:
    """The topic.creation.* problems of a source connector's config, by key (empty: none)."""
    errors: dict[str, list[str]] = {}
    keys = sorted(k for k in props if str(k).startswith(PREFIX))
    if not keys:
        return errors
    if not enabled:
        for key in keys:
            errors[key] = [f"{key} is set, but this worker has topic.creation.enable=false: topics are not created "
                           f"by the worker. Remove the topic.creation.* settings, or enable topic creation on the worker"]
        return errors
    groups = groups_of(props)
    default_prefix = f"{PREFIX}{DEFAULT_GROUP}."
    for name, kind in ((REPLICATION_FACTOR, "SHORT"), (PARTITIONS, "INT")):
        key = default_prefix + name
        if props.get(key) is None or str(props.get(key)).strip() == "":
            errors.setdefault(key, []).append(f'Missing required configuration "{key}" which has no default value.')
    for key in (default_prefix + INCLUDE, default_prefix + EXCLUDE):
        if key in props:
            errors.setdefault(key, []).append(
                f"{key} is not supported: the default group takes every topic that no group of {GROUPS_CONFIG} "
                f"takes. Define a group in {GROUPS_CONFIG} to include or exclude topics")
    for group in [DEFAULT_GROUP, *groups]:
        prefix = f"{PREFIX}{group}."
        _number(props, prefix + REPLICATION_FACTOR, "SHORT", -(2 ** 15), 2 ** 15 - 1, _REPLICATION_MESSAGE, errors)
        _number(props, prefix + PARTITIONS, "INT", -(2 ** 31), 2 ** 31 - 1, _PARTITIONS_MESSAGE, errors)
        if group == DEFAULT_GROUP:
            continue
        for name in (INCLUDE, EXCLUDE):
            key = prefix + name
            patterns = _list(props.get(key))
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    errors.setdefault(key, []).append(
                        f"Invalid value {_java_list(patterns)} for configuration {key}: "
                        f"Syntax error in regular expression: {exc}")
                    break
    known = {f"{PREFIX}{g}." for g in (DEFAULT_GROUP, *groups)}
    for key in keys:
        if key == GROUPS_CONFIG or any(key.startswith(p) and len(key) > len(p) for p in known):
            continue
        errors.setdefault(key, []).append(
            f"{key} names no topic creation group: list the group in {GROUPS_CONFIG} (current groups: "
            f"{_java_list(groups)}), or use {PREFIX}{DEFAULT_GROUP}.* for every topic")
    return errors


@dataclass
class TopicCreationGroup:
    name: str
    include: re.Pattern[str] | None
    exclude: re.Pattern[str] | None
    partitions: int
    replication_factor: int
    configs: dict[str, str] = field(default_factory=dict)

    def matches(self, topic: str) -> bool:
        # Whole-name matches, as Java's Matcher.matches(); exclusion wins over inclusion.
        if self.exclude is not None and self.exclude.fullmatch(topic):
            return False
        return self.include is not None and self.include.fullmatch(topic) is not None


def _pattern(patterns: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def configured_groups(props: Mapping[str, Any]) -> tuple[TopicCreationGroup, list[TopicCreationGroup]]:
    """(the default group, the other groups in order) of a config ``topic_creation_errors`` accepts."""
    def number(key: str, fallback: int) -> int:
        raw = props.get(key)
        return fallback if raw is None or str(raw).strip() == "" else int(str(raw).strip())

    def others(group: str) -> dict[str, str]:
        prefix = f"{PREFIX}{group}."
        return {k[len(prefix):]: str(v) for k, v in props.items()
                if k.startswith(prefix) and k[len(prefix):] not in _GROUP_KEYS}

    default_prefix = f"{PREFIX}{DEFAULT_GROUP}."
    partitions = number(default_prefix + PARTITIONS, -1)
    replication = number(default_prefix + REPLICATION_FACTOR, -1)
    default = TopicCreationGroup(DEFAULT_GROUP, re.compile(".*"), None, partitions, replication, others(DEFAULT_GROUP))
    groups = []
    for group in groups_of(props):
        prefix = f"{PREFIX}{group}."
        groups.append(TopicCreationGroup(
            group, _pattern(_list(props.get(prefix + INCLUDE))), _pattern(_list(props.get(prefix + EXCLUDE))),
            number(prefix + PARTITIONS, partitions), number(prefix + REPLICATION_FACTOR, replication), others(group)))
    return default, groups


class TopicCreation:
    """One source task's topic creation: which topics it has checked, and the groups to create them with."""

    def __init__(self, default: TopicCreationGroup, groups: list[TopicCreationGroup], admin_config: Mapping[str, Any]):
        self.default = default
        self.groups = groups
        self._admin_config = dict(admin_config)
        self._admin: Any = None
        self.known: set[str] = set()  # topics created or found: not checked again by this task

    @classmethod
    def for_connector(cls, connector_config: Mapping[str, Any], enabled: bool,
                      admin_config: Mapping[str, Any]) -> "TopicCreation | None":
        """The task's TopicCreation, or None when the worker or the connector does not create topics."""
        if not enabled or not uses_topic_creation(connector_config):
            return None
        default, groups = configured_groups(connector_config)
        return cls(default, groups, admin_config)

    def group_for(self, topic: str) -> TopicCreationGroup:
        return next((g for g in self.groups if g.matches(topic)), self.default)

    def ensure(self, topic: str) -> None:
        """Create ``topic`` unless this task has seen it already; an existing topic is fine.

        Raises ConnectError when the broker refuses (the task fails, as in Kafka), RetriableError
        when it cannot be reached in time.
        """
        if topic in self.known:
            return
        from confluent_kafka import KafkaError, KafkaException
        from confluent_kafka.admin import AdminClient, NewTopic

        group = self.group_for(topic)
        if self._admin is None:
            self._admin = AdminClient(self._admin_config)
        new_topic = NewTopic(topic, num_partitions=group.partitions, replication_factor=group.replication_factor,
                             config=dict(group.configs))
        log.info("The task will send records to topic '%s' for the first time. Creating it with group '%s' "
                 "(partitions %d, replication factor %d, configs %s)", topic, group.name, group.partitions,
                 group.replication_factor, group.configs)
        future = self._admin.create_topics([new_topic], request_timeout=CREATE_TIMEOUT_S)[topic]
        try:
            future.result(timeout=CREATE_TIMEOUT_S + 5)
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            code = error.code() if isinstance(error, KafkaError) else None
            if code == KafkaError.TOPIC_ALREADY_EXISTS:
                log.info("Found existing topic '%s'", topic)
            elif code in (KafkaError._TIMED_OUT, KafkaError.REQUEST_TIMED_OUT, KafkaError._TRANSPORT):
                raise RetriableError(f"Timed out creating topic '{topic}': {exc}") from exc
            else:
                raise ConnectError(
                    f"Task failed to create new topic {topic} (group '{group.name}': partitions {group.partitions}, "
                    f"replication factor {group.replication_factor}, configs {group.configs}): {exc}. Ensure that "
                    "the task is authorized to create topics or that the topic exists and restart the task") from exc
        except Exception as exc:  # the future's own timeout
            raise RetriableError(f"Timed out creating topic '{topic}': {exc}") from exc
        else:
            log.info("Created topic '%s' using creation group '%s'", topic, group.name)
        self.known.add(topic)
