"""TransformationChain: the per-connector list of SMTs (each with an optional predicate).

The SMT implementations arrive with their own issue; the chain is already part of the task
loops so that adding them changes nothing in the worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class TransformationStage:
    def __init__(self, transform: Any, predicate: Callable[[Any], bool] | None = None, negate: bool = False) -> None:
        self.transform = transform
        self.predicate = predicate
        self.negate = negate

    def apply(self, record: Any) -> Any:
        if self.predicate is not None and self.predicate(record) == self.negate:
            return record
        return self.transform.apply(record)


class TransformationChain:
    def __init__(self, stages: Sequence[TransformationStage] = ()) -> None:
        self.stages = list(stages)

    def apply(self, record: Any) -> Any:
        for stage in self.stages:
            record = stage.apply(record)
            if record is None:
                return None
        return record

    def close(self) -> None:
        for stage in self.stages:
            close = getattr(stage.transform, "close", None)
            if close:
                close()
