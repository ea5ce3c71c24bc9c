"""The MariaDB connectors' PyMySQL connection: one context per process for PyMySQL's preferred TLS."""

from __future__ import annotations

import ssl

import pymysql

from dbconnect.connectors.jdbc.mariadb.connection import Connection


def _unconnected(cls: type, **kwargs) -> pymysql.connections.Connection:
    return cls(host="127.0.0.1", port=1, user="u", password="p", defer_connect=True, **kwargs)


def _settings(ctx: ssl.SSLContext) -> tuple:
    return (ctx.protocol, ctx.verify_mode, ctx.check_hostname, ctx.verify_flags, ctx.options,
            ctx.minimum_version, ctx.maximum_version)


def test_preferred_tls_connections_share_one_context_set_as_pymysql_sets_it():
    first, second = _unconnected(Connection), _unconnected(Connection)
    assert first.ctx is second.ctx
    own = _unconnected(pymysql.connections.Connection)  # PyMySQL's own, built for this connection
    assert own.ctx is not first.ctx
    assert _settings(first.ctx) == _settings(own.ctx)
    # Still "preferred": TLS when the server offers it, plaintext otherwise; never required.
    assert (first.ssl, first._ssl_required) == (own.ssl, own._ssl_required) == (True, False)


def test_configured_tls_keeps_a_context_per_connection():
    mine = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    required = _unconnected(Connection, ssl=mine)
    assert required.ctx is mine and required._ssl_required
    verified = _unconnected(Connection, ssl_verify_cert=True)
    assert verified.ctx is not _unconnected(Connection).ctx
    assert verified.ctx.verify_mode == ssl.CERT_REQUIRED
    assert not _unconnected(Connection, ssl_disabled=True).ssl
