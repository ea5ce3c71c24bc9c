"""JDBC sink connector for PostgreSQL and MariaDB (Confluent's io.confluent.connect.jdbc.JdbcSinkConnector)."""

from .connector import JdbcSinkConnector, JdbcSinkTask

__all__ = ["JdbcSinkConnector", "JdbcSinkTask"]
