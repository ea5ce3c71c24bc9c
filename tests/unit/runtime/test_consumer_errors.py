"""Which consumer errors fail a sink task, and which are logged (rate-limited)."""

from __future__ import annotations

import logging

import pytest
from confluent_kafka import KafkaError

from dbconnect.api.errors import ConnectError
from dbconnect.connectors.file import FileStreamSinkTask
from dbconnect.converters.json import JsonConverter
from dbconnect.runtime.consumer_errors import ThrottledLog, classify, describe
from dbconnect.runtime.errors import ErrorHandler
from dbconnect.runtime.sink_task import WorkerSinkTask
from dbconnect.runtime.stores.status import ConnectorTaskId, MemoryStatusBackingStore
from dbconnect.runtime.transformation_chain import TransformationChain

# Errors the consumer gets past by itself: the task must keep running.
CARRY_ON = {
    "missing-topic": ["UNKNOWN_TOPIC_OR_PART", "_UNKNOWN_TOPIC", "_UNKNOWN_PARTITION"],
    "authorization": ["TOPIC_AUTHORIZATION_FAILED", "GROUP_AUTHORIZATION_FAILED"],
    "authentication": ["SASL_AUTHENTICATION_FAILED", "_AUTHENTICATION", "_SSL"],
    "connectivity": ["_TRANSPORT", "_ALL_BROKERS_DOWN", "_RESOLVE", "NETWORK_EXCEPTION", "NOT_COORDINATOR",
                     "LEADER_NOT_AVAILABLE"],
    "group": ["REBALANCE_IN_PROGRESS", "UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION", "_ASSIGNMENT_LOST"],
    "max-poll-exceeded": ["_MAX_POLL_EXCEEDED"],
    "log-truncation": ["_LOG_TRUNCATION"],
}
# Errors the consumer cannot get past without the user: the task must fail, saying what to do.
FAIL = {
    "offset-reset": ["_AUTO_OFFSET_RESET", "OFFSET_OUT_OF_RANGE"],
    "bad-message": ["_BAD_MSG"],
    "refused-setting": ["INVALID_SESSION_TIMEOUT", "INVALID_GROUP_ID", "_INVALID_ARG"],
    "fatal": ["_FATAL", "FENCED_INSTANCE_ID"],
}


@pytest.mark.parametrize("category,name", [(c, n) for c, names in CARRY_ON.items() for n in names])
def test_recoverable_consumer_errors_do_not_fail_the_task(category, name):
    verdict = classify(KafkaError(getattr(KafkaError, name)))
    assert (verdict.category, verdict.fail) == (category, False)
    assert verdict.level >= logging.INFO and verdict.advice


@pytest.mark.parametrize("category,name", [(c, n) for c, names in FAIL.items() for n in names])
def test_unrecoverable_consumer_errors_fail_the_task_with_advice(category, name):
    verdict = classify(KafkaError(getattr(KafkaError, name)))
    assert (verdict.category, verdict.fail) == (category, True)
    assert verdict.advice


def test_end_of_partition_is_not_even_logged():
    verdict = classify(KafkaError(KafkaError._PARTITION_EOF))
    assert (verdict.fail, verdict.level) == (False, 0)


def test_any_error_librdkafka_marks_fatal_fails_and_unknown_codes_carry_on():
    assert classify(KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, "x", fatal=True)).category == "fatal"
    other = classify(KafkaError(KafkaError.UNSUPPORTED_COMPRESSION_TYPE))
    assert (other.category, other.fail) == ("other", False)


def test_the_offset_reset_advice_names_the_rest_calls_and_the_setting():
    advice = classify(KafkaError(KafkaError._AUTO_OFFSET_RESET)).advice
    assert "PATCH /connectors/<name>/offsets" in advice and "auto.offset.reset" in advice


class _Msg:
    def __init__(self, topic, partition, offset):
        self._t, self._p, self._o = topic, partition, offset

    def topic(self):
        return self._t

    def partition(self):
        return self._p

    def offset(self):
        return self._o


def test_describe_names_the_partition_and_offset_only_when_the_error_has_them():
    err = KafkaError(KafkaError._BAD_MSG)
    assert describe(err, _Msg("orders", 2, 41)) == "Local: Bad message format (topic orders, partition 2, offset 41)"
    missing = KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART)
    assert describe(missing, _Msg("orders", 0, -1001)) == "Broker: Unknown topic or partition (topic orders)"
    assert describe(missing) == "Broker: Unknown topic or partition"


def test_throttled_log_logs_once_per_interval_and_counts_what_it_held_back(caplog):
    now = [100.0]
    throttled = ThrottledLog(logging.getLogger("test.throttled"), interval=60.0, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="test.throttled"):
        assert throttled.log("a", logging.WARNING, "broker down")
        now[0] += 1
        assert not throttled.log("a", logging.WARNING, "broker down")
        assert throttled.log("b", logging.WARNING, "other topic")  # another key is not held back
        now[0] += 30
        assert not throttled.log("a", logging.WARNING, "broker down")
        now[0] += 30
        assert throttled.log("a", logging.WARNING, "broker down")
    assert [r.getMessage() for r in caplog.records] == [
        "broker down", "other topic", "broker down (2 more like this in the last 61s were not logged)"]


def _sink_task(tmp_path) -> WorkerSinkTask:
    return WorkerSinkTask(
        task=FileStreamSinkTask(), task_config={"file": str(tmp_path / "out.txt"), "topics": "t"},
        key_converter=JsonConverter(), value_converter=JsonConverter(), transformations=TransformationChain(),
        error_handler=ErrorHandler("c", 0, {}), offset_flush_interval_ms=1000, task_id=ConnectorTaskId("c", 0),
        status_store=MemoryStatusBackingStore(), worker_id="w", target_state="STARTED",
        consumer_config={"bootstrap.servers": "127.0.0.1:1", "group.id": "connect-c"}, max_poll_records=10,
    )


def test_sink_task_logs_recoverable_errors_once_and_fails_on_the_others(tmp_path, caplog):
    task = _sink_task(tmp_path)
    with caplog.at_level(logging.INFO, logger="dbconnect.runtime.sink_task"):
        for _ in range(5):
            task._consumer_error(KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART), _Msg("orders", 0, -1001))
    assert len(caplog.records) == 1 and "stays RUNNING" in caplog.records[0].getMessage()
    with pytest.raises(ConnectError, match="Consumer error: Local: No offset to automatically reset to .*PATCH /connectors/c/offsets"):
        task._consumer_error(KafkaError(KafkaError._AUTO_OFFSET_RESET), _Msg("orders", 1, -1001))


def test_a_fatal_error_from_error_cb_is_kept_for_the_loop_to_raise(tmp_path):
    task = _sink_task(tmp_path)
    task._on_client_error(KafkaError(KafkaError._TRANSPORT))
    assert task._fatal_error is None
    task._on_client_error(KafkaError(KafkaError._FATAL, "fenced", fatal=True))
    task._on_client_error(KafkaError(KafkaError._FATAL, "later", fatal=True))
    assert isinstance(task._fatal_error, ConnectError) and "fenced" in str(task._fatal_error)
