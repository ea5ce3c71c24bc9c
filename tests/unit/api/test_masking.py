"""api.masking: the one function that hides secrets in REST answers, logs, traces and DLQ headers."""

from __future__ import annotations

import logging

import pytest

from dbconnect.api.config import ConfigDefinition, mask_passwords
from dbconnect.api.masking import (
    HIDDEN,
    MaskingFilter,
    config_secrets,
    forget_secrets,
    install_log_masking,
    is_variable_reference,
    mask_text,
    register_secrets,
    url_secrets,
)


@pytest.fixture
def registered():
    owners: list[str] = []

    def register(owner: str, *values: str) -> None:
        owners.append(owner)
        register_secrets(owner, values)

    yield register
    for owner in owners:
        forget_secrets(owner)


@pytest.mark.parametrize("text, expected", [
    ("postgresql://u:s3cret@h/db", "postgresql://u:[hidden]@h/db"),
    ("postgresql+psycopg://u:s3cret@h:5432/db?sslmode=require", "postgresql+psycopg://u:[hidden]@h:5432/db?sslmode=require"),
    ("jdbc:postgresql://h/db?password=s3cret", "jdbc:postgresql://h/db?password=[hidden]"),
    ("jdbc:postgresql://h/db?user=u&password=s3cret&ssl=true", "jdbc:postgresql://h/db?user=u&password=[hidden]&ssl=true"),
    ("jdbc:mysql://h/db?user=u&password=s3cret", "jdbc:mysql://h/db?user=u&password=[hidden]"),
    ("jdbc:postgresql://h/db?sslpassword=keypw&user=u", "jdbc:postgresql://h/db?sslpassword=[hidden]&user=u"),
    ("jdbc:mariadb://h/db;password=s3cret;user=u", "jdbc:mariadb://h/db;password=[hidden];user=u"),
    ("http://reg:s3cret@registry:8081", "http://reg:[hidden]@registry:8081"),
    # libpq DSNs in driver errors, and JAAS lines
    ("connection failed: host=h port=5 password=s3cret dbname=d", "connection failed: host=h port=5 password=[hidden] dbname=d"),
    ("host=h password='two words'", "host=h password='[hidden]'"),
    ('PlainLoginModule required username="u" password="s3cret";', 'PlainLoginModule required username="u" password="[hidden]";'),
    # nothing to hide
    ("jdbc:postgresql://h/db?user=u", "jdbc:postgresql://h/db?user=u"),
    ("mailto:someone@example.com", "mailto:someone@example.com"),
    # a reference is not a secret: it stays readable
    ("jdbc:postgresql://h/db?password=${file:/s.properties:pw}", "jdbc:postgresql://h/db?password=${file:/s.properties:pw}"),
    ("postgresql://u:${env:PGPW}@h/db", "postgresql://u:${env:PGPW}@h/db"),
])
def test_passwords_inside_urls_and_dsns_are_hidden(text, expected):
    assert mask_text(text) == expected


def test_url_secrets_are_the_embedded_passwords():
    assert url_secrets("jdbc:mysql://h/db?user=u&password=pw1234") == ["pw1234"]
    assert url_secrets("postgresql://u:pw5678@h/db") == ["pw5678"]
    assert url_secrets('x password="quoted1"') == ["quoted1"]
    assert url_secrets("jdbc:postgresql://h/db") == []


def test_registered_values_are_hidden_anywhere_and_forgotten_with_their_owner(registered):
    text = "FATAL: password authentication failed for user u (tried Tr0ub4dor&3)"
    assert mask_text(text) == text
    registered("conn-a", "Tr0ub4dor&3")
    assert mask_text(text) == f"FATAL: password authentication failed for user u (tried {HIDDEN})"
    forget_secrets("conn-a")
    assert mask_text(text) == text


def test_the_longest_secret_is_hidden_whole_and_short_values_are_not_replaced_everywhere(registered):
    registered("c", "abcd", "abcdefgh", "ab")
    assert mask_text("x abcdefgh y abcd z ab") == f"x {HIDDEN} y {HIDDEN} z ab"


def test_mask_passwords_hides_password_keys_urls_and_known_values_but_shows_references(registered):
    definition = ConfigDefinition.load("jdbc-source")
    registered("c", "resolved-secret-42")
    config = {
        "connection.password": "plain",
        "connection.url": "jdbc:postgresql://h/db?password=inurl",
        "value.converter.basic.auth.user.info": "u:p",
        "producer.override.sasl.jaas.config": 'x required username="u" password="p";',
        "consumer.override.ssl.key.password": "kp",
        "connection.user": "${env:PGUSER}",
        "query": "select 'resolved-secret-42'",
        "topic.prefix": None,
    }
    masked = mask_passwords(config, definition)
    assert masked == {
        "connection.password": HIDDEN,
        "connection.url": "jdbc:postgresql://h/db?password=[hidden]",
        "value.converter.basic.auth.user.info": HIDDEN,
        "producer.override.sasl.jaas.config": HIDDEN,
        "consumer.override.ssl.key.password": HIDDEN,
        "connection.user": "${env:PGUSER}",
        "query": f"select '{HIDDEN}'",
        "topic.prefix": None,
    }
    # A password key whose value is a reference shows the reference; literal text beside one is hidden.
    assert mask_passwords({"connection.password": "${file:/s.properties:pw}"}, definition) == {
        "connection.password": "${file:/s.properties:pw}"}
    assert mask_passwords({"connection.password": "pre${env:X}"}, definition) == {"connection.password": HIDDEN}


def test_is_variable_reference_only_for_references_alone():
    assert is_variable_reference("${env:A}")
    assert is_variable_reference("${file:/a/b.properties:k}${env:B}")
    assert not is_variable_reference("secret${env:A}")
    assert not is_variable_reference("plain")
    assert not is_variable_reference(None)


def test_config_secrets_collects_password_values_and_url_passwords():
    from dbconnect.api.config import is_secret_key

    config = {"connection.password": "pw-one", "connection.url": "postgresql://u:pw-two@h/db",
              "x.basic.auth.user.info": "u:pw-three", "connection.user": "u", "other": "${env:X}",
              "db.password": "${env:Y}"}
    assert sorted(config_secrets(config, {"connection.password"}, is_secret_key)) == [
        "pw-one", "pw-three", "pw-two", "u:pw-three"]


def test_the_log_filter_masks_messages_arguments_and_exception_text(registered):
    registered("c", "hunter2hunter2")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep()
    logger = logging.getLogger("test.masking.filter")
    logger.propagate = False
    logger.addHandler(handler)
    install_log_masking(logger)
    install_log_masking(logger)  # once only
    assert sum(isinstance(f, MaskingFilter) for f in handler.filters) == 1
    try:
        logger.warning("connecting to %s", "postgresql://u:pw@h/db")
        try:
            raise RuntimeError("driver said: password hunter2hunter2 is wrong")
        except RuntimeError:
            logger.exception("failed with %s", "hunter2hunter2")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    formatter = logging.Formatter()
    lines = [formatter.format(r) for r in records]
    assert lines[0] == "connecting to postgresql://u:[hidden]@h/db"
    assert "hunter2hunter2" not in lines[1] and "failed with [hidden]" in lines[1]
    assert "driver said: password [hidden] is wrong" in lines[1]
