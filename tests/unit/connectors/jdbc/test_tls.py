"""connection.url TLS parameters: pgjdbc / Connector/J semantics → libpq keywords / PyMySQL's SSLContext.

Every parameter of both drivers is honoured (mapped) or refused with a message naming it.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from dbconnect.api.errors import ConfigError
from dbconnect.connectors.jdbc import JdbcSourceConnector
from dbconnect.connectors.jdbc.mariadb.connection import pymysql_tls
from dbconnect.connectors.jdbc.postgresql.connection import libpq_settings
from dbconnect.connectors.jdbc.sink import JdbcSinkConnector
from dbconnect.connectors.jdbc.tls import tls_policy
from dbconnect.connectors.jdbc.url import parse_url
from tests.tls_certs import make_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


def pg(query: str) -> dict:
    return libpq_settings(parse_url(f"jdbc:postgresql://db.example/shop?{query}"))


def maria(query: str):
    spec = parse_url(f"jdbc:mariadb://db.example/shop?{query}")
    return tls_policy(spec), pymysql_tls(tls_policy(spec))


# --- pgjdbc → libpq ---------------------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ("ssl=true", {"sslmode": "verify-full"}),  # pgjdbc: ssl=true without sslmode is verify-full
    ("ssl", {"sslmode": "verify-full"}),  # a bare ?ssl is true in pgjdbc
    ("ssl=true&sslmode=require", {"sslmode": "require"}),  # sslmode wins over ssl
    ("sslmode=disable", {"sslmode": "disable"}),
    ("sslmode=allow", {"sslmode": "allow"}),
    ("sslmode=prefer", {"sslmode": "prefer"}),
    ("sslmode=VERIFY-CA&sslrootcert=/etc/ca.pem", {"sslmode": "verify-ca", "sslrootcert": "/etc/ca.pem"}),
    ("sslmode=verify-full&sslrootcert=system", {"sslmode": "verify-full", "sslrootcert": "system"}),
    ("sslmode=verify-full&sslcert=/c.pem&sslkey=/k.pem&sslpassword=pw",
     {"sslmode": "verify-full", "sslcert": "/c.pem", "sslkey": "/k.pem", "sslpassword": "pw"}),
    ("ssl=true&sslfactory=org.postgresql.ssl.LibPQFactory", {"sslmode": "verify-full"}),  # pgjdbc's default
    ("sslmode=require&sslNegotiation=direct", {"sslmode": "require", "sslnegotiation": "direct"}),
    # libpq's own keywords (a postgresql:// URL) pass through
    ("sslmode=require&sslcrl=/crl.pem&sslsni=0&ssl_min_protocol_version=TLSv1.3",
     {"sslmode": "require", "sslcrl": "/crl.pem", "sslsni": "0", "ssl_min_protocol_version": "TLSv1.3"}),
])
def test_pgjdbc_parameters_map_onto_libpq(query, expected):
    got = pg(query)
    assert {k: v for k, v in got.items() if k != "connect_timeout"} == expected


def test_pgjdbc_ssl_false_and_no_parameter_keep_libpq_default_prefer():
    # pgjdbc without sslmode and ssl=false is "prefer", which is libpq's default: no sslmode sent.
    assert pg("ssl=false") == {"connect_timeout": 10} == pg("ApplicationName=x")


def test_non_tls_parameters_are_kept_as_before():
    assert pg("loginTimeout=3&options=-c%20work_mem%3D8MB&unknownThing=1") == {
        "connect_timeout": "3", "options": "-c work_mem=8MB"}


@pytest.mark.parametrize("query, key, hint", [
    ("sslfactory=org.postgresql.ssl.NonValidatingFactory", "sslfactory", "sslmode=require"),
    ("sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory", "sslfactory", "sslrootcert=system"),
    ("sslfactory=com.acme.MyFactory", "sslfactory", "custom Java SSL factories"),
    ("ssl=true&sslfactoryarg=x", "sslfactoryarg", "sslrootcert"),
    ("sslhostnameverifier=com.acme.V", "sslhostnameverifier", "verify-full"),
    ("sslpasswordcallback=com.acme.C", "sslpasswordcallback", "sslpassword"),
    ("sslResponseTimeout=5000", "sslResponseTimeout", "connectTimeout"),
    ("sslmode=verify-full&sslkey=/home/u/.postgresql/postgresql.pk8", "sslkey", "PEM"),
    ("sslmode=verify-full&sslcert=/certs/client.p12", "sslcert", "PEM"),
    ("sslmode=sometimes", "sslmode", "disable, allow, prefer, require, verify-ca, verify-full"),
    ("ssl=maybe", "ssl", "boolean"),
    ("sslNegotiation=fast", "sslNegotiation", "postgres or direct"),
    ("sslCompressionLevel=9", "sslCompressionLevel", "not one dbconnect knows"),
    ("ssl=true&trustStore=/t.jks", "trustStore", "sslrootcert=<PEM CA file>"),
])
def test_pgjdbc_parameters_that_cannot_be_honoured_are_refused_by_name(query, key, hint):
    with pytest.raises(ConfigError) as info:
        pg(query)
    assert key in str(info.value) and hint in str(info.value)


def test_a_der_key_file_is_refused_even_with_a_pem_name(tmp_path):
    der = tmp_path / "client.key"
    der.write_bytes(b"\x30\x82\x04\xbe" + bytes(64))
    with pytest.raises(ConfigError, match="sslkey .*not a PEM file"):
        pg(f"sslmode=verify-full&sslkey={der}")


# --- Connector/J → PyMySQL ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, mode", [
    ("disable", "disable"), ("DISABLED", "disable"), ("false", "disable"), ("0", "disable"),
    ("trust", "require"), ("REQUIRED", "require"),
    ("verify-ca", "verify-ca"), ("VERIFY_CA", "verify-ca"),
    ("verify-full", "verify-full"), ("VERIFY_IDENTITY", "verify-full"), ("true", "verify-full"), ("1", "verify-full"),
    ("PREFERRED", "prefer"),  # MySQL Connector/J's spelling (jdbc:mysql: URLs)
])
def test_connector_j_ssl_mode_and_aliases(value, mode):
    assert maria(f"sslMode={value}")[0].mode == mode


@pytest.mark.parametrize("query, mode", [
    ("useSsl=true", "verify-full"),  # Connector/J 2.x: verifies the certificate and the host name
    ("useSSL=true", "verify-full"),
    ("useSsl=true&trustServerCertificate=true", "require"),
    ("useSsl=true&disableSslHostnameVerification=true", "verify-ca"),
    ("useSsl=false", "disable"),
    ("useSsl=true&sslMode=verify-full", "verify-full"),  # both, agreeing
    ("", None),
])
def test_connector_j_legacy_parameters(query, mode):
    assert maria(query)[0].mode == mode


def test_pymysql_gets_what_each_mode_means():
    assert maria("")[1] == {} and maria("sslMode=PREFERRED")[1] == {}  # PyMySQL's own prefer
    assert maria("sslMode=disable")[1] == {"ssl_disabled": True}
    trust = maria("sslMode=trust")[1]["ssl"]
    assert (trust.verify_mode, trust.check_hostname) == (ssl.CERT_NONE, False)
    ca = maria("sslMode=verify-ca")[1]["ssl"]
    assert (ca.verify_mode, ca.check_hostname) == (ssl.CERT_REQUIRED, False)
    full = maria("useSSL=true")[1]["ssl"]  # the old code gave PyMySQL ssl={}: no verification at all
    assert (full.verify_mode, full.check_hostname) == (ssl.CERT_REQUIRED, True)


def test_server_ssl_cert_as_a_path_and_inline(pki):
    policy, kwargs = maria(f"sslMode=verify-full&serverSslCert={pki.ca}")
    assert policy.ca_file == str(pki.ca)
    assert [c["subject"] for c in kwargs["ssl"].get_ca_certs()] == [((("commonName", "dbconnect test CA"),),)]
    inline = Path(pki.ca).read_text()
    policy, kwargs = maria("sslMode=verify-ca&serverSslCert=" + inline.replace("+", "%2B").replace("\n", "%0A"))
    assert policy.ca_pem == inline.strip()
    assert len(kwargs["ssl"].get_ca_certs()) == 1


def test_client_certificate_and_protocols(pki):
    policy, kwargs = maria(f"sslMode=trust&sslcert={pki.server_cert}&sslkey={pki.server_key}"
                           "&enabledSslProtocolSuites=TLSv1.2,TLSv1.3")
    assert (policy.cert_file, policy.key_file) == (str(pki.server_cert), str(pki.server_key))
    ctx = kwargs["ssl"]
    assert (ctx.minimum_version, ctx.maximum_version) == (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)
    assert pg("sslmode=require&sslNegotiation=postgres")["sslnegotiation"] == "postgres"


@pytest.mark.parametrize("query, key, hint", [
    ("sslMode=verify-full&keyStore=/k.jks", "keyStore", "serverSslCert"),
    ("sslMode=verify-full&keyStorePassword=x", "keyStorePassword", "Java keystores"),
    ("sslMode=verify-full&keyPassword=x", "keyPassword", "Java keystores"),
    ("sslMode=verify-full&keyStoreType=PKCS12", "keyStoreType", "Java keystores"),
    ("sslMode=verify-full&trustStore=/t.jks", "trustStore", "serverSslCert"),
    ("sslMode=verify-full&trustStorePassword=x", "trustStorePassword", "Java keystores"),
    ("sslMode=verify-full&trustStoreType=JKS", "trustStoreType", "Java keystores"),
    ("useSSL=true&trustCertificateKeyStoreUrl=file:/t.jks", "trustCertificateKeyStoreUrl", "Java keystores"),
    ("useSSL=true&clientCertificateKeyStoreUrl=file:/c.jks", "clientCertificateKeyStoreUrl", "Java keystores"),
    ("sslMode=trust&enabledSslCipherSuites=TLS_AES_128_GCM_SHA256", "enabledSslCipherSuites", "OpenSSL"),
    ("useSSL=true&requireSSL=true", "requireSSL", "sslMode=REQUIRED"),
    ("useSSL=true&verifyServerCertificate=false", "verifyServerCertificate", "sslMode=verify-ca"),
    ("sslMode=verify-full&serverSslCert=classpath:ca.pem", "serverSslCert", "classpath"),
    ("sslMode=verify-full&serverSslCert=/etc/ca.der", "serverSslCert", "PEM"),
    ("sslMode=sometimes", "sslMode", "disable, trust, verify-ca, verify-full"),
    ("trustServerCertificate=true", "trustServerCertificate", "useSsl=true"),
    ("sslMode=verify-full&disableSslHostnameVerification=true", "disableSslHostnameVerification", "useSsl=true"),
    ("useSsl=false&sslMode=verify-full", "useSsl", "disagree"),
    ("sslMode=verify-full&fallbackToSystemTrustStore=false", "fallbackToSystemTrustStore", "serverSslCert"),
    ("sslMode=trust&enabledSslProtocolSuites=TLSv1,TLSv1.3", "enabledSslProtocolSuites", "range"),
    ("sslMode=trust&enabledSslProtocolSuites=SSLv3", "enabledSslProtocolSuites", "TLSv1.2"),
    ("sslMode=PREFERRED&serverSslCert=/etc/ca.pem", "PREFERRED", "plaintext"),
    ("sslcert=/c.pem&sslkey=/k.pem", "sslcert", "no TLS"),
    ("useSsl=true&sslFancy=1", "sslFancy", "not one dbconnect knows"),
])
def test_connector_j_parameters_that_cannot_be_honoured_are_refused_by_name(query, key, hint):
    with pytest.raises(ConfigError) as info:
        maria(query)
    assert key in str(info.value) and hint in str(info.value)


def test_fallback_flags_that_change_nothing_here_are_accepted(pki):
    policy, _ = maria(f"sslMode=verify-full&serverSslCert={pki.ca}&fallbackToSystemTrustStore=false"
                      "&fallbackToSystemKeyStore=false")
    assert policy.mode == "verify-full"  # only serverSslCert is trusted: ca_file alone is loaded


# --- validation: Kafka Connect's format, before anything connects ----------------------------------

@pytest.mark.parametrize("url", [
    "jdbc:mariadb://db.invalid:3306/shop?sslMode=verify-full&trustStore=/etc/ts.jks",
    "jdbc:postgresql://db.invalid:5432/shop?ssl=true&sslfactory=org.postgresql.ssl.NonValidatingFactory",
])
def test_source_and_sink_validation_name_the_parameter(url):
    key = "trustStore" if "mariadb" in url else "sslfactory"
    sink = JdbcSinkConnector().validate({"connection.url": url, "name": "s", "topics": "t"})
    source = JdbcSourceConnector().validate({"connection.url": url, "name": "s", "mode": "bulk", "topic.prefix": "p-"})
    for errors in (sink, source):
        assert [m for m in errors["connection.url"] if key in m and "cannot be honoured" in m], errors


def test_neutral_policy_protocol_bounds_reach_libpq():
    from dbconnect.connectors.jdbc.postgresql.connection import libpq_tls
    from dbconnect.connectors.jdbc.tls import TlsPolicy

    assert libpq_tls(TlsPolicy(mode="require", min_version="TLSv1.2", max_version="TLSv1.3")) == {
        "sslmode": "require", "ssl_min_protocol_version": "TLSv1.2", "ssl_max_protocol_version": "TLSv1.3"}


def test_sqlalchemy_style_pymysql_ssl_keys_are_refused_not_ignored():
    spec = parse_url("mysql+pymysql://u@db.example/shop?ssl_ca=/etc/ca.pem")
    with pytest.raises(ConfigError, match="ssl_ca .*not one dbconnect knows"):
        tls_policy(spec)
