"""TLS for the REST listeners, from Kafka's ``ssl.*`` keys (PEM files only).

``ServerTls.from_settings`` reads the ``ssl.*`` settings of an ``https`` listener (the worker takes
them from ``listeners.https.ssl.*``, else from the top-level ``ssl.*``, all or nothing, as Kafka's
``SSLUtils`` does) and builds the server's ``ssl.SSLContext`` eagerly, so a missing file, a wrong
key password or a key that does not match its certificate stops the worker at start with a clear
message instead of failing the first handshake.

Supported: ``ssl.keystore.location`` (a PEM file holding the private key and the certificate
chain), ``ssl.keystore.type=PEM``, ``ssl.key.password`` (for an encrypted key),
``ssl.truststore.location`` / ``ssl.truststore.type=PEM`` (the CAs client certificates are checked
against), ``ssl.client.auth`` (none, requested, required) and ``ssl.endpoint.identification.algorithm``
(used by clients the worker opens to a listener: ``https`` checks the host name, empty does not).
JKS and PKCS12 stores and the other ``ssl.*`` keys are refused by name: accepted and ignored would
be worse.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dbconnect.api.errors import ConfigError

CLIENT_AUTH = {"none": ssl.CERT_NONE, "requested": ssl.CERT_OPTIONAL, "required": ssl.CERT_REQUIRED}
SUPPORTED_KEYS = frozenset({
    "ssl.keystore.location", "ssl.keystore.type", "ssl.key.password", "ssl.truststore.location",
    "ssl.truststore.type", "ssl.client.auth", "ssl.endpoint.identification.algorithm",
    # Kafka requires a keystore password for JKS/PKCS12; a PEM file has none. Accepted only empty.
    "ssl.keystore.password", "ssl.truststore.password",
})


def _blank(value: object) -> bool:
    return value is None or str(value).strip() == ""


@dataclass(frozen=True)
class ServerTls:
    keystore: str
    key_password: str | None
    truststore: str | None
    client_auth: str
    check_hostname: bool
    where: str

    @classmethod
    def from_settings(cls, settings: Mapping[str, str], where: str = "listeners.https.") -> "ServerTls":
        """``settings`` holds the unprefixed ``ssl.*`` keys; ``where`` is the prefix for messages."""
        def name(key: str) -> str:
            return f"{where}{key}" if where.endswith(".") else key

        unsupported = sorted(k for k, v in settings.items()
                             if k.startswith("ssl.") and k not in SUPPORTED_KEYS and not _blank(v))
        if unsupported:
            raise ConfigError(
                f"{', '.join(name(k) for k in unsupported)}: not supported for the REST listeners; "
                f"dbconnect's https listeners take PEM files: {name('ssl.keystore.location')}, "
                f"{name('ssl.key.password')}, {name('ssl.truststore.location')}, {name('ssl.client.auth')}"
                + ("" if where else " (these top-level ssl.* keys are used because no listeners.https.ssl.* key is "
                   "set; set listeners.https.ssl.keystore.location and the others to give the REST listeners "
                   "their own settings)")
            )
        for store in ("keystore", "truststore"):
            kind = settings.get(f"ssl.{store}.type")
            if not _blank(kind) and str(kind).strip().upper() != "PEM":
                raise ConfigError(
                    f"{name(f'ssl.{store}.type')}={kind} is not supported for the REST listeners: "
                    f"use PEM files (convert with `openssl pkcs12 -in store.p12 -nodes -out store.pem`)"
                )
            if not _blank(settings.get(f"ssl.{store}.password")):
                raise ConfigError(
                    f"{name(f'ssl.{store}.password')} applies to JKS/PKCS12 stores; a PEM "
                    + ("keystore takes ssl.key.password for an encrypted key" if store == "keystore"
                       else "truststore has no password") + ": remove it"
                )
        keystore = settings.get("ssl.keystore.location")
        if _blank(keystore):
            raise ConfigError(
                f"An https listener needs {name('ssl.keystore.location')}: a PEM file with the private key "
                f"and the certificate chain"
            )
        client_auth = str(settings.get("ssl.client.auth") or "none").strip().lower()
        if client_auth not in CLIENT_AUTH:
            raise ConfigError(f"Invalid value {client_auth} for {name('ssl.client.auth')}: "
                              f"expected one of none, requested, required")
        truststore = settings.get("ssl.truststore.location")
        truststore = None if _blank(truststore) else str(truststore).strip()
        if client_auth != "none" and truststore is None:
            raise ConfigError(f"{name('ssl.client.auth')}={client_auth} needs {name('ssl.truststore.location')}: "
                              f"the PEM file of the CAs that sign client certificates")
        algorithm = settings.get("ssl.endpoint.identification.algorithm")
        algorithm = "https" if algorithm is None else str(algorithm).strip().lower()
        if algorithm not in ("https", ""):
            raise ConfigError(f"Invalid value {algorithm} for {name('ssl.endpoint.identification.algorithm')}: "
                              f"expected https or empty")
        password = settings.get("ssl.key.password")
        tls = cls(str(keystore).strip(), None if _blank(password) else str(password), truststore, client_auth,
                  algorithm == "https", where)
        tls.server_context()  # fail now, with the file's name, rather than at the first handshake
        return tls

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        keystore = self._name("ssl.keystore.location")
        if not Path(self.keystore).is_file():
            raise ConfigError(f"{keystore}={self.keystore}: no such file")
        try:
            context.load_cert_chain(self.keystore, password=(lambda: self.key_password or ""))
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise ConfigError(
                f"{keystore}={self.keystore}: cannot load the private key and certificate chain "
                f"(a PEM file with both; an encrypted key needs {self._name('ssl.key.password')}): {exc}"
            ) from None
        context.verify_mode = CLIENT_AUTH[self.client_auth]
        if self.truststore:
            self._load_trust(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """The context of the worker's own clients of https listeners (Kafka's client-side
        SslContextFactory, built from the same settings): trust ``ssl.truststore.location``, else the
        system's CAs; check the host name unless ``ssl.endpoint.identification.algorithm`` is empty;
        present the keystore's certificate, for listeners with ``ssl.client.auth``. The chain is
        always verified."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.truststore)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.check_hostname = self.check_hostname
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_cert_chain(self.keystore, password=(lambda: self.key_password or ""))
        return context

    def uvicorn_settings(self) -> dict[str, object]:
        """The same context, as uvicorn's options (it builds its own from files; Python's
        SSLContext defaults to TLS 1.2 at least)."""
        return {
            "ssl_certfile": self.keystore,
            "ssl_keyfile_password": self.key_password,
            "ssl_cert_reqs": CLIENT_AUTH[self.client_auth],
            "ssl_ca_certs": self.truststore,
        }

    def _load_trust(self, context: ssl.SSLContext) -> None:
        location = self._name("ssl.truststore.location")
        if not Path(self.truststore or "").is_file():
            raise ConfigError(f"{location}={self.truststore}: no such file")
        try:
            context.load_verify_locations(cafile=self.truststore)
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(f"{location}={self.truststore}: not a PEM file of certificates: {exc}") from None

    def _name(self, key: str) -> str:
        return f"{self.where}{key}" if self.where.endswith(".") else key
