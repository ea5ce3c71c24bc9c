"""The status page's files at /ui (fake herder): served from the package, locked to their own origin,
out of the OpenAPI document, behind Basic authentication like every other route."""

from __future__ import annotations

import base64
import re
import tomllib
from pathlib import Path

from fastapi.testclient import TestClient

from dbconnect.http.auth import hash_password
from dbconnect.runtime.rest import create_app
from dbconnect.runtime.rest.security import security_settings
from dbconnect.runtime.rest.ui import STATIC
from tests.unit.runtime.rest.fake_herder import FakeHerder, isolated_loggers

ROOT = Path(__file__).resolve().parents[4]


def test_the_page_and_its_two_files_are_served_with_their_types(client):
    page = client.get("/ui")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script src="/ui/app.js"' in page.text and 'href="/ui/style.css"' in page.text
    assert client.get("/ui/").text == page.text  # the trailing slash, as for every route
    script = client.get("/ui/app.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    style = client.get("/ui/style.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert "@media" in style.text  # the phone layout
    # Nothing else of the package is reachable through /ui.
    for path in ("/ui/ui.py", "/ui/../app.py", "/ui/%2e%2e/app.py", "/ui/index.html/x"):
        assert client.get(path).status_code == 404, path


def test_the_page_loads_nothing_from_elsewhere(client):
    page = client.get("/ui")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy and "script-src 'self'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    for name in ("index.html", "app.js", "style.css"):
        text = (STATIC / name).read_text()
        # No CDN, no external font, no inline script or style the policy would block.
        assert not re.search(r"https?://", text), name
        assert "@import" not in text and "url(" not in text.replace("new URL(", ""), name
    assert not re.search(r"<script>(?!</)|<style|style=", page.text)


def test_every_api_call_of_the_page_sends_the_origins_credentials():
    script = (STATIC / "app.js").read_text()
    calls = re.findall(r"\bfetch\(", script)
    assert len(calls) == 1, "one fetch wrapper, so no call forgets the credentials"
    assert 'credentials: "same-origin"' in script
    # The buttons call the documented operations.
    for operation in ("/pause", "/resume", "/restart?includeTasks=true", "/stop", "/offsets",
                      "/connectors?expand=status&expand=info"):
        assert operation in script, operation


def test_the_ui_is_not_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/ui")]


def test_the_page_is_behind_basic_authentication(tmp_path):
    credentials = tmp_path / "credentials.properties"
    credentials.write_text(f"admin={hash_password('admin-pw', rounds=4)}\n")
    security = security_settings({"key.converter": "JsonConverter", "value.converter": "JsonConverter",
                                  "rest.basic.auth.credentials.file": str(credentials)})
    client = TestClient(create_app(FakeHerder(), loggers=isolated_loggers()[0], security=security))
    for path in ("/ui", "/ui/app.js", "/ui/style.css"):
        response = client.get(path)
        # The browser shows its login prompt on this challenge, then repeats it on the page's calls.
        assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Basic realm="), path
        assert "<html" not in response.text
    auth = {"Authorization": "Basic " + base64.b64encode(b"admin:admin-pw").decode()}
    assert client.get("/ui", headers=auth).status_code == 200


def test_the_static_files_are_in_the_wheel():
    """The wheel ships the package directory (hatch includes every file under it, .gitignore aside)."""
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]
    assert "dbconnect" in build["targets"]["wheel"]["packages"]
    assert STATIC.is_relative_to(ROOT / "dbconnect")
    assert {p.name for p in STATIC.iterdir()} >= {"index.html", "app.js", "style.css"}
