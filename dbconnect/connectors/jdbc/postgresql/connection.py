"""Connecting to PostgreSQL (psycopg 3): the libpq settings a connection.url carries, TLS, and
which errors mean the connection is gone. The source (source.py), the sink (sink.py) and
migrations (dbconnect/migrate) all connect with ``libpq_settings``."""

from __future__ import annotations

from typing import Any

import psycopg

from ..tls import TlsPolicy, is_tls_param, tls_policy

# Non-TLS libpq keywords a URL may carry through (TLS ones are read by ..tls).
_LIBPQ_PARAMS = {"connect_timeout", "options", "target_session_attrs", "gssencmode", "channel_binding",
                 "keepalives", "keepalives_idle"}
# JDBC spellings of the same settings.
_JDBC_ALIASES = {"loginTimeout": "connect_timeout", "connectTimeout": "connect_timeout"}

def libpq_settings(spec: Any) -> dict[str, Any]:
    """The libpq keywords a connection.url carries (JDBC spellings translated, TLS through
    ``libpq_tls``), with a 10 s connect_timeout unless it sets one: what the source, the sink and
    migrations connect with. Raises ConfigError for a TLS parameter that cannot be honoured."""
    kwargs: dict[str, Any] = {}
    for key, value in spec.params:
        if is_tls_param(key):
            continue
        key = _JDBC_ALIASES.get(key, key)
        if key in _LIBPQ_PARAMS:
            kwargs[key] = value
    kwargs.update(libpq_tls(tls_policy(spec)))
    kwargs.setdefault("connect_timeout", 10)
    return kwargs


def libpq_tls(policy: TlsPolicy) -> dict[str, str]:
    """libpq's keywords for a TLS policy. No mode: libpq's default (prefer), as pgjdbc's."""
    kwargs: dict[str, str] = {}
    if policy.mode:
        kwargs["sslmode"] = policy.mode
    if policy.ca_system:
        kwargs["sslrootcert"] = "system"
    elif policy.ca_file:
        kwargs["sslrootcert"] = policy.ca_file
    if policy.cert_file:
        kwargs["sslcert"] = policy.cert_file
    if policy.key_file:
        kwargs["sslkey"] = policy.key_file
    if policy.key_password is not None:
        kwargs["sslpassword"] = policy.key_password
    if policy.min_version:
        kwargs["ssl_min_protocol_version"] = policy.min_version
    if policy.max_version:
        kwargs["ssl_max_protocol_version"] = policy.max_version
    kwargs.update(policy.passthrough)  # libpq's own keywords from a libpq-style URL (sslcrl, sslsni …)
    return kwargs


def is_connection_error(exc: BaseException) -> bool:
    """True when ``exc`` means the connection is gone (the source reconnects with backoff)."""
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        # Query cancellations and lock timeouts are OperationalErrors too, but not outages.
        return not isinstance(exc, (psycopg.errors.QueryCanceled, psycopg.errors.LockNotAvailable))
    return False


def is_missing_table(exc: BaseException) -> bool:
    return isinstance(exc, psycopg.errors.UndefinedTable)
