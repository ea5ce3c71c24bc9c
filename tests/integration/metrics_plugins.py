"""A sink for the metrics tests: its put() holds a batch until the test opens a gate (a file)."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping

from dbconnect.api.connector import SinkConnector
from dbconnect.api.task import SinkTask


class GatedSinkTask(SinkTask):
    """put() of a non-empty batch returns once ``gate.file`` exists (or the task stops): a sink
    waiting on a slow database, with records read and not yet committed."""

    def start(self, props: Mapping[str, str]) -> None:
        self.gate = props["gate.file"]
        self.stopped = threading.Event()

    def put(self, records) -> None:
        while records and not os.path.exists(self.gate) and not self.stopped.wait(0.05):
            pass  # the database is slow: the batch waits

    def stop(self) -> None:
        self.stopped.set()

    def version(self) -> str:
        return "2.5"


class GatedSinkConnector(SinkConnector):
    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self):
        return GatedSinkTask

    def task_configs(self, max_tasks: int):
        return [dict(self.props)]

    def stop(self) -> None:
        pass

    def config(self):
        return {"type": "object", "properties": {"gate.file": {"type": "string", "description": "the gate"}}}

    def version(self) -> str:
        return "2.5"
