"""Basic authentication's pieces: hashes, the credential check and its cache, the header parser."""

from __future__ import annotations

import base64

import bcrypt
import pytest

from dbconnect.api.errors import ConfigError
from dbconnect.http import auth
from dbconnect.http.auth import BasicAuthenticator, hash_password, parse_basic_authorization


@pytest.fixture(scope="module")
def users() -> dict[str, str]:
    return {"admin": hash_password("s3cret pass", rounds=4), "ops": hash_password("ünïcode", rounds=4)}


def test_right_wrong_and_unknown(users):
    checker = BasicAuthenticator(users, realm="r")
    assert checker.verify("admin", "s3cret pass")
    assert checker.verify("ops", "ünïcode")
    assert not checker.verify("admin", "s3cret pas")
    assert not checker.verify("admin", "")
    assert not checker.verify("nobody", "s3cret pass")
    assert not checker.verify("admin", "x" * 100)  # longer than bcrypt reads: never valid


def test_a_verified_credential_costs_one_bcrypt_per_process_and_a_failure_is_never_cached(users, monkeypatch):
    checker = BasicAuthenticator(users)
    calls = []
    real = bcrypt.checkpw
    monkeypatch.setattr(auth.bcrypt, "checkpw", lambda pw, h: calls.append(pw) or real(pw, h))
    for _ in range(3):
        assert checker.verify("admin", "s3cret pass")
        assert not checker.verify("admin", "wrong")
    assert calls == [b"s3cret pass", b"wrong", b"wrong", b"wrong"]
    # The cache holds HMACs, never the password.
    assert all(b"s3cret" not in key for key in checker._verified)


def test_the_cache_is_bounded(users, monkeypatch):
    monkeypatch.setattr(auth, "CACHE_SIZE", 2)
    many = {f"u{i}": hash_password(f"p{i}", rounds=4) for i in range(4)}
    checker = BasicAuthenticator(many)
    for i in range(4):
        assert checker.verify(f"u{i}", f"p{i}")
    assert len(checker._verified) == 2
    assert checker.cached("u3", "p3") and not checker.cached("u0", "p0")


def test_plaintext_and_empty_files_are_refused_without_echoing_the_password():
    with pytest.raises(ConfigError) as info:
        BasicAuthenticator({"admin": "admin-secret"}, source="creds.properties")
    assert "user 'admin' in creds.properties is not a bcrypt hash" in str(info.value)
    assert "dbconnect passwd" in str(info.value) and "admin-secret" not in str(info.value)
    with pytest.raises(ConfigError, match="lists no users"):
        BasicAuthenticator({})
    with pytest.raises(ConfigError, match="realm"):
        BasicAuthenticator({"a": hash_password("b", rounds=4)}, realm='bad"realm')


def test_hash_password_refuses_what_bcrypt_cannot_hash():
    with pytest.raises(ValueError, match="empty"):
        hash_password("")
    with pytest.raises(ValueError, match="72 bytes"):
        hash_password("é" * 40)
    assert hash_password("x", rounds=4).startswith("$2b$04$")


def _basic(text: str) -> bytes:
    return b"Basic " + base64.b64encode(text.encode())


def test_parse_basic_authorization():
    assert parse_basic_authorization(_basic("u:p:with:colons")) == ("u", "p:with:colons")
    assert parse_basic_authorization(b"basic " + base64.b64encode(b"u:")) == ("u", "")
    assert parse_basic_authorization(_basic("no-colon")) is None
    assert parse_basic_authorization(b"Bearer abc") is None
    assert parse_basic_authorization(b"Basic !!!") is None
    assert parse_basic_authorization(b"Basic") is None
    assert parse_basic_authorization(None) is None
