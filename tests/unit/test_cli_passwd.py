"""``dbconnect passwd FILE USER``: bcrypt hashes into a credentials file the worker reads."""

from __future__ import annotations

import io
import stat

from dbconnect.cli import main
from dbconnect.http.auth import BasicAuthenticator
from dbconnect.runtime.properties import parse_properties


def _passwd(monkeypatch, *argv: str, password: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return main(["passwd", *argv, "--rounds", "4"])


def test_passwd_adds_and_replaces_users_and_the_worker_accepts_them(tmp_path, monkeypatch, capsys):
    path = tmp_path / "credentials.properties"
    path.write_text("# REST users\n")
    assert _passwd(monkeypatch, str(path), "admin", password="first pw") == 0
    assert _passwd(monkeypatch, str(path), "ops", password="ops pw") == 0
    assert _passwd(monkeypatch, str(path), "admin", password="second pw") == 0
    out = capsys.readouterr().out
    assert f"added admin in {path}" in out and f"updated admin in {path}" in out
    text = path.read_text()
    assert text.startswith("# REST users\n") and "pw" not in text and text.count("admin=") == 1
    checker = BasicAuthenticator(parse_properties(text))
    assert checker.verify("admin", "second pw") and not checker.verify("admin", "first pw")
    assert checker.verify("ops", "ops pw")


def test_passwd_new_file_is_private_and_bad_input_is_refused(tmp_path, monkeypatch, capsys):
    path = tmp_path / "new.properties"
    assert _passwd(monkeypatch, str(path), "admin", password="pw") == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _passwd(monkeypatch, str(path), "bad=user", password="pw") == 1
    assert _passwd(monkeypatch, str(path), "empty", password="") == 1
    err = capsys.readouterr().err
    assert "invalid user name 'bad=user'" in err and "The password is empty" in err
    assert set(parse_properties(path.read_text())) == {"admin"}
