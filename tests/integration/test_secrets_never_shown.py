"""Secrets never shown (issue 15, item 4): a connector and a task that echo their password in log
lines, exception messages and DSNs, under both task isolations. The password comes from a
``${file:…}`` reference and from a URL, so only the values the worker learnt can hide it."""

from __future__ import annotations

import logging
import secrets

import pytest

from .conftest import LEAK_WATCH

pytestmark = pytest.mark.integration

PLUGINS = "tests.integration.secret_plugins"


@pytest.mark.parametrize("isolation", ["process", "thread"])
def test_an_echoed_password_is_hidden_in_logs_traces_and_answers(start_worker, tmp_path, caplog, isolation):
    caplog.set_level(logging.INFO)
    password = "echoed-" + secrets.token_urlsafe(12)
    LEAK_WATCH.add_password(password)  # the session's watch must not find it either
    secrets_file = tmp_path / "s.properties"
    secrets_file.write_text(f"pw={password}\n")
    worker = start_worker(**{"task.isolation": isolation, "config.providers": "file",
                             "config.providers.file.class": "FileConfigProvider"})
    config = {"connector.class": f"{PLUGINS}.EchoingSecretSource", "tasks.max": "1",
              "db.password": f"${{file:{secrets_file}:pw}}",
              "db.url": f"jdbc:postgresql://db.example/shop?user=app&password=${{file:{secrets_file}:pw}}"}
    assert worker.put("/connectors/echo/config", json=config).status_code == 201
    failed = worker.wait_for_task_state("echo", 0, "FAILED")
    trace = failed["trace"]
    assert "driver said: FATAL password [hidden] rejected (host=db.example password=[hidden])" in trace
    assert password not in trace
    for path in ("/connectors/echo/status", "/connectors/echo", "/connectors/echo/config", "/connectors/echo/tasks",
                 "/connectors?expand=info&expand=status"):
        body = worker.get(path).text
        assert password not in body, path
    assert worker.get("/connectors/echo/config").json()["db.url"] == config["db.url"]
    # The log lines (from the task's process too) reached the root handlers masked.
    lines = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    assert any("task password is [hidden]" in line for line in lines), lines
    assert any("task connecting to postgresql://app:[hidden]@db.example/shop" in line for line in lines)
    assert any("connector got password [hidden]" in line for line in lines)
    assert not [line for line in lines if password in line]
