"""The sink's writers: one per database family, with the same shape (see base.Writer), each in
its database's package (``postgresql/sink.py``, ``mariadb/sink.py``) and found through
``registry.py``."""

from __future__ import annotations

from typing import Any

from ... import registry
from ..config import JdbcSinkConfig
from .base import TransientError, Writer

__all__ = ["TransientError", "Writer", "writer_for"]


def writer_for(cfg: JdbcSinkConfig, **kwargs: Any) -> Writer:
    """The writer for the config's database family (dialect.name, else the URL)."""
    database = registry.database(cfg.family)
    if database is None:
        raise ValueError(f"No JDBC sink writer for {cfg.family!r}")
    return database.sink(cfg, **kwargs)
