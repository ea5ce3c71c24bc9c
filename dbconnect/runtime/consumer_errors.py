"""What a sink task does with each error its consumer reports (pure logic, no I/O).

librdkafka reports consumer errors two ways: as error events returned by ``consume()`` (with the
topic/partition they concern, when there is one) and through the ``error_cb`` callback (client-wide:
connections, authentication, fatal errors). Almost all of them are informational: the client
reconnects, re-reads metadata, rejoins the group and resumes fetching by itself. Failing the task on
them (as the runtime once did for every "non-retriable" code, which is nearly all of them) turns a
broker restart, or a sink created before its topic, into a FAILED task that needs a manual restart.

So a task fails only when the consumer cannot go on without a decision from the user:
- a fatal error (``KafkaError.fatal()``, e.g. a static member fenced by another with the same
  ``group.instance.id``);
- no valid offset to start from while ``auto.offset.reset`` is ``none``/``error``: the partition
  stays stopped until someone picks an offset;
- a message the client could not decode: skipping it would lose a record silently;
- a group setting the broker refuses (session timeout out of range, invalid group id, invalid
  argument): every rejoin would be refused the same way.
Everything else is logged (rate-limited with :class:`ThrottledLog`) and the loop carries on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError


@dataclass(frozen=True)
class Verdict:
    """How to treat one consumer error."""

    category: str  # groups errors for rate-limited logging ("missing-topic", "connectivity", ...)
    fail: bool  # the task cannot continue: fail it with ``advice`` in its trace
    level: int  # logging level when the task carries on (0: not logged at all)
    advice: str  # what happens next / what the user can do


_IGNORE = Verdict("end-of-partition", False, 0, "")

_MISSING_TOPIC = Verdict(
    "missing-topic", False, logging.WARNING,
    "The task stays RUNNING and starts consuming the topic (from the earliest offset unless "
    "auto.offset.reset says otherwise) as soon as it exists; the consumer looks for it every "
    "topic.metadata.refresh.interval.ms.",
)
_AUTHORIZATION = Verdict(
    "authorization", False, logging.ERROR,
    "Grant the worker's principal READ on the topic and READ on the consumer group "
    "(connect-<connector name>); the consumer keeps retrying and resumes once the ACLs exist.",
)
_AUTHENTICATION = Verdict(
    "authentication", False, logging.ERROR,
    "Check the security.protocol / sasl.* / ssl.* settings of the worker (or the connector's "
    "consumer.override.*); the consumer keeps retrying with the settings it was started with.",
)
_CONNECTIVITY = Verdict(
    "connectivity", False, logging.WARNING,
    "The consumer reconnects by itself; the task resumes from its position when the brokers answer.",
)
_GROUP = Verdict(
    "group", False, logging.INFO,
    "The consumer rejoins its group by itself.",
)
_MAX_POLL = Verdict(
    "max-poll-exceeded", False, logging.WARNING,
    "The task did not poll its consumer for max.poll.interval.ms (a put() or flush took that long), so "
    "the consumer left its group; it rejoins on this poll and records not yet committed are delivered "
    "again. Raise consumer.override.max.poll.interval.ms or lower consumer.override.max.poll.records.",
)
_TRUNCATION = Verdict(
    "log-truncation", False, logging.ERROR,
    "The broker's log was truncated below the consumer's position (an unclean leader election); "
    "the consumer resets per auto.offset.reset. Records written before the truncation may be gone.",
)
_OTHER = Verdict(
    "other", False, logging.WARNING,
    "Not fatal: the consumer retries by itself.",
)
_NO_OFFSET = Verdict(
    "offset-reset", True, logging.ERROR,
    "There is no valid offset to start from and auto.offset.reset is 'none' (librdkafka: 'error'), so "
    "the partition cannot be consumed. Either stop the connector (PUT /connectors/<name>/stop), set "
    "the offsets with PATCH /connectors/<name>/offsets and resume it, or set "
    "consumer.override.auto.offset.reset to earliest or latest.",
)
_BAD_MESSAGE = Verdict(
    "bad-message", True, logging.ERROR,
    "The consumer could not decode a fetched message; carrying on would skip it unseen. Inspect the "
    "partition at that offset; to skip the record on purpose, stop the connector and move its offset "
    "past it with PATCH /connectors/<name>/offsets.",
)
_REFUSED_SETTING = Verdict(
    "refused-setting", True, logging.ERROR,
    "The broker refuses a consumer group setting, so every rejoin would fail the same way. Fix the "
    "worker's consumer.* or the connector's consumer.override.* settings (session.timeout.ms must lie "
    "within the broker's group.min/max.session.timeout.ms) and restart the task.",
)
_FATAL = Verdict(
    "fatal", True, logging.ERROR,
    "The consumer cannot continue (for a fenced static member: another consumer uses the same "
    "group.instance.id). Fix the cause, then restart the task "
    "(POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true).",
)

_BY_CODE: dict[int, Verdict] = {}


def _register(verdict: Verdict, *names: str) -> None:
    for name in names:
        code = getattr(KafkaError, name, None)  # an older librdkafka may lack a newer code
        if code is not None:
            _BY_CODE[code] = verdict


_register(_IGNORE, "_PARTITION_EOF")
_register(_MISSING_TOPIC, "UNKNOWN_TOPIC_OR_PART", "_UNKNOWN_TOPIC", "_UNKNOWN_PARTITION", "UNKNOWN_TOPIC_ID")
_register(_AUTHORIZATION, "TOPIC_AUTHORIZATION_FAILED", "GROUP_AUTHORIZATION_FAILED",
          "CLUSTER_AUTHORIZATION_FAILED")
_register(_AUTHENTICATION, "_AUTHENTICATION", "SASL_AUTHENTICATION_FAILED", "_SSL")
_register(_CONNECTIVITY, "_TRANSPORT", "_ALL_BROKERS_DOWN", "_RESOLVE", "_TIMED_OUT", "_FAIL",
          "NETWORK_EXCEPTION", "REQUEST_TIMED_OUT", "LEADER_NOT_AVAILABLE", "NOT_LEADER_FOR_PARTITION",
          "BROKER_NOT_AVAILABLE", "_WAIT_COORD", "COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR",
          "COORDINATOR_LOAD_IN_PROGRESS")
_register(_GROUP, "REBALANCE_IN_PROGRESS", "UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION", "_ASSIGNMENT_LOST",
          "INCONSISTENT_GROUP_PROTOCOL", "GROUP_MAX_SIZE_REACHED")
_register(_MAX_POLL, "_MAX_POLL_EXCEEDED")
_register(_TRUNCATION, "_LOG_TRUNCATION")
_register(_NO_OFFSET, "_AUTO_OFFSET_RESET", "OFFSET_OUT_OF_RANGE")
_register(_BAD_MESSAGE, "_BAD_MSG")
_register(_REFUSED_SETTING, "INVALID_SESSION_TIMEOUT", "INVALID_GROUP_ID", "_INVALID_ARG")
_register(_FATAL, "_FATAL", "FENCED_INSTANCE_ID")


def classify(error: KafkaError) -> Verdict:
    """The verdict for one error from ``consume()`` or ``error_cb``."""
    if error.fatal():
        return _FATAL
    return _BY_CODE.get(error.code(), _OTHER)


def describe(error: KafkaError, message: Any = None) -> str:
    """The error with the partition/offset it concerns, when the consumer said which."""
    where = ""
    if message is not None and message.topic():
        where = f" (topic {message.topic()}"
        partition, offset = message.partition(), message.offset()
        # Errors about a whole subscription carry no offset; their partition number means nothing.
        if partition is not None and partition >= 0 and offset is not None and offset >= 0:
            where += f", partition {partition}, offset {offset}"
        where += ")"
    return f"{error.str()}{where}"


class ThrottledLog:
    """Log the first occurrence of each kind of message, then at most one per ``interval`` seconds.

    A broker outage or a missing topic makes librdkafka report the same error over and over; a
    line per report would flood the worker log. The line after a quiet spell says how many
    were held back.
    """

    def __init__(self, logger: logging.Logger, interval: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._log = logger
        self._interval = interval
        self._clock = clock
        self._seen: dict[Any, list[float]] = {}  # key -> [time last logged, occurrences held back]

    def log(self, key: Any, level: int, message: str) -> bool:
        """Log ``message`` unless one with the same ``key`` was logged less than ``interval`` ago."""
        now = self._clock()
        entry = self._seen.get(key)
        if entry is not None and now - entry[0] < self._interval:
            entry[1] += 1
            return False
        held = int(entry[1]) if entry is not None else 0
        if held:
            message += f" ({held} more like this in the last {now - entry[0]:.0f}s were not logged)"
        self._log.log(level, message)
        self._seen[key] = [now, 0]
        return True
