"""One writer per database family, with the same shape (see base.Writer)."""

from __future__ import annotations

from typing import Any

from ..config import JdbcSinkConfig
from .base import TransientError, Writer

__all__ = ["TransientError", "Writer", "writer_for"]


def writer_for(cfg: JdbcSinkConfig, **kwargs: Any) -> Writer:
    """The writer for the config's database family (dialect.name, else the URL)."""
    if cfg.family == "postgresql":
        from .postgresql import PostgreSqlWriter

        return PostgreSqlWriter(cfg, **kwargs)
    if cfg.family == "mariadb":
        from .mariadb import MariaDbWriter

        return MariaDbWriter(cfg, **kwargs)
    raise ValueError(f"No JDBC sink writer for {cfg.family!r}")
