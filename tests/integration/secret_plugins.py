"""A connector whose connector and task echo their password everywhere they can: log lines,
exception messages, DSNs. The worker must hide it in every one (tests/integration/test_secrets_never_shown.py)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from dbconnect.api.connector import SourceConnector
from dbconnect.api.errors import ConnectError
from dbconnect.api.task import SourceTask

log = logging.getLogger(__name__)


class EchoingSecretTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        password = props["db.password"]
        log.info("task connecting to postgresql://app:%s@db.example/shop", password)
        log.warning("task password is %s", password)
        raise ConnectError(f"driver said: FATAL password {password} rejected (host=db.example password={password})")

    def poll(self):
        return []

    def stop(self) -> None:
        pass

    def version(self) -> str:
        return "1.0"


class EchoingSecretSource(SourceConnector):
    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)
        log.info("connector got password %s for %s", props["db.password"], props.get("db.url"))

    def task_class(self):
        return EchoingSecretTask

    def task_configs(self, max_tasks: int):
        return [dict(self.props)]

    def stop(self) -> None:
        pass

    def config(self):
        return {"type": "object", "properties": {
            "db.password": {"type": "string", "x-connect-type": "PASSWORD", "description": "the secret"},
            "db.url": {"type": "string", "description": "a URL with the secret inside"},
        }}

    def version(self) -> str:
        return "1.0"
