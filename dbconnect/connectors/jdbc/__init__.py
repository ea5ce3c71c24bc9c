"""JDBC connectors for PostgreSQL and MariaDB (Confluent kafka-connect-jdbc compatible)."""

# SQLAlchemy's core comes with the package (catalog.py: discovery; ddl_types.py: auto.create's DDL):
# every process that runs a JDBC connector or task needs it, and the worker's fork server, which
# preloads the built-in plugins' modules (runtime/child_process.py), then imports it once for all
# of them. The databases' drivers and SQLAlchemy dialects stay imported on first use (registry.py).
from . import catalog, ddl_types  # noqa: F401
from .source import JdbcSourceConnector, JdbcSourceTask

__all__ = ["JdbcSourceConnector", "JdbcSourceTask"]
