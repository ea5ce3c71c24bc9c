"""The REST layer's own response entities; the herder's are in ``dbconnect.runtime.herder_entities``.

TypedDicts like the herder's: resources build plain dicts and send them with orjson; FastAPI only
reads these types to describe each response in ``/openapi.json``.
"""

from __future__ import annotations

from typing import Literal

from typing_extensions import NotRequired, TypedDict

from dbconnect.runtime.herder_entities import ConnectorInfo, ConnectorStateInfo


class ErrorMessage(TypedDict):
    """Every error answer (Kafka's ``ErrorMessage``): ``error_code`` repeats the HTTP status."""

    error_code: int
    message: str


class ServerInfo(TypedDict):
    """``GET /``: ``kafka_cluster_id`` is null while the cluster cannot be reached."""

    version: str
    commit: str
    kafka_cluster_id: str | None


class HealthStatus(TypedDict):
    """``GET /health``, whatever its status code (200, 503 or 500)."""

    status: Literal["healthy", "starting", "unhealthy"]
    message: str


class ConnectorExpansion(TypedDict):
    """One connector in ``GET /connectors?expand=…``: only the expansions asked for."""

    status: NotRequired[ConnectorStateInfo]
    info: NotRequired[ConnectorInfo]


#: ``GET /connectors``: the names, or with ``expand`` the expansions keyed by name.
ConnectorList = list[str] | dict[str, ConnectorExpansion]


class LoggerLevel(TypedDict):
    """``GET /admin/loggers/{name}``: ``last_modified`` is epoch ms of the last change made through
    the REST API, null if none."""

    level: str
    last_modified: int | None
