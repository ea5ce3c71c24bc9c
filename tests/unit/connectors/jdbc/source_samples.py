"""A JDBC source config shared by the source's unit tests."""

from __future__ import annotations

from dbconnect.connectors.jdbc.config import parse_config


def _cfg(**extra):
    props = {"connection.url": "jdbc:postgresql://h/db", "mode": "incrementing", **extra}
    return parse_config(props, strict=False)
