"""What a Herder answers: Kafka Connect's REST entities, as TypedDicts.

The herder builds these and the REST layer sends them as they are (orjson), so both share this one
definition; the REST layer also derives ``/openapi.json`` from it. TypedDicts rather than classes
because the answers *are* Kafka's JSON: building one costs a dict, and a key that Kafka leaves
out (``trace`` unless the instance failed) is ``NotRequired`` here, absent on the wire, never null.

Names follow Kafka's ``org.apache.kafka.connect.runtime.rest.entities``.
"""

from __future__ import annotations

from typing import Any, Literal

# typing.TypedDict on Python 3.11 lacks what pydantic needs to derive the OpenAPI schema.
from typing_extensions import NotRequired, TypedDict

ConnectorType = Literal["source", "sink", "unknown"]
InstanceStateName = Literal["UNASSIGNED", "RUNNING", "PAUSED", "STOPPED", "FAILED", "RESTARTING"]


class TaskIdInfo(TypedDict):
    """Kafka's ``ConnectorTaskId`` as JSON: ``{"connector": "n", "task": 0}``."""

    connector: str
    task: int


class ConnectorInfo(TypedDict):
    """``GET /connectors/{n}``, ``POST /connectors``, ``PUT|PATCH /connectors/{n}/config``."""

    name: str
    config: dict[str, str]
    tasks: list[TaskIdInfo]
    type: ConnectorType


class ConnectorState(TypedDict):
    """The connector instance's state; ``trace`` only when it is non-empty (a FAILED instance)."""

    state: InstanceStateName
    worker_id: str
    trace: NotRequired[str]


class TaskState(TypedDict):
    """One task's state (``GET /connectors/{n}/tasks/{id}/status``); ``trace`` as for the connector."""

    id: int
    state: InstanceStateName
    worker_id: str
    trace: NotRequired[str]


class ConnectorStateInfo(TypedDict):
    """``GET /connectors/{n}/status``; also the 202 answer of a restart with ``includeTasks``/``onlyFailed``."""

    name: str
    connector: ConnectorState
    tasks: list[TaskState]
    type: ConnectorType


class TaskInfo(TypedDict):
    """One entry of ``GET /connectors/{n}/tasks``."""

    id: TaskIdInfo
    config: dict[str, str]


class ConnectorOffset(TypedDict):
    """A partition and its offset: connector-defined maps for sources, ``kafka_topic``/``kafka_partition``
    and ``kafka_offset`` for sinks."""

    partition: dict[str, Any]
    offset: dict[str, Any]


class ConnectorOffsets(TypedDict):
    """``GET /connectors/{n}/offsets``."""

    offsets: list[ConnectorOffset]


class Message(TypedDict):
    """``PATCH|DELETE /connectors/{n}/offsets``: what was done."""

    message: str


class ActiveTopics(TypedDict):
    topics: list[str]


#: ``GET /connectors/{n}/topics``: ``{"<name>": {"topics": [...]}}``.
ActiveTopicsInfo = dict[str, ActiveTopics]

#: ``GET /connector-plugins``: ``class`` is a Python keyword, hence the functional form.
PluginInfo = TypedDict("PluginInfo", {"class": str, "type": str, "version": str})


class ConfigKeyInfo(TypedDict):
    """One key of a plugin's configuration (``GET /connector-plugins/{p}/config``)."""

    name: str
    type: str
    required: bool
    default_value: str | None
    importance: str
    documentation: str | None
    group: str | None
    width: str
    display_name: str
    dependents: list[str]
    order: int


class ConfigValueInfo(TypedDict):
    name: str
    value: str | None
    recommended_values: list[str]
    errors: list[str]
    visible: bool


class ConfigInfo(TypedDict):
    """A key's definition (null for a key the plugin does not define) and its validated value."""

    definition: ConfigKeyInfo | None
    value: ConfigValueInfo


class ConfigInfos(TypedDict):
    """``PUT /connector-plugins/{p}/config/validate``: answered (200) even when the config is invalid."""

    name: str
    error_count: int
    groups: list[str]
    configs: list[ConfigInfo]
