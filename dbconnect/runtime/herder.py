"""The Herder interface: the cluster's view and every operation the REST layer offers.

The REST layer holds no state: each resource translates HTTP into one of these calls and
maps the ``dbconnect.api.errors`` it raises onto ``{"error_code", "message"}`` (``dbconnect.http.errors``).
``StandaloneHerder`` implements this now; a ``DistributedHerder`` will later.

The answers are Kafka Connect's REST entities, typed in ``herder_entities`` (JSON-ready TypedDicts
that the REST layer sends as they are and describes in ``/openapi.json``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

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


class Herder(ABC):
    # -- identity ----------------------------------------------------------------------
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

    @abstractmethod
    def validate_connector_config(self, plugin: str, config: Mapping[str, str]) -> ConfigInfos:
        """Always answered (200) even when the config is invalid.

        BadRequestError when ``connector.class`` does not end with ``plugin`` or names no connector.
        """
