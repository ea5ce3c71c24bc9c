"""A worker key nothing reads is said at start (Kafka's AbstractConfig.logUnused), not ignored quietly."""

from __future__ import annotations

import logging

from dbconnect.runtime.worker_config import WorkerConfig

BASE = {"bootstrap.servers": "localhost:9092",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter"}


def test_a_misspelt_key_is_warned_in_kafkas_words_and_the_read_families_are_not(caplog):
    props = {**BASE,
             "offset.flush.interval.msec": "1000",  # a typo of offset.flush.interval.ms
             "offset.flush.interval.ms": "1000",
             "producer.linger.ms": "5", "consumer.max.poll.records": "100", "admin.request.timeout.ms": "9000",
             "value.converter.schemas.enable": "false", "security.protocol": "PLAINTEXT",
             "sasl.mechanism": "PLAIN", "ssl.ca.location": "/ca.pem",
             "listeners.https.ssl.key.location": "/k.pem",
             "config.providers": "env", "config.providers.env.class": "EnvVarConfigProvider"}
    config = WorkerConfig(props)
    with caplog.at_level(logging.WARNING, logger="dbconnect.runtime.worker_config"):
        assert config.log_unknown() == ["offset.flush.interval.msec"]
    assert [r.getMessage() for r in caplog.records] == [
        "The configuration 'offset.flush.interval.msec' was supplied but isn't a known config."]


def test_the_worker_process_says_it_once_and_a_task_process_parsing_the_same_file_does_not(caplog):
    with caplog.at_level(logging.WARNING):
        WorkerConfig({**BASE, "metrics.sampel.window.ms": "1000"})  # what a task process does
    assert not [r for r in caplog.records if "isn't a known config" in r.getMessage()]
