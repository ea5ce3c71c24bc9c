"""TLS parameters of a ``connection.url`` → one neutral TlsPolicy, the same for the source, the sink
and migrations.

The URL speaks the JDBC driver's language (pgjdbc for PostgreSQL, MariaDB Connector/J for
MariaDB/MySQL); the connection is made by a Python driver (libpq through psycopg, PyMySQL). This
module reads the driver's parameters with the driver's semantics; the dialect modules turn the
policy into their driver's settings (``libpq_tls`` in postgresql/connection.py, ``pymysql_tls`` in
mariadb/connection.py). What a Python driver cannot do (Java keystores, custom Java classes) is
refused with a ConfigError naming the parameter and what to use instead: a setting is honoured
or refused, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ...api.errors import ConfigError

#: Modes, weakest first. ``None`` (no TLS parameter in the URL) means the Python driver's default:
#: TLS when the server offers it, without certificate checks (libpq's and PyMySQL's "prefer").
MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
#: Modes that must never connect in plaintext.
ENCRYPTED_MODES = ("require", "verify-ca", "verify-full")
_TLS_VERSIONS = {"tlsv1": "TLSv1", "tlsv1.1": "TLSv1.1", "tlsv1.2": "TLSv1.2", "tlsv1.3": "TLSv1.3"}
_TRUE = ("true", "1", "yes", "on", "")  # a bare "?ssl" is true in pgjdbc
_FALSE = ("false", "0", "no", "off")


@dataclass(frozen=True)
class TlsPolicy:
    """What the URL asks of TLS, whatever the driver. Paths are passed through unread."""

    mode: str | None = None
    ca_file: str | None = None  # PEM CA bundle to verify the server with
    ca_pem: str | None = None  # the same, inline (Connector/J's serverSslCert may hold the PEM itself)
    ca_system: bool = False  # verify with the system's trust store (libpq's sslrootcert=system)
    cert_file: str | None = None  # client certificate (PEM)
    key_file: str | None = None  # its private key (PEM)
    key_password: str | None = field(default=None, repr=False)
    min_version: str | None = None  # "TLSv1.2" …
    max_version: str | None = None
    #: Driver-own keywords with no neutral meaning, passed as they are (libpq's sslcrl, sslsni …).
    passthrough: tuple[tuple[str, str], ...] = ()

    @property
    def encrypted(self) -> bool:
        """True when a plaintext connection must be refused."""
        return self.mode in ENCRYPTED_MODES


def tls_policy(spec: Any) -> TlsPolicy:
    """The TLS policy of a ConnectionSpec's URL parameters. Raises ConfigError naming the parameter."""
    return _READERS[spec.family](spec.params)


def is_tls_param(key: str) -> bool:
    """True for a URL parameter that is about TLS (this module's business)."""
    low = key.lower()
    return any(word in low for word in ("ssl", "tls", "cert", "keystore", "truststore"))


def _refuse(key: str, reason: str) -> ConfigError:
    return ConfigError(f"connection.url parameter {key} cannot be honoured: {reason}")


def _flag(key: str, value: str) -> bool:
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ConfigError(f"connection.url parameter {key}={value!r} is not a boolean (use true or false)")


def _pem_file(key: str, path: str, what: str) -> str:
    """``path``, refused when it is a Java/DER format the Python drivers cannot read."""
    if path.lower().endswith((".jks", ".p12", ".pfx", ".pk8", ".der")):
        raise _refuse(key, f"{path} looks like a Java keystore / DER file; the Python drivers read PEM. "
                           f"Convert it (e.g. openssl pkcs8 -inform DER -in key.pk8 -out key.pem, or "
                           f"openssl pkcs12 -in store.p12 -out {what}.pem) and point {key} at the PEM file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return path  # checked again when connecting, with the driver's own message
    if b"-----BEGIN" not in head:
        raise _refuse(key, f"{path} is not a PEM file (no '-----BEGIN' line); the Python drivers read PEM only")
    return path


# The client certificate's PEM settings, spelled the same in pgjdbc and (as a dbconnect addition)
# on Connector/J URLs: parameter → (TlsPolicy field, what the conversion hint calls the file).
_CLIENT_PEM = {"sslcert": ("cert_file", "client"), "sslkey": ("key_file", "client-key")}


def _client_setting(low: str, key: str, value: str) -> dict[str, str]:
    """The TlsPolicy field for ``sslcert``, ``sslkey`` or ``sslpassword``."""
    if low == "sslpassword":
        return {"key_password": value}
    field, what = _CLIENT_PEM[low]
    return {field: _pem_file(key, value, what)}


# --- pgjdbc (jdbc:postgresql:) and libpq (postgresql://) parameters --------------------------------

_LIBPQ_ONLY = ("sslcrl", "sslcrldir", "sslsni", "sslcompression", "sslcertmode", "ssl_min_protocol_version",
               "ssl_max_protocol_version")
_PGJDBC_FACTORIES = {
    "org.postgresql.ssl.libpqfactory": None,  # pgjdbc's default: the libpq semantics we implement
    "org.postgresql.ssl.nonvalidatingfactory": "use sslmode=require (encryption without certificate checks)",
    "org.postgresql.ssl.defaultjavasslfactory": "use sslrootcert=system to verify with the system's CAs",
}
_PGJDBC_UNSUPPORTED = {
    "sslfactoryarg": "it is an argument for a Java SSLSocketFactory class; use sslrootcert/sslcert/sslkey files",
    "sslhostnameverifier": "custom Java hostname verifiers cannot run here; sslmode=verify-full checks the host "
                           "name, sslmode=verify-ca does not",
    "sslpasswordcallback": "Java callback classes cannot run here; give the key password as sslpassword",
    "sslresponsetimeout": "libpq has no separate TLS handshake timeout; use connectTimeout",
}


def _pgjdbc(params: tuple[tuple[str, str], ...]) -> TlsPolicy:
    got: dict[str, Any] = {}
    ssl_flag: bool | None = None
    passthrough = []
    for key, value in params:
        low = key.lower()
        if low == "ssl":
            ssl_flag = _flag(key, value)
        elif low == "sslmode":
            mode = value.strip().lower()
            if mode not in MODES:
                raise ConfigError(f"connection.url parameter sslmode={value!r} is not one of {', '.join(MODES)}")
            got["mode"] = mode
        elif low == "sslrootcert":
            if value == "system":
                got["ca_system"] = True
            else:
                got["ca_file"] = _pem_file(key, value, "root")
        elif low in ("sslcert", "sslkey", "sslpassword"):
            got.update(_client_setting(low, key, value))
        elif low == "sslfactory":
            reason = _PGJDBC_FACTORIES.get(value.strip().lower(), "custom Java SSL factories cannot run here; use "
                                           "sslmode with sslrootcert/sslcert/sslkey PEM files")
            if reason:
                raise _refuse(key, f"{value} is a Java class; {reason}")
        elif low in _PGJDBC_UNSUPPORTED:
            raise _refuse(key, _PGJDBC_UNSUPPORTED[low])
        elif low == "sslnegotiation":
            if value.strip().lower() not in ("postgres", "direct"):
                raise ConfigError(f"connection.url parameter sslNegotiation={value!r} is not postgres or direct")
            passthrough.append(("sslnegotiation", value.strip().lower()))
        elif low in _LIBPQ_ONLY:
            passthrough.append((low, value))
        elif low in _KEYSTORE_KEYS:
            raise _refuse(key, "libpq cannot read Java keystores; verify the server with sslrootcert=<PEM CA file> "
                               "and give a client certificate as sslcert=<PEM>&sslkey=<PEM>[&sslpassword=…]")
        elif is_tls_param(key):
            raise _unknown(key, "sslmode, ssl, sslrootcert, sslcert, sslkey, sslpassword, sslfactory, sslNegotiation, "
                                + ", ".join(_LIBPQ_ONLY))
    if "mode" not in got and ssl_flag:
        got["mode"] = "verify-full"  # pgjdbc: ssl=true without sslmode means verify-full
    # ssl=false without sslmode is pgjdbc's default, prefer: the same as libpq's.
    return TlsPolicy(passthrough=tuple(passthrough), **got)


def _unknown(key: str, known: str) -> ConfigError:
    return ConfigError(f"connection.url parameter {key} looks like a TLS setting but is not one dbconnect knows, "
                       f"so it cannot be honoured; the TLS parameters are: {known}")


# --- MariaDB Connector/J (jdbc:mariadb:, jdbc:mysql:) parameters -----------------------------------

# Connector/J 3.x sslMode and its aliases (MySQL Connector/J's spellings included).
_SSL_MODES = {
    "disable": "disable", "disabled": "disable", "0": "disable", "false": "disable",
    "preferred": "prefer",  # MySQL Connector/J only: TLS if offered, else plaintext
    "trust": "require", "required": "require",
    "verify-ca": "verify-ca", "verify_ca": "verify-ca",
    "verify-full": "verify-full", "verify_identity": "verify-full", "1": "verify-full", "true": "verify-full",
}
_KEYSTORE_KEYS = ("keystore", "keystorepassword", "keypassword", "keystoretype", "truststore",
                  "truststorepassword", "truststoretype", "trustcertificatekeystoreurl",
                  "trustcertificatekeystorepassword", "trustcertificatekeystoretype", "clientcertificatekeystoreurl",
                  "clientcertificatekeystorepassword", "clientcertificatekeystoretype")
_KEYSTORE_REASON = ("PyMySQL cannot read Java keystores. Verify the server with serverSslCert=<PEM CA file> (or the "
                    "PEM inline) and give a client certificate as PEM files with sslcert=<file>&sslkey=<file>"
                    "[&sslpassword=…] (convert with keytool -importkeystore … -deststoretype PKCS12, then "
                    "openssl pkcs12 -nodes)")
_CONNECTOR_J_UNSUPPORTED = {
    "enabledsslciphersuites": "it lists Java cipher-suite names, which OpenSSL names differently; leave it out to "
                              "use OpenSSL's default ciphers",
    "requiressl": "it is MySQL Connector/J's legacy spelling; use sslMode=REQUIRED (or trust, verify-ca, "
                  "verify-full)",
    "verifyservercertificate": "it is MySQL Connector/J's legacy spelling; use sslMode=verify-ca or verify-full",
}
_MARIADB_KNOWN = ("sslMode, useSsl/useSSL, trustServerCertificate, disableSslHostnameVerification, serverSslCert, "
                  "enabledSslProtocolSuites, fallbackToSystemTrustStore, fallbackToSystemKeyStore, "
                  "sslcert, sslkey, sslpassword")


def _connector_j(params: tuple[tuple[str, str], ...]) -> TlsPolicy:
    got: dict[str, Any] = {}
    flags: dict[str, tuple[str, bool]] = {}  # lower key → (key as written, value)
    ssl_mode: tuple[str, str] | None = None
    for key, value in params:
        low = key.lower()
        if low == "sslmode":
            mode = _SSL_MODES.get(value.strip().lower())
            if mode is None:
                raise ConfigError(f"connection.url parameter sslMode={value!r} is not one of disable, trust, "
                                  "verify-ca, verify-full (or DISABLED, PREFERRED, REQUIRED, VERIFY_CA, "
                                  "VERIFY_IDENTITY)")
            ssl_mode = (key, mode)
        elif low in ("usessl", "trustservercertificate", "disablesslhostnameverification",
                     "fallbacktosystemtruststore", "fallbacktosystemkeystore"):
            flags[low] = (key, _flag(key, value))
        elif low == "serversslcert":
            got.update(_server_cert(key, value))
        elif low in ("sslcert", "sslkey", "sslpassword"):
            got.update(_client_setting(low, key, value))
        elif low == "enabledsslprotocolsuites":
            got.update(_protocols(key, value))
        elif low in _KEYSTORE_KEYS:
            raise _refuse(key, _KEYSTORE_REASON)
        elif low in _CONNECTOR_J_UNSUPPORTED:
            raise _refuse(key, _CONNECTOR_J_UNSUPPORTED[low])
        elif is_tls_param(key):
            raise _unknown(key, _MARIADB_KNOWN)
    legacy = _legacy_mode(flags)
    if ssl_mode and legacy and legacy[1] != ssl_mode[1]:
        raise ConfigError(f"connection.url sets both {ssl_mode[0]} and {legacy[0]}, which disagree "
                          f"({ssl_mode[1]} vs {legacy[1]}): keep sslMode only")
    mode = ssl_mode[1] if ssl_mode else legacy[1] if legacy else None
    if mode is not None:
        got["mode"] = mode
    # Connector/J only uses these with useSsl=true: anywhere else they would change nothing.
    for low in ("trustservercertificate", "disablesslhostnameverification"):
        if flags.get(low, ("", False))[1] and not flags.get("usessl", ("", False))[1]:
            raise _refuse(flags[low][0], "it only applies with useSsl=true; use sslMode=trust or sslMode=verify-ca")
    trust = flags.get("fallbacktosystemtruststore")
    if trust and not trust[1] and mode in ("verify-ca", "verify-full") and not (got.get("ca_file") or got.get("ca_pem")):
        raise _refuse(trust[0], "without serverSslCert and without the system trust store nothing could verify the "
                                "server; set serverSslCert=<PEM CA file>")
    if mode == "prefer" and (got.get("cert_file") or got.get("ca_file") or got.get("ca_pem")):
        raise ConfigError("connection.url: sslMode=PREFERRED falls back to plaintext, so certificates would not be "
                          "used reliably; use sslMode=verify-full (or trust / verify-ca)")
    if got.get("cert_file") and mode not in ENCRYPTED_MODES:
        raise ConfigError("connection.url sets sslcert but no TLS: add sslMode=verify-full (or trust / verify-ca)")
    return TlsPolicy(**got)


def _legacy_mode(flags: dict[str, tuple[str, bool]]) -> tuple[str, str] | None:
    """Connector/J 2.x: useSsl=true verifies the certificate and the host name unless told otherwise."""
    use = flags.get("usessl")
    if use is None:
        return None
    if not use[1]:
        return use[0], "disable"
    if flags.get("trustservercertificate", ("", False))[1]:
        return use[0], "require"
    if flags.get("disablesslhostnameverification", ("", False))[1]:
        return use[0], "verify-ca"
    return use[0], "verify-full"


def _server_cert(key: str, value: str) -> dict[str, str]:
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return {"ca_pem": text}
    if text.lower().startswith("classpath:"):
        raise _refuse(key, "there is no Java classpath here; give a file path or the PEM text itself")
    if text.lower().startswith("file:"):
        text = text[5:]
    return {"ca_file": _pem_file(key, text, "server-ca")}


def _protocols(key: str, value: str) -> dict[str, str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    order = list(_TLS_VERSIONS.values())
    try:
        versions = sorted({_TLS_VERSIONS[n.lower()] for n in names}, key=order.index)
    except KeyError:
        raise ConfigError(f"connection.url parameter {key}={value!r}: expected a list of "
                          f"{', '.join(order)}") from None
    if not versions:
        raise ConfigError(f"connection.url parameter {key} is empty")
    span = order[order.index(versions[0]):order.index(versions[-1]) + 1]
    if span != versions:
        raise _refuse(key, f"OpenSSL takes a range of versions, not a list with gaps ({value})")
    return {"min_version": versions[0], "max_version": versions[-1]}


_READERS: dict[str, Callable[[tuple[tuple[str, str], ...]], TlsPolicy]] = {
    "postgresql": _pgjdbc, "mariadb": _connector_j,
}
