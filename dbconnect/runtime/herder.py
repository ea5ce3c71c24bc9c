"""The Herder interface: the cluster's view and every operation the REST layer offers.

The REST layer holds no state: each resource translates HTTP into one of these calls and
maps ``dbconnect.api.errors.RestError`` subclasses onto ``{"error_code", "message"}``.
``StandaloneHerder`` implements this now; a ``DistributedHerder`` will later.

Shapes returned (all JSON-ready, matching Kafka Connect's REST entities):
- ConnectorInfo: ``{"name", "config": {str: str}, "tasks": [{"connector", "task"}], "type"}``
- ConnectorStateInfo: ``{"name", "connector": {"state", "worker_id"[, "trace"]},
  "tasks": [{"id", "state", "worker_id"[, "trace"]}], "type"}``
- TaskInfo: ``{"id": {"connector", "task"}, "config": {str: str}}``
- ConfigInfos (validate): ``{"name", "error_count", "groups", "configs": [{"definition", "value"}]}``
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any


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
    def connector_info(self, name: str) -> dict[str, Any]:
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
    ) -> tuple[bool, dict[str, Any]]:
        """Create (or, with ``allow_replace``, update) a connector.

        Returns ``(created, ConnectorInfo)``. Raises AlreadyExistsError (409,
        ``Connector <name> already exists``) when it exists and ``allow_replace`` is false,
        BadRequestError (400) for an invalid config (the ``Connector configuration is invalid
        and contains the following N error(s):…`` message) or an unknown connector class.
        """

    @abstractmethod
    def patch_connector_config(self, name: str, patch: Mapping[str, str | None]) -> dict[str, Any]:
        """Merge ``patch`` into the config (a None value removes the key); ConnectorInfo."""

    @abstractmethod
    def delete_connector(self, name: str) -> None: ...

    # -- status & tasks --------------------------------------------------------------------
    @abstractmethod
    def connector_status(self, name: str) -> dict[str, Any]:
        """ConnectorStateInfo; NotFoundError ``No status found for connector <name>``."""

    @abstractmethod
    def task_status(self, name: str, task_id: int) -> dict[str, Any]:
        """``{"id", "state", "worker_id"[, "trace"]}``."""

    @abstractmethod
    def task_configs(self, name: str) -> list[dict[str, Any]]:
        """``[TaskInfo]``."""

    # -- lifecycle -------------------------------------------------------------------------
    @abstractmethod
    def restart_connector(self, name: str, include_tasks: bool = False, only_failed: bool = False) -> dict[str, Any] | None:
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
    def connector_offsets(self, name: str) -> dict[str, Any]:
        """``{"offsets": [{"partition": {…}, "offset": {…}}]}``."""

    @abstractmethod
    def alter_connector_offsets(self, name: str, offsets: list[Mapping[str, Any]]) -> dict[str, str]:
        """``{"message": …}``; BadRequestError unless the connector is STOPPED."""

    @abstractmethod
    def reset_connector_offsets(self, name: str) -> dict[str, str]: ...

    # -- topics ----------------------------------------------------------------------------
    @abstractmethod
    def connector_active_topics(self, name: str) -> dict[str, Any]:
        """``{"<name>": {"topics": [...]}}``; ForbiddenError ``Topic tracking is disabled.``"""

    @abstractmethod
    def reset_connector_active_topics(self, name: str) -> None: ...

    # -- plugins & validation ---------------------------------------------------------------
    @abstractmethod
    def connector_plugins(self, connectors_only: bool = True) -> list[dict[str, str]]:
        """``[{"class", "type", "version"}]``."""

    @abstractmethod
    def plugin_config(self, plugin: str) -> list[dict[str, Any]]:
        """The plugin's ConfigKeyInfo list; NotFoundError for an unknown plugin."""

    @abstractmethod
    def validate_connector_config(self, plugin: str, config: Mapping[str, str]) -> dict[str, Any]:
        """ConfigInfos. Always answered (200) even when the config is invalid.

        BadRequestError when ``connector.class`` does not end with ``plugin`` or names no connector.
        """
