#!/usr/bin/env python3
"""Repro: the test broker (Tansu) keeps a consumer that left during its JoinGroup as group leader.

Usage: python tools/repro_tansu_leave_during_join.py [--wait 20]

Two plain confluent-kafka consumers, nothing from dbconnect's runtime (only the embedded
broker launcher). In each scenario consumer A subscribes to a topic in a fresh group and is
closed; then consumer B subscribes to the same topic in the same group and waits for an
assignment.

- "A closed after its join completed": B is assigned in about 3 s (one Tansu join round).
- "A closed while its JoinGroup was pending": A's close() sends LeaveGroup with its member id
  (``debug=cgrp`` shows "Sent LeaveGroupRequest"), but Tansu answers it only once the pending
  JoinGroup completes and keeps A in the group as its leader. B then loops
  JoinGroup (leader = A's member id) -> SyncGroup "Group rebalance in progress" -> JoinGroup ...
  forever: A is never expired, though session.timeout.ms is 6 s.

Apache Kafka removes a member on LeaveGroup (even while a rebalance is pending) and expires a
silent one after session.timeout.ms, so B would be assigned there. This is why a sink whose
config is PUT twice within ~3 s, or whose task is restarted while its consumer is still joining,
receives nothing on Tansu: the runtime closes the old consumer before the new task instance
subscribes (tests/integration/test_sink_before_topic.py), and the broker ignores the leave. The
integration tests therefore wait for a record to arrive (proof that the join completed) before
each further lifecycle operation.

Exit status: 0 if both scenarios assign B (the broker behaves like Kafka), 1 if the second does not.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from confluent_kafka import Consumer  # noqa: E402

from dbconnect.embedded import EmbeddedBroker  # noqa: E402


def _consumer(broker: EmbeddedBroker, group: str, name: str) -> Consumer:
    return Consumer(broker.client_config(**{
        "group.id": group, "client.id": name, "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000,
        "auto.offset.reset": "earliest", "enable.auto.commit": False,
    }))


def _assigned_within(consumer: Consumer, topic: str, seconds: float) -> float | None:
    """Seconds until the consumer got a non-empty assignment, or None."""
    assigned: list = []
    consumer.subscribe([topic], on_assign=lambda _c, partitions: assigned.append(partitions))
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        consumer.poll(0.2)
        if assigned and assigned[-1]:
            return time.monotonic() - start
    return None


def scenario(broker: EmbeddedBroker, close_during_join: bool, wait: float) -> float | None:
    topic, group = f"repro-{uuid.uuid4().hex[:8]}", f"repro-{uuid.uuid4().hex[:8]}"
    broker.create_topic(topic)
    a = _consumer(broker, group, "consumer-A")
    if close_during_join:
        a.subscribe([topic])
        start = time.monotonic()
        while time.monotonic() - start < 1.0:  # the JoinGroup is now parked in the broker (~3 s)
            a.poll(0.1)
    else:
        if _assigned_within(a, topic, 30) is None:
            raise SystemExit("consumer A was never assigned: the broker does not form groups at all")
    a.close()  # sends LeaveGroup
    b = _consumer(broker, group, "consumer-B")
    try:
        return _assigned_within(b, topic, wait)
    finally:
        b.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=float, default=20.0, help="seconds B waits for an assignment (default 20)")
    args = parser.parse_args()
    with EmbeddedBroker() as broker:
        results = {}
        for label, during in (("A closed after its join completed", False),
                              ("A closed while its JoinGroup was pending", True)):
            took = scenario(broker, during, args.wait)
            results[label] = took
            print(f"{label}: B " + (f"assigned after {took:.1f} s" if took is not None
                                      else f"NOT assigned within {args.wait:.0f} s"))
    return 0 if all(t is not None for t in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
