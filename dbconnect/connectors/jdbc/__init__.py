"""JDBC connectors for PostgreSQL and MariaDB (Confluent kafka-connect-jdbc compatible)."""

from .source import JdbcSourceConnector, JdbcSourceTask

__all__ = ["JdbcSourceConnector", "JdbcSourceTask"]
