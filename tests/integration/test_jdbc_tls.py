"""TLS to the database against real servers that serve TLS with certificates made in the test.

The servers here are TLS-only (PostgreSQL: hostssl-only pg_hba.conf; MariaDB:
require_secure_transport=ON), so every connection they accept is encrypted; the tests also ask
the server (pg_stat_ssl, Ssl_cipher). The session's ordinary servers have no TLS at all: a URL
that requires TLS must fail against them rather than connect in plaintext.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest

from dbconnect.connectors.jdbc import JdbcSourceConnector
from dbconnect.connectors.jdbc.config import parse_config as source_config
from dbconnect.connectors.jdbc.dialect import get_dialect
from dbconnect.connectors.jdbc.sink.config import parse_config as sink_config
from dbconnect.connectors.jdbc.sink.writers import TransientError, writer_for
from dbconnect.embedded import EmbeddedMariaDB, EmbeddedPostgres, ServerTls
from tests.tls_certs import CLIENT_KEY_PASSWORD, Pki, make_pki

from .jdbc_helpers import Db, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_postgres(pki) -> Iterator[EmbeddedPostgres]:
    with EmbeddedPostgres(tls=ServerTls(pki.server_cert, pki.server_key, required=True)) as server:
        yield server


@pytest.fixture(scope="module")
def tls_mariadb(pki) -> Iterator[EmbeddedMariaDB]:
    with EmbeddedMariaDB(tls=ServerTls(pki.server_cert, pki.server_key, ca=pki.ca, required=True)) as server:
        yield server


# URL parameters, in each driver's own spelling, that ask for a verified certificate and host name …
VERIFY_FULL = {
    "pgjdbc ssl=true": ("postgresql", "ssl=true&sslrootcert={ca}"),  # ssl=true is verify-full in pgjdbc
    "Connector/J sslMode=verify-full": ("mariadb", "sslMode=verify-full&serverSslCert={ca}"),
    "Connector/J 2.x useSSL=true": ("mariadb", "useSSL=true&serverSslCert={ca}"),
}
# … for a verified certificate whatever the host name …
VERIFY_CA = {
    "Connector/J sslMode=verify-ca": ("mariadb", "sslMode=verify-ca&serverSslCert={ca}"),
    "Connector/J 2.x disableSslHostnameVerification": (
        "mariadb", "useSsl=true&disableSslHostnameVerification=true&serverSslCert={ca}"),
}
# … and for encryption only, which must still never fall back to plaintext.
REQUIRE = {
    "pgjdbc ssl=true": ("postgresql", "ssl=true"),
    "Connector/J sslMode=trust": ("mariadb", "sslMode=trust"),
    "Connector/J useSSL=true&trustServerCertificate=true": ("mariadb", "useSSL=true&trustServerCertificate=true"),
}
# What each stack says when the certificate is for another host name (libpq; Python's ssl module).
HOST_MISMATCH = r'does not match host name "127\.0\.0\.1"|IP address mismatch'


def url(db: Db, query: str, host: str | None = None, **files: Any) -> str:
    """The server's JDBC URL for ``db`` (optionally with another host name for 127.0.0.1) + ``query``."""
    base = db.server.jdbc_url(db.name)
    if host:
        base = base.replace(f"//{db.server.host}:", f"//{host}:")
    return base + "?" + query.format(**{k: str(v) for k, v in files.items()})


def source_dialect(db: Db, jdbc_url: str) -> Any:
    cfg = source_config({"connection.url": jdbc_url, "connection.user": db.server.user,
                         "connection.password": db.server.password, "mode": "bulk", "topic.prefix": "tls-"})
    assert not cfg.errors
    return get_dialect(cfg)


def sink_writer(db: Db, jdbc_url: str) -> Any:
    cfg = sink_config({"connection.url": jdbc_url, "connection.user": db.server.user, "name": "tls-sink",
                       "connection.password": db.server.password, "topics": "t", "connection.attempts": "1"})
    assert not cfg.errors
    return writer_for(cfg, sleep=lambda s: None)


def server_says_encrypted(db: Db, conn: Any) -> bool:
    """The server's own view of this connection's TLS."""
    if db.pg:
        row = conn.execute("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
        return bool(row[0]) and row[1].startswith("TLS")
    with conn.cursor() as cur:
        cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        return bool(cur.fetchone()[1])


def validate_source(db: Db, jdbc_url: str) -> list[str]:
    return JdbcSourceConnector().validate({
        "connection.url": jdbc_url, "connection.user": db.server.user, "connection.password": db.server.password,
        "mode": "bulk", "topic.prefix": "tls-", "name": "tls-source"}).get("connection.url", [])


def tls_db(request, kind: str) -> Db:
    return Db(kind, request.getfixturevalue("tls_postgres" if kind == "postgresql" else "tls_mariadb"))


def connects_encrypted(db: Db, side: str, jdbc_url: str) -> bool:
    if side == "source":
        assert validate_source(db, jdbc_url) == []
        conn = source_dialect(db, jdbc_url).connect(autocommit=True)
        try:
            return server_says_encrypted(db, conn)
        finally:
            conn.close()
    writer = sink_writer(db, jdbc_url)
    try:
        return server_says_encrypted(db, writer.connection())
    finally:
        writer.close()


def refused(db: Db, side: str, jdbc_url: str, reason: str) -> bool:
    """True when the source's validation and connect, or the sink's connect, fail for ``reason``."""
    if side == "source":
        errors = validate_source(db, jdbc_url)
        assert len(errors) == 1 and re.search(reason, errors[0]), errors
        assert db.server.password not in errors[0]
        with pytest.raises(Exception, match=reason):
            source_dialect(db, jdbc_url).connect(autocommit=True)
    else:
        with pytest.raises(TransientError, match=reason):
            sink_writer(db, jdbc_url).connection()
    return True


@pytest.mark.parametrize("side", ["source", "sink"])
@pytest.mark.parametrize("spelling", list(VERIFY_FULL))
def test_verify_full_needs_the_right_ca_and_the_right_host_name(request, pki, spelling, side):
    kind, query = VERIFY_FULL[spelling]
    db = tls_db(request, kind)
    assert connects_encrypted(db, side, url(db, query, host="localhost", ca=pki.ca))
    assert refused(db, side, url(db, query, host="localhost", ca=pki.wrong_ca), "certificate verify failed")
    # The certificate is for "localhost": reached as 127.0.0.1 the host name does not match.
    assert refused(db, side, url(db, query, ca=pki.ca), HOST_MISMATCH)


@pytest.mark.parametrize("side", ["source", "sink"])
@pytest.mark.parametrize("spelling", list(VERIFY_CA))
def test_verify_ca_needs_the_right_ca_but_not_the_host_name(request, pki, spelling, side):
    kind, query = VERIFY_CA[spelling]
    db = tls_db(request, kind)
    assert connects_encrypted(db, side, url(db, query, ca=pki.ca))  # 127.0.0.1: not the certificate's name
    assert refused(db, side, url(db, query, ca=pki.wrong_ca), "certificate verify failed")


@pytest.mark.parametrize("side", ["source", "sink"])
def test_mariadb_without_tls_settings_is_encrypted_when_the_server_offers_tls(tls_mariadb, side):
    """No sslMode: PyMySQL's "preferred" TLS, on the context every such connection shares
    (mariadb/connection.py), twice in a row; the session's plaintext servers cover the fallback."""
    db = Db("mariadb", tls_mariadb)
    assert connects_encrypted(db, side, db.server.jdbc_url(db.name))
    assert connects_encrypted(db, side, db.server.jdbc_url(db.name))


@pytest.mark.parametrize("side", ["source", "sink"])
def test_mariadb_client_certificate_from_pem_files(tls_mariadb, pki, side):
    """A user that must present a certificate (REQUIRE X509): sslcert/sslkey/sslpassword are sent."""
    db = Db("mariadb", _As(tls_mariadb, "certuser", "certpw"))  # the database is created by the admin user
    tls_mariadb.execute("CREATE USER IF NOT EXISTS certuser@'%' IDENTIFIED BY 'certpw' REQUIRE X509")
    tls_mariadb.execute(f"GRANT ALL PRIVILEGES ON `{db.name}`.* TO certuser@'%'")
    base = "sslMode=verify-full&serverSslCert={ca}"
    with_cert = base + "&sslcert={cert}&sslkey={key}&sslpassword=" + CLIENT_KEY_PASSWORD
    files = {"ca": pki.ca, "cert": pki.client_cert, "key": pki.client_key}
    assert connects_encrypted(db, side, url(db, with_cert, host="localhost", **files))
    assert refused(db, side, url(db, base, host="localhost", **files), "Access denied")


class _As:
    """A server whose connector settings use another user; everything else (create_database,
    execute, jdbc_url) is the server's own, as its admin user."""

    def __init__(self, server: Any, user: str, password: str) -> None:
        self._server, self.user, self.password = server, user, password

    def __getattr__(self, name: str) -> Any:
        return getattr(self._server, name)


@pytest.fixture(params=list(REQUIRE))
def plain_server_require(request) -> tuple[Db, str]:
    kind, query = REQUIRE[request.param]
    return Db(kind, request.getfixturevalue("postgres" if kind == "postgresql" else "mariadb")), query


@pytest.mark.parametrize("side", ["source", "sink"])
def test_a_url_requiring_tls_never_connects_in_plaintext(plain_server_require, side):
    db, query = plain_server_require  # the session's servers serve no TLS at all
    jdbc_url = url(db, query)
    # Reason for the refusal in each driver's words: libpq, PyMySQL (CR_SSL_CONNECTION_ERROR 2026).
    reason = "server does not support SSL" if db.pg else "SSL is required but the server doesn't support it"
    assert refused(db, side, jdbc_url, re.escape(reason))


def test_pipeline_over_tls_after_a_refused_keystore_url(worker, tls_postgres, tls_mariadb, pki, topic_name):
    """The user's sequence: the sink first, with a Java trustStore URL (refused, naming the key),
    PUT again with a PEM CA; then the source with pgjdbc's ssl=true. Rows cross both TLS-only servers."""
    source_db, target_db = Db("postgresql", tls_postgres), Db("mariadb", tls_mariadb)
    source_db.execute("CREATE TABLE orders (id SERIAL PRIMARY KEY, name TEXT NOT NULL)")
    source_db.execute("INSERT INTO orders (name) SELECT 'n' || g FROM generate_series(1, 20) g")
    prefix = f"{topic_name}-"
    sink = {"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "tasks.max": "1",
            "topics": f"{prefix}orders", "auto.create": "true", "table.name.format": "orders",
            "connection.user": target_db.server.user, "connection.password": target_db.server.password,
            "connection.url": url(target_db, "sslMode=verify-full&trustStore=/etc/pki/dbs.jks", host="localhost")}
    response = worker.put("/connectors/tls-sink/config", json=sink)
    assert response.status_code == 400, response.text
    assert "trustStore cannot be honoured" in response.json()["message"] and "serverSslCert" in response.json()["message"]
    validated = worker.put("/connector-plugins/JdbcSinkConnector/config/validate", json={"name": "tls-sink", **sink})
    errors = {c["value"]["name"]: c["value"]["errors"] for c in validated.json()["configs"] if c["value"]["errors"]}
    assert list(errors) == ["connection.url"] and "trustStore" in errors["connection.url"][0]
    sink["connection.url"] = url(target_db, "sslMode=verify-full&serverSslCert={ca}", host="localhost", ca=pki.ca)
    assert worker.put("/connectors/tls-sink/config", json=sink).status_code == 201
    worker.wait_for_state("tls-sink")

    source = {"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector", "tasks.max": "1",
              "mode": "incrementing", "incrementing.column.name": "id", "table.whitelist": "orders",
              "topic.prefix": prefix, "poll.interval.ms": "200",
              "connection.user": source_db.server.user, "connection.password": source_db.server.password,
              "connection.url": url(source_db, "ssl=true&sslrootcert={ca}", host="localhost", ca=pki.ca)}
    assert worker.put("/connectors/tls-source/config", json=source).status_code == 201
    worker.wait_for_state("tls-source")
    wait_until(lambda: target_db.execute("SELECT count(*) FROM orders")[0][0] == 20 if _exists(target_db) else False,
               timeout=60, what="20 rows in the MariaDB sink table")
    # The server's view of the source's sessions: all TLS (the server accepts nothing else anyway).
    sessions = source_db.execute("SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                                 "WHERE a.application_name = 'dbconnect-jdbc-source'")
    assert sessions and all(ssl for (ssl,) in sessions)


def _exists(db: Db) -> bool:
    return bool(db.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = 'orders'",
                           (db.name,)))


@pytest.mark.parametrize("kind, query", [("postgresql", "ssl=true"), ("mariadb", "sslMode=trust")])
def test_migrations_use_the_same_tls_mapping(request, kind, query):
    from dbconnect.migrate import MigrationError
    from dbconnect.migrate.targets import target_for

    db = Db(kind, request.getfixturevalue("postgres" if kind == "postgresql" else "mariadb"))  # no TLS
    with pytest.raises(MigrationError, match="SSL"):
        target_for(url(db, query), db.server.user, db.server.password).close()
    with pytest.raises(MigrationError, match="keyStore cannot be honoured"):
        target_for(url(db, "keyStore=/k.jks"), db.server.user, db.server.password)
