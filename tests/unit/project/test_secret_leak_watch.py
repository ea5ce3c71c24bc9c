"""tests/secret_leaks.py, the integration suite's proof that no test password is ever shown: it must
find a password that does leak (in a REST body, a log line, an exception's text) and stay quiet otherwise."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import orjson

from tests.secret_leaks import SecretLeakWatch


def _response(method: str, path: str, status: int, sent: dict | None, body: str) -> SimpleNamespace:
    request = SimpleNamespace(method=method, path_url=path, body=orjson.dumps(sent) if sent is not None else None)
    return SimpleNamespace(request=request, status_code=status, text=body)


def test_the_watch_finds_a_deliberately_leaked_password_in_a_rest_body_and_says_where():
    watch = SecretLeakWatch()
    config = {"name": "c", "config": {"connection.password": "pw-sent-in-config",
                                      "connection.url": "jdbc:mysql://h/db?user=u&password=pw-in-the-url"}}
    watch.response_hook(_response("POST", "/connectors", 201, config,
                                  '{"config":{"connection.password":"[hidden]"}}'))
    assert watch.passwords == {"pw-sent-in-config", "pw-in-the-url"}
    assert watch.report() is None  # the answer hid them
    watch.response_hook(_response("GET", "/connectors/c/config", 200, None,
                                  '{"connection.url":"jdbc:mysql://h/db?user=u&password=pw-in-the-url"}'))
    leaks = watch.leaks()
    assert [leak.where for leak in leaks] == ["REST GET /connectors/c/config → 200"]
    assert "password=<LEAK>" in leaks[0].context and "pw-in-the-url" not in leaks[0].context
    assert "1 secret leak(s)" in watch.report()


def test_the_watch_finds_a_password_in_a_log_line_or_exception_text_of_any_logger():
    watch = SecretLeakWatch()
    watch.passwords_of_fixtures([SimpleNamespace(password="embedded-db-password"),
                                 SimpleNamespace(server=SimpleNamespace(password="helper-db-password")),
                                 "not a server"])
    watch.start()
    try:
        logging.getLogger("some.driver").info("connected with %s", "nothing secret")
        try:
            raise RuntimeError("FATAL: bad password helper-db-password")
        except RuntimeError:
            logging.getLogger("other").error("failed", exc_info=True)
        logging.getLogger("x").debug("embedded-db-password")  # below INFO: not what a log holds
    finally:
        watch.stop()
    leaks = watch.leaks()
    assert [leak.where for leak in leaks] == ["log record other:ERROR"]
    assert "bad password <LEAK>" in leaks[0].context


def test_references_and_short_values_are_not_taken_for_passwords():
    watch = SecretLeakWatch()
    watch.passwords_in_config({"connection.password": "${file:/s.properties:pw}", "db.password": "abc",
                               "x.password": "[hidden]", "connection.url": "postgresql://u:[hidden]@h/db"})
    assert watch.passwords == set()
