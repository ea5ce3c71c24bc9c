"""The single-message-transform interfaces: Transformation and Predicate.

Kafka's ``org.apache.kafka.connect.transforms.Transformation`` and
``org.apache.kafka.connect.transforms.predicates.Predicate``. The worker finds subclasses of these
(built in, by Python path, or on ``plugin.path``) and lists them in ``GET /connector-plugins``;
the transform implementations themselves live in dbconnect.transforms.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import dbconnect

from .records import ConnectRecord

if TYPE_CHECKING:  # pragma: no cover
    from .config import ConfigDefinition

__all__ = ["Transformation", "Predicate"]

R = TypeVar("R", bound=ConnectRecord)


class Transformation(ABC, Generic[R]):
    """Changes one record at a time: ``configure(props)`` → ``apply(record)`` … → ``close()``.

    ``apply`` returns the (new) record, or None to drop it. ``config()`` describes the
    transformation's own keys, like ``Connector.config()``: a ``ConfigDefinition``, a JSON Schema
    document or None.
    """

    #: tells the plugin registry what this class is (read by ``plugin_kind`` below)
    plugin_kind = "transformation"
    #: names the plugin is found by besides its Python path and class name
    aliases: tuple[str, ...] = ()

    def configure(self, configs: Mapping[str, Any]) -> None:
        """Receives ``transforms.<alias>.*`` with the prefix stripped."""

    @abstractmethod
    def apply(self, record: R) -> R | None: ...

    def config(self) -> "ConfigDefinition | Mapping[str, Any] | None":
        return None

    def close(self) -> None:
        """Release what ``configure`` acquired."""

    def version(self) -> str:
        return dbconnect.__version__


class Predicate(ABC, Generic[R]):
    """Decides whether a transformation applies to a record (``transforms.<alias>.predicate``)."""

    plugin_kind = "predicate"
    aliases: tuple[str, ...] = ()

    def configure(self, configs: Mapping[str, Any]) -> None:
        """Receives ``predicates.<alias>.*`` with the prefix stripped."""

    @abstractmethod
    def test(self, record: R) -> bool: ...

    def config(self) -> "ConfigDefinition | Mapping[str, Any] | None":
        return None

    def close(self) -> None:
        """Release what ``configure`` acquired."""

    def version(self) -> str:
        return dbconnect.__version__


def plugin_kind(cls: type) -> str | None:
    """``"transformation"`` / ``"predicate"`` for transform plugins, else None.

    Read from the class's ``plugin_kind`` attribute, so that a transform which does not subclass
    these bases (duck-typed, as Kafka's SMTs are interfaces) is still recognised.
    """
    kind = getattr(cls, "plugin_kind", None)
    return kind if kind in ("transformation", "predicate") else None
