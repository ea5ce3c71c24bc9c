"""Kafka Connect's group protocol encodings: hand-computed vectors from Kafka's schemas, round trips."""

from __future__ import annotations

import random
import struct

import pytest

from dbconnect.api.errors import ConfigError
from dbconnect.runtime.distributed.connect_protocol import (
    CONNECT_PROTOCOL_V0, CONNECT_PROTOCOL_V1, CONNECT_PROTOCOL_V2, ConnectorsAndTasks, ExtendedAssignment,
    ProtocolError, WorkerState, deserialize_assignment, deserialize_metadata, metadata_protocols,
    protocols_for, serialize_assignment, serialize_metadata)
from dbconnect.runtime.stores.status import ConnectorTaskId


def T(c: str, t: int) -> ConnectorTaskId:
    return ConnectorTaskId(c, t)


# Written from IncrementalCooperativeConnectProtocol.ASSIGNMENT_V1 by hand: version INT16, error INT16,
# leader STRING, leader-url STRING, config-offset INT64, assignment ARRAY(connector STRING, tasks
# ARRAY(INT32)), revoked ARRAY(...), delay INT32. Connector itself = task -1.
ASSIGNMENT_V1_VECTOR = bytes.fromhex(
    "0001"                        # version 1
    "0000"                        # error 0
    "0002" "7731"                 # leader "w1"
    "000d" + b"http://a:8083".hex() +  # leader-url
    "0000000000000005"            # config-offset 5
    "00000001"                    # assignment: 1 connector entry
    "0001" "63"                   #   connector "c"
    "00000002" "ffffffff" "00000000"  # tasks [-1 (the connector), 0]
    "00000001"                    # revoked: 1 entry
    "0001" "64"                   #   connector "d"
    "00000001" "00000003"         #   tasks [3]
    "00002710"                    # delay 10000
)

# ConnectProtocol.CONFIG_STATE_V0 behind a V2 header, then ALLOCATION_V1 (NULLABLE_BYTES, null = -1).
METADATA_V2_EMPTY_VECTOR = bytes.fromhex("0002" "000d" + b"http://b:8083".hex() + "000000000000002a" "ffffffff")


def test_assignment_v1_matches_the_vector_computed_from_kafkas_schema():
    assignment = ExtendedAssignment(CONNECT_PROTOCOL_V1, 0, "w1", "http://a:8083", 5, ["c"], [T("c", 0)],
                                    [], [T("d", 3)], 10000)
    assert serialize_assignment(assignment) == ASSIGNMENT_V1_VECTOR
    decoded = deserialize_assignment(ASSIGNMENT_V1_VECTOR)
    assert decoded == assignment


def test_metadata_v2_with_no_allocation_matches_the_vector():
    state = WorkerState("http://b:8083", 42, None)
    assert serialize_metadata(state, CONNECT_PROTOCOL_V2) == METADATA_V2_EMPTY_VECTOR
    assert deserialize_metadata(METADATA_V2_EMPTY_VECTOR) == state


def test_metadata_v1_embeds_the_allocation_as_an_assignment_struct():
    state = WorkerState("http://b:8083", 7, ConnectorsAndTasks(("a",), (T("a", 0), T("b", 1))))
    data = serialize_metadata(state, CONNECT_PROTOCOL_V1)
    # header + url + offset, then INT32 length and the embedded assignment with its own V1 header
    prefix = bytes.fromhex("0001" "000d") + b"http://b:8083" + struct.pack(">q", 7)
    assert data.startswith(prefix)
    (length,) = struct.unpack(">i", data[len(prefix):len(prefix) + 4])
    embedded = data[len(prefix) + 4:]
    assert length == len(embedded)
    inner = deserialize_assignment(embedded)
    assert inner.version == CONNECT_PROTOCOL_V1 and inner.connectors == ["a"]
    assert inner.tasks == [T("a", 0), T("b", 1)]
    assert deserialize_metadata(data) == state


def test_metadata_embeds_the_members_last_assignment_as_kafkas_worker_coordinator_does():
    """WorkerCoordinator.metadata() embeds its whole assignment snapshot (leader, leader URL, config
    offset, revocations, delay), not only the connectors and tasks."""
    last = ExtendedAssignment(CONNECT_PROTOCOL_V1, 0, "w1", "http://a:8083", 5, ["c"], [T("c", 0)],
                              [], [T("d", 3)], 10000)
    state = WorkerState("http://b:8083", 7, ConnectorsAndTasks(("c",), (T("c", 0),)), last_assignment=last)
    data = serialize_metadata(state, CONNECT_PROTOCOL_V1)
    head = bytes.fromhex("0001" "000d") + b"http://b:8083" + struct.pack(">q", 7)
    assert data == head + struct.pack(">i", len(ASSIGNMENT_V1_VECTOR)) + ASSIGNMENT_V1_VECTOR
    back = deserialize_metadata(data)
    assert back == WorkerState("http://b:8083", 7, ConnectorsAndTasks(("c",), (T("c", 0),)))
    assert back.last_assignment == last


def test_metadata_at_the_end_of_a_delay_differs_from_the_join_before_it():
    """The members rejoin when scheduled.rebalance.max.delay.ms ends, running what they ran: only the
    embedded snapshot (its delay) tells this JoinGroup from the one before the delay, and a coordinator
    rebalances a stable group on changed metadata (Tansu answers unchanged metadata, even the leader's,
    with the stored assignment)."""
    allocation = ConnectorsAndTasks(("c",), (T("c", 0),))
    before_delay = ExtendedAssignment(CONNECT_PROTOCOL_V2, 0, "w1", "http://a:8083", 5, ["c"], [T("c", 0)])
    held = ExtendedAssignment(CONNECT_PROTOCOL_V2, 0, "w1", "http://a:8083", 5, ["c"], [T("c", 0)], delay_ms=20000)
    joined_with = metadata_protocols(WorkerState("http://b:8083", 5, allocation, last_assignment=before_delay), "sessioned")
    at_delay_end = metadata_protocols(WorkerState("http://b:8083", 5, allocation, last_assignment=held), "sessioned")
    assert [name for name, _ in at_delay_end] == ["sessioned", "compatible"]
    assert all(a != b for (_, a), (_, b) in zip(joined_with, at_delay_end))
    # The leader reads the same allocation from both.
    assert {deserialize_metadata(m) for _, m in joined_with} == {deserialize_metadata(m) for _, m in at_delay_end}


def test_an_empty_allocation_is_null_only_before_the_first_assignment():
    """Kafka writes a null allocation only while it has no snapshot; an empty one (a member given nothing,
    told to wait for a delay) is written in full, delay included."""
    nothing = ExtendedAssignment(CONNECT_PROTOCOL_V2, 0, "w1", "http://a:8083", 5, delay_ms=3000)
    data = serialize_metadata(WorkerState("http://b:8083", 5, None, last_assignment=nothing), CONNECT_PROTOCOL_V2)
    assert data != METADATA_V2_EMPTY_VECTOR
    back = deserialize_metadata(data)
    assert back.allocation == ConnectorsAndTasks() and back.last_assignment.delay_ms == 3000
    assert serialize_metadata(WorkerState("http://b:8083", 42, ConnectorsAndTasks()), CONNECT_PROTOCOL_V2) == \
        METADATA_V2_EMPTY_VECTOR


def test_v0_metadata_and_assignment():
    state = WorkerState("http://c:1", 3, ConnectorsAndTasks(("x",), ()))
    data = serialize_metadata(state, CONNECT_PROTOCOL_V0)
    assert data == bytes.fromhex("0000" "000a") + b"http://c:1" + struct.pack(">q", 3)
    assert deserialize_metadata(data) == WorkerState("http://c:1", 3, None)
    v0 = ExtendedAssignment(CONNECT_PROTOCOL_V0, 1, "l", "u", -1, ["x"], [T("x", 2)])
    raw = serialize_assignment(v0)
    assert raw.endswith(bytes.fromhex("00000001" "0001" "78" "00000002" "ffffffff" "00000002"))
    assert deserialize_assignment(raw) == v0


def test_v1_assignment_with_missing_trailing_fields_reads_defaults():
    # A V1 struct cut after the assignment array (TOLERATE_MISSING_FIELDS_WITH_DEFAULTS).
    cut = ASSIGNMENT_V1_VECTOR[:-(4 + 2 + 1 + 4 + 4 + 4)]
    decoded = deserialize_assignment(cut)
    assert decoded.revoked_connectors == [] and decoded.revoked_tasks == [] and decoded.delay_ms == 0
    assert decoded.connectors == ["c"]


def test_null_assignment_arrays_read_as_empty():
    raw = bytes.fromhex("0002" "0000" "0000" "0000" "0000000000000000" "ffffffff" "ffffffff" "00000000")
    decoded = deserialize_assignment(raw)
    assert decoded.connectors == [] and decoded.tasks == [] and decoded.revoked_tasks == []


@pytest.mark.parametrize("bad", [b"", b"\x00", bytes.fromhex("0001" "0000" "0005" "61"),
                                 bytes.fromhex("ffff" "0000"), bytes.fromhex("0001" "0000" "ffff")])
def test_truncated_or_invalid_bytes_raise_protocol_error(bad):
    with pytest.raises(ProtocolError):
        deserialize_assignment(bad)


def test_random_round_trips():
    rng = random.Random(14)
    for _ in range(300):
        version = rng.choice([CONNECT_PROTOCOL_V1, CONNECT_PROTOCOL_V2])
        names = [f"conn-{i}-é" for i in range(rng.randint(0, 5))]
        connectors = [n for n in names if rng.random() < 0.5]
        tasks = [T(n, i) for n in names for i in range(rng.randint(0, 4))]
        revoked_tasks = [T(n, i) for n in names for i in range(rng.randint(0, 2))]
        a = ExtendedAssignment(version, rng.choice([0, 1]), "leader-" + str(rng.random()), "http://h:1",
                               rng.randint(-1, 2**40), connectors, tasks, connectors[:1], revoked_tasks,
                               rng.randint(0, 300000))
        b = deserialize_assignment(serialize_assignment(a))
        assert b.version == a.version and b.error == a.error and b.leader == a.leader
        assert b.config_offset == a.config_offset and b.delay_ms == a.delay_ms
        assert sorted(b.connectors) == sorted(a.connectors) and sorted(b.tasks) == sorted(a.tasks)
        assert sorted(b.revoked_tasks) == sorted(a.revoked_tasks)
        assert b.revoked_connectors == a.revoked_connectors
        state = WorkerState("http://w:8083", a.config_offset, ConnectorsAndTasks(tuple(connectors), tuple(tasks)))
        back = deserialize_metadata(serialize_metadata(state, version))
        if state.allocation.is_empty():
            assert back.allocation is None
        else:
            assert set(back.allocation.tasks) == set(tasks) and set(back.allocation.connectors) == set(connectors)


def test_protocols_offered_per_connect_protocol():
    assert protocols_for("sessioned") == [("sessioned", 2), ("compatible", 1)]
    assert protocols_for("compatible") == [("compatible", 1)]
    names = [name for name, _ in metadata_protocols(WorkerState("u", 0), "sessioned")]
    assert names == ["sessioned", "compatible"]
    with pytest.raises(ConfigError, match="eager rebalancing|only incremental cooperative"):
        protocols_for("eager")
    with pytest.raises(ConfigError, match="connect.protocol"):
        protocols_for("bogus")
