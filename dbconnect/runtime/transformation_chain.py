"""TransformationChain: the per-connector list of SMTs (each with an optional predicate).

Built from ``transforms``/``predicates`` by transforms_config.py (Kafka's TransformationChain and
TransformationStage). A stage applies its transform when it has no predicate, or when the
predicate's answer differs from ``negate``. A failure in a transform or its predicate is raised as
TransformationFailed, which names the stage's transform: the task hands it to its ErrorHandler at
the TRANSFORMATION stage with that transform's class, as Kafka's RetryWithToleranceOperator does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

log = logging.getLogger(__name__)


class TransformationFailed(Exception):
    """A stage's transform or predicate raised ``error``; ``transform`` is the stage's transform."""

    def __init__(self, error: BaseException, transform: Any) -> None:
        super().__init__(str(error))
        self.error = error
        self.transform = transform


class TransformationStage:
    def __init__(self, transform: Any, predicate: Any = None, negate: bool = False) -> None:
        self.transform = transform
        # A Predicate (its test()), or a plain callable.
        self.predicate = predicate
        self._test = getattr(predicate, "test", predicate) if predicate is not None else None
        self.negate = negate

    def apply(self, record: Any) -> Any:
        if self._test is not None and self._test(record) == self.negate:
            return record
        return self.transform.apply(record)

    def close(self) -> None:
        for part in (self.transform, self.predicate):
            close = getattr(part, "close", None)
            if close is None:
                continue
            try:
                close()
            except Exception:  # noqa: BLE001 — one failing close must not keep the others open
                log.exception("Error while closing %s", type(part).__name__)


class TransformationChain:
    def __init__(self, stages: Sequence[TransformationStage] = ()) -> None:
        self.stages = list(stages)

    def apply(self, record: Any) -> Any:
        """The record after every stage, or None once one drops it; raises TransformationFailed."""
        for stage in self.stages:
            try:
                record = stage.apply(record)
            except Exception as exc:
                raise TransformationFailed(exc, stage.transform) from exc
            if record is None:
                return None
        return record

    def close(self) -> None:
        for stage in self.stages:
            stage.close()
