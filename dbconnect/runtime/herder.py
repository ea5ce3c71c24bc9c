"""The Herder interface: the cluster's view and every operation the REST layer offers.

The REST layer holds no state: each resource translates HTTP into one of these calls and
maps the ``dbconnect.api.errors`` it raises onto ``{"error_code", "message"}`` (``dbconnect.http.errors``).
``StandaloneHerder`` and ``distributed.herder.DistributedHerder`` implement it.

The answers are Kafka Connect's REST entities, typed in ``herder_entities`` (JSON-ready TypedDicts
that the REST layer sends as they are and describes in ``/openapi.json``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from ..api.errors import BadRequestError, ConflictError, ConnectError
from .herder_entities import (
    ActiveTopicsInfo,
    ConfigInfos,
    ConfigKeyInfo,
    ConnectorInfo,
    ConnectorOffsets,
    ConnectorStateInfo,
    Message,
    PluginInfo,
    TaskInfo,
    TaskState,
)


# -- errors that only a herder of a cluster raises (distributed mode) --------------------------


class RequestTargetError(ConnectError):
    """The request must be served by another worker, at ``forward_url`` (Kafka's
    RequestTargetException): the REST layer forwards it there (HerderRequestHandler)."""

    def __init__(self, message: str, forward_url: str | None) -> None:
        super().__init__(message)
        self.forward_url = forward_url


class NotLeaderError(RequestTargetError):
    """Only the group's leader serves this request (Kafka's NotLeaderException)."""

    def __init__(self, message: str, leader_url: str | None) -> None:
        super().__init__(message, leader_url)


class NotAssignedError(RequestTargetError):
    """The connector or task runs on another worker (Kafka's NotAssignedException)."""

    def __init__(self, message: str, owner_url: str | None) -> None:
        super().__init__(message, owner_url)


REBALANCE_NEEDED = "Request cannot be completed because a rebalance is expected"


class RebalanceNeededError(ConflictError):
    """A write arrived while the group rebalances (or the worker has not joined yet): 409."""

    def __init__(self, message: str = REBALANCE_NEEDED) -> None:
        super().__init__(message)


class Herder(ABC):
    # This worker's advertised REST URL, once the listener is bound (None before, or in a test).
    url: str | None = None

    # -- identity ----------------------------------------------------------------------
    def cluster_worker_urls(self) -> list[str]:
        """The REST URLs of the cluster's live workers, this one included (what
        ``GET /metrics/summary?scope=cluster`` asks). A standalone worker is its own cluster."""
        return [self.url] if self.url else []

    @property
    @abstractmethod
    def worker_id(self) -> str: ...

    @abstractmethod
    def kafka_cluster_id(self) -> str | None: ...

    @abstractmethod
    def is_ready(self) -> bool:
        """True once startup finished (GET /health answers 200 rather than 503)."""

    # -- connectors ----------------------------------------------------------------------
    @abstractmethod
    def connectors(self) -> list[str]: ...

    @abstractmethod
    def connector_info(self, name: str) -> ConnectorInfo:
        """ConnectorInfo; NotFoundError ``Connector <name> not found``."""

    @abstractmethod
    def connector_config(self, name: str) -> dict[str, str]: ...

    @abstractmethod
    def put_connector_config(
        self,
        name: str,
        config: Mapping[str, str],
        allow_replace: bool,
        initial_state: str | None = None,
    ) -> tuple[bool, ConnectorInfo]:
        """Create (or, with ``allow_replace``, update) a connector.

        Returns ``(created, ConnectorInfo)``. Raises AlreadyExistsError (409,
        ``Connector <name> already exists``) when it exists and ``allow_replace`` is false,
        BadRequestError (400) for an invalid config (the ``Connector configuration is invalid
        and contains the following N error(s):…`` message) or an unknown connector class.
        """

    @abstractmethod
    def patch_connector_config(self, name: str, patch: Mapping[str, str | None]) -> ConnectorInfo:
        """Merge ``patch`` into the config (a None value removes the key); ConnectorInfo."""

    @abstractmethod
    def delete_connector(self, name: str) -> None: ...

    # -- status & tasks --------------------------------------------------------------------
    @abstractmethod
    def connector_status(self, name: str) -> ConnectorStateInfo:
        """ConnectorStateInfo; NotFoundError ``No status found for connector <name>``."""

    @abstractmethod
    def task_status(self, name: str, task_id: int) -> TaskState:
        """NotFoundError ``No status found for task <name>-<id>``."""

    @abstractmethod
    def task_configs(self, name: str) -> list[TaskInfo]: ...

    # -- lifecycle -------------------------------------------------------------------------
    @abstractmethod
    def restart_connector(self, name: str, include_tasks: bool = False, only_failed: bool = False) -> ConnectorStateInfo | None:
        """Both flags false: restart the connector instance and return None (204).

        Otherwise return the ConnectorStateInfo with the instances to restart as RESTARTING (202).
        """

    @abstractmethod
    def restart_task(self, name: str, task_id: int) -> None: ...

    @abstractmethod
    def pause_connector(self, name: str) -> None: ...

    @abstractmethod
    def resume_connector(self, name: str) -> None: ...

    @abstractmethod
    def stop_connector(self, name: str) -> None: ...

    # -- offsets ---------------------------------------------------------------------------
    @abstractmethod
    def connector_offsets(self, name: str) -> ConnectorOffsets: ...

    @abstractmethod
    def alter_connector_offsets(self, name: str, offsets: list[Mapping[str, Any]]) -> Message:
        """BadRequestError unless the connector is STOPPED."""

    @abstractmethod
    def reset_connector_offsets(self, name: str) -> Message: ...

    # -- topics ----------------------------------------------------------------------------
    @abstractmethod
    def connector_active_topics(self, name: str) -> ActiveTopicsInfo:
        """ForbiddenError ``Topic tracking is disabled.`` when topic tracking is off."""

    @abstractmethod
    def reset_connector_active_topics(self, name: str) -> None: ...

    # -- plugins & validation ---------------------------------------------------------------
    @abstractmethod
    def connector_plugins(self, connectors_only: bool = True) -> list[PluginInfo]: ...

    @abstractmethod
    def plugin_config(self, plugin: str) -> list[ConfigKeyInfo]:
        """NotFoundError for an unknown plugin."""

    # -- internal requests between the workers of a cluster ---------------------------------------
    def put_task_configs(self, name: str, configs: list[dict[str, str]], body: bytes,
                         headers: Mapping[str, str]) -> None:
        """``PUT /connectors/<name>/tasks``: a worker that runs a connector hands its task configs
        to the leader (internal; ``headers`` carry the KIP-507 signature of ``body``)."""
        raise BadRequestError("Task configs are written by the herder itself in standalone mode")

    @abstractmethod
    def validate_connector_config(self, plugin: str, config: Mapping[str, str]) -> ConfigInfos:
        """Always answered (200) even when the config is invalid.

        BadRequestError when ``connector.class`` does not end with ``plugin`` or names no connector.
        """
