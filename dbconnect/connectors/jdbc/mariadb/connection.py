"""Connecting to MariaDB / MySQL (PyMySQL): TLS settings from a connection.url's policy, the check
that a connection that must be encrypted is, and which errors mean the connection is gone. The
source (source.py), the sink (sink.py) and migrations (dbconnect/migrate) connect with it."""

from __future__ import annotations

import ssl
import threading
from typing import Any

import pymysql

from ..tls import TlsPolicy

_CONNECTION_ERRORS = {2003, 2006, 2013, 2055, 1053, 1927, 4031}  # can't connect, gone away, lost, shutdown, killed


class Connection(pymysql.connections.Connection):
    """PyMySQL's connection, with one SSLContext per process for its default "preferred" TLS.

    Without TLS settings (no sslMode, "prefer", "allow") PyMySQL builds a new default context for
    every connection, loading the system's CA store although that context verifies nothing:
    ≈50 ms of CPU per connection, most of what a MariaDB connection costs the connectors (and
    start-up opens several: validate(), the table monitor, each task, the catalog's inspector).
    The context is built once, by PyMySQL's own code, and shared (an SSLContext may serve many
    connections); whether TLS is used or required is decided as before, per connection.
    """

    def _create_ssl_ctx(self, sslp: Any) -> ssl.SSLContext:
        if isinstance(sslp, dict) and not sslp:  # PyMySQL's preferred mode: nothing configured
            return _preferred_context(super()._create_ssl_ctx)
        return super()._create_ssl_ctx(sslp)


_preferred: ssl.SSLContext | None = None
_preferred_lock = threading.Lock()


def _preferred_context(build: Any) -> ssl.SSLContext:
    global _preferred
    with _preferred_lock:
        if _preferred is None:
            _preferred = build({})
        return _preferred


def pymysql_tls(policy: TlsPolicy) -> dict[str, Any]:
    """PyMySQL's connect() arguments for a TLS policy.

    No mode: PyMySQL's default (TLS if the server offers it, unverified; Connector/J's default
    would be plaintext). "prefer" is the same. The encrypted modes pass an SSLContext, which
    makes PyMySQL refuse a server without TLS before authenticating (CR_SSL_CONNECTION_ERROR,
    2026) instead of falling back to plaintext; ensure_encrypted checks it again.
    """
    if policy.mode in (None, "prefer", "allow"):
        return {}
    if policy.mode == "disable":
        return {"ssl_disabled": True}
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if policy.mode == "require":  # Connector/J "trust": encrypted, the certificate not checked
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.check_hostname = policy.mode == "verify-full"
        if policy.ca_file or policy.ca_pem:
            ctx.load_verify_locations(cafile=policy.ca_file, cadata=policy.ca_pem)
        else:  # Connector/J falls back on the JVM's trust store: the system's CAs here
            ctx.load_default_certs()
    if policy.cert_file:
        ctx.load_cert_chain(policy.cert_file, keyfile=policy.key_file, password=policy.key_password)
    if policy.min_version:
        ctx.minimum_version = ssl.TLSVersion[policy.min_version.replace(".", "_")]
    if policy.max_version:
        ctx.maximum_version = ssl.TLSVersion[policy.max_version.replace(".", "_")]
    return {"ssl": ctx}


def ensure_encrypted(conn: Any, policy: TlsPolicy) -> None:
    """Close ``conn`` and raise if the policy needs TLS and the connection is plaintext."""
    if policy.encrypted and not isinstance(getattr(conn, "_sock", None), ssl.SSLSocket):
        conn.close()
        raise pymysql.err.OperationalError(2026, f"TLS is required (sslMode {policy.mode}) but the connection "
                                                 "is not encrypted")


def is_connection_error(exc: BaseException) -> bool:
    """True when ``exc`` means the connection is gone (the source reconnects with backoff)."""
    if isinstance(exc, pymysql.err.InterfaceError):
        return True
    if isinstance(exc, pymysql.err.OperationalError):
        code = exc.args[0] if exc.args else None
        return code in _CONNECTION_ERRORS or not isinstance(code, int) or code >= 2000
    return isinstance(exc, (ConnectionError, OSError))


def is_missing_table(exc: BaseException) -> bool:
    return isinstance(exc, pymysql.err.ProgrammingError) and bool(exc.args) and exc.args[0] == 1146
