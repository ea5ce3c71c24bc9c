"""Certificates made in the test: a CA, a server certificate it signs for the host name
"localhost" only, and an unrelated "wrong" CA, all as PEM files in a directory.

The embedded servers listen on 127.0.0.1, which "localhost" resolves to: a client that
connects to "localhost" sees a matching certificate, one that connects to "127.0.0.1" sees
the same certificate with a host name that does not match (verify-full must refuse it,
verify-ca must accept it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


CLIENT_KEY_PASSWORD = "key-pass-123"


@dataclass(frozen=True)
class Pki:
    ca: Path  # the CA that signed the server certificate
    wrong_ca: Path  # a CA that signed nothing the servers use
    server_cert: Path
    server_key: Path
    client_cert: Path  # CN "certuser", signed by ``ca``
    client_key: Path  # encrypted with CLIENT_KEY_PASSWORD
    # A worker's keystore for "localhost" (private key, then certificate) signed by ``ca`` for both
    # server and client authentication: workers whose listeners require client certificates call
    # each other with it.
    worker_keystore: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _ca(common: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(_name(common))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def _leaf(ca_key, ca_cert, names: list[x509.GeneralName], common: str = "dbconnect test server",
          usage=ExtendedKeyUsageOID.SERVER_AUTH, *more_usages) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage, *more_usages]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def _write(path: Path, key=None, cert=None, password: str | None = None) -> Path:
    if key is not None:
        encryption = (serialization.BestAvailableEncryption(password.encode()) if password
                      else serialization.NoEncryption())
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
        path.chmod(0o600)
    else:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def make_pki(directory: Path) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _ca("dbconnect test CA")
    _, wrong_cert = _ca("dbconnect wrong CA")
    key, cert = _leaf(ca_key, ca_cert, [x509.DNSName("localhost")])
    client_key, client_cert = _leaf(ca_key, ca_cert, [x509.DNSName("certuser")], "certuser",
                                    ExtendedKeyUsageOID.CLIENT_AUTH)
    worker_key, worker_cert = _leaf(ca_key, ca_cert, [x509.DNSName("localhost")], "dbconnect test worker",
                                    ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH)
    worker_keystore = directory / "worker-keystore.pem"
    worker_keystore.write_bytes(_write(directory / "worker.key", key=worker_key).read_bytes()
                                + _write(directory / "worker.pem", cert=worker_cert).read_bytes())
    worker_keystore.chmod(0o600)
    return Pki(
        ca=_write(directory / "ca.pem", cert=ca_cert), wrong_ca=_write(directory / "wrong-ca.pem", cert=wrong_cert),
        server_cert=_write(directory / "server.pem", cert=cert), server_key=_write(directory / "server.key", key=key),
        client_cert=_write(directory / "client.pem", cert=client_cert),
        client_key=_write(directory / "client.key", key=client_key, password=CLIENT_KEY_PASSWORD),
        worker_keystore=worker_keystore,
    )
