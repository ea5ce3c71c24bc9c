"""Kafka's ``response.http.headers.config``: rules that set or add headers on every REST answer.

A rule is ``[action] [header name]:[header value]``; rules are separated by commas, and a rule
holding a comma is quoted (``"add Cache-Control: no-cache, no-store"``). Actions, as Jetty's
HeaderFilter that Kafka uses: ``set`` (replace), ``add`` (append), ``setDate`` / ``addDate`` (the
value is a number of milliseconds added to the current time, sent as an HTTP date).
"""

from __future__ import annotations

import csv
import re
import time
from dataclasses import dataclass
from email.utils import formatdate

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dbconnect.api.errors import ConfigError

ACTIONS = ("set", "add", "setDate", "addDate")
_RULE = re.compile(r"^\s*(\S+)\s+([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*:\s*(.*?)\s*$")
KEY = "response.http.headers.config"


@dataclass(frozen=True)
class HeaderRule:
    action: str
    name: str
    value: str

    def render(self) -> str:
        if self.action in ("setDate", "addDate"):
            return formatdate(time.time() + int(self.value) / 1000, usegmt=True)
        return self.value


def parse_header_rules(text: str | None) -> list[HeaderRule]:
    if not text or not text.strip():
        return []
    rules = []
    for raw in next(csv.reader([text.strip()], skipinitialspace=True)):
        if not raw.strip():
            continue
        match = _RULE.match(raw)
        if not match:
            raise ConfigError(f"Invalid value {raw!r} for configuration {KEY}: expected "
                              f"'[action] [header name]:[header value]', e.g. 'set X-Frame-Options: DENY'")
        action, name, value = match.groups()
        if action not in ACTIONS:
            raise ConfigError(f"Invalid action {action!r} in {KEY} rule {raw!r}: expected one of {', '.join(ACTIONS)}")
        if any(ord(c) < 32 and c != "\t" for c in value):
            raise ConfigError(f"Invalid header value in {KEY} rule {raw!r}: control characters")
        if action in ("setDate", "addDate") and not re.fullmatch(r"-?\d+", value):
            raise ConfigError(f"Invalid value {value!r} in {KEY} rule {raw!r}: {action} takes a number of "
                              f"milliseconds from now")
        rules.append(HeaderRule(action, name, value))
    return rules


class ResponseHeadersMiddleware:
    def __init__(self, app: ASGIApp, rules: list[HeaderRule]):
        self.app = app
        self.rules = rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for rule in self.rules:
                    if rule.action.startswith("set"):
                        headers[rule.name] = rule.render()
                    else:
                        headers.append(rule.name, rule.render())
            await send(message)

        await self.app(scope, receive, send_with_headers)
