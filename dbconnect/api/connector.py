"""Connector classes that plugin authors subclass (SourceConnector, SinkConnector)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import dbconnect

if TYPE_CHECKING:  # pragma: no cover
    from .config import ConfigDefinition
    from .task import Task


class ConnectorContext:
    """What the runtime offers a running connector instance."""

    def request_task_reconfiguration(self) -> None:
        """Ask the runtime to call ``task_configs`` again and restart tasks if they changed."""

    def raise_error(self, error: BaseException) -> None:
        """Mark the connector FAILED with ``error`` (from a background thread of the connector)."""


class Connector(ABC):
    """Base of source and sink connectors.

    Lifecycle: ``initialize(context)`` → ``start(props)`` → ``task_configs(max_tasks)`` …
    → ``stop()``. ``config()`` returns the connector's own config definition: a
    ``ConfigDefinition`` or a JSON Schema document (a dict) for its keys.
    """

    type: str = "unknown"

    def __init__(self) -> None:
        self.context: ConnectorContext = ConnectorContext()

    def initialize(self, context: ConnectorContext) -> None:
        self.context = context

    @abstractmethod
    def start(self, props: Mapping[str, str]) -> None: ...

    @abstractmethod
    def task_class(self) -> type["Task"]: ...

    @abstractmethod
    def task_configs(self, max_tasks: int) -> list[dict[str, str]]: ...

    @abstractmethod
    def stop(self) -> None: ...

    def config(self) -> "ConfigDefinition | Mapping[str, Any] | None":
        return None

    def validate(self, props: Mapping[str, str]) -> dict[str, list[str]]:
        """Extra, connector-specific checks run after the config definition's own.

        Returns ``{key: [error, …]}``; keys absent from the definition are reported too.
        Connectors that need a live check (a database, a file) override this.
        """
        return {}

    def version(self) -> str:
        return dbconnect.__version__


class SourceConnector(Connector):
    type = "source"

    def exactly_once_support(self, props: Mapping[str, str]) -> str | None:
        """``"SUPPORTED"``, ``"UNSUPPORTED"`` or None when unknown (KIP-618)."""
        return None

    def alter_offsets(self, props: Mapping[str, str], offsets: Mapping[Any, Any]) -> bool:
        """Called before offsets are altered or reset; True if the connector handled them."""
        return False


class SinkConnector(Connector):
    type = "sink"

    TOPICS_CONFIG = "topics"

    def alter_offsets(self, props: Mapping[str, str], offsets: Mapping[Any, Any]) -> bool:
        return False
