"""The distributed worker's settings (issue 14 item 2): schemas/worker.json is their one source of
truth, and what it cannot say (required keys, three distinct topics) is checked before anything starts."""

from __future__ import annotations

import pytest

from dbconnect.api.errors import ConfigError
from dbconnect.cli import main
from dbconnect.runtime.connect import check_distributed_config
from dbconnect.runtime.worker_config import WorkerConfig

BASE = {"key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "group.id": "g", "config.storage.topic": "c", "offset.storage.topic": "o", "status.storage.topic": "s"}


def test_every_distributed_key_of_the_issue_is_known_with_kafkas_default():
    config = WorkerConfig(BASE)
    assert config.get("connect.protocol") == "sessioned"
    assert config.get("worker.sync.timeout.ms") == 3000
    assert config.get("worker.unsync.backoff.ms") == 300000
    assert config.get("scheduled.rebalance.max.delay.ms") == 300000
    assert config.get("offset.flush.interval.ms") == 60000
    assert config.get("offset.storage.partitions") == 25 and config.get("status.storage.partitions") == 5
    check_distributed_config(config)


def test_eager_rebalancing_is_refused_with_a_clear_message():
    with pytest.raises(ConfigError, match="Only incremental cooperative rebalancing is built: connect.protocol must be "
                                          "compatible or sessioned"):
        WorkerConfig({**BASE, "connect.protocol": "eager"})
    assert WorkerConfig({**BASE, "connect.protocol": "COMPATIBLE"}).get("connect.protocol").lower() == "compatible"


def test_the_required_keys_are_named():
    with pytest.raises(ConfigError) as caught:
        check_distributed_config(WorkerConfig({k: v for k, v in BASE.items() if k != "group.id"}))
    assert 'Missing required configuration "group.id" which has no default value.' in str(caught.value)


def test_the_three_topics_must_differ_and_no_offsets_file():
    with pytest.raises(ConfigError, match="must be three different topics"):
        check_distributed_config(WorkerConfig({**BASE, "status.storage.topic": "c"}))
    with pytest.raises(ConfigError, match="offset.storage.file.filename is a standalone setting"):
        check_distributed_config(WorkerConfig({**BASE, "offset.storage.file.filename": "/tmp/x"}))


def test_dbconnect_distributed_without_file_or_variables_says_what_it_needs(monkeypatch, caplog):
    for name in list(__import__("os").environ):
        if name.startswith("CONNECT_"):
            monkeypatch.delenv(name)
    assert main(["distributed"]) == 1
    assert "give a worker .properties file or CONNECT_* environment variables" in caplog.text


def test_exactly_once_source_support_is_refused_rather_than_ignored():
    with pytest.raises(ConfigError, match="exactly.once.source.support=enabled/preparing is not supported"):
        check_distributed_config(WorkerConfig({**BASE, "exactly.once.source.support": "enabled"}))
