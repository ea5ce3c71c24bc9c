"""Kafka Connect's group protocol, byte for byte: member metadata and assignments.

The encodings of Kafka's ``ConnectProtocol`` (V0) and ``IncrementalCooperativeConnectProtocol``
(V1 ``compatible``, V2 ``sessioned``), so that the bytes a worker sends in JoinGroup and receives in
SyncGroup are the ones a Java worker sends and reads. Every value is a big-endian Kafka protocol
"Struct" with a leading INT16 version header:

- metadata V0:   version INT16, url STRING, config-offset INT64
- metadata V1/2: version INT16, url STRING, config-offset INT64, allocation NULLABLE_BYTES
  (the member's last assignment with what it runs now, itself encoded as an assignment V1/2: its
  leader, leader URL, config offset, revocations and delay as received, as Kafka's WorkerCoordinator
  embeds its assignment snapshot; null before its first assignment, when it owns nothing)
- assignment V0: version INT16, error INT16, leader STRING, leader-url STRING, config-offset INT64,
  assignment ARRAY(connector STRING, tasks ARRAY(INT32))
- assignment V1/2: the V0 fields, with ``assignment`` nullable, then revoked (nullable ARRAY of the same
  struct) and delay INT32; fields missing at the end of a buffer read as their defaults (null, null, 0).

STRING is an INT16 length and UTF-8 bytes; ARRAY an INT32 count (−1 = null); NULLABLE_BYTES an INT32
length (−1 = null). In a connector's ``tasks`` array, −1 stands for the connector itself.

Only cooperative rebalancing is built, so ``connect.protocol=eager`` is refused.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Iterable

from ...api.errors import ConfigError
from ..stores.status import ConnectorTaskId

CONNECT_PROTOCOL_V0 = 0
CONNECT_PROTOCOL_V1 = 1
CONNECT_PROTOCOL_V2 = 2
CONNECTOR_TASK = -1

NO_ERROR = 0
# The leader could not resolve the members' config offsets: read the config topic to the end, rejoin.
CONFIG_MISMATCH = 1

PROTOCOL_VERSIONS = {"default": CONNECT_PROTOCOL_V0, "compatible": CONNECT_PROTOCOL_V1, "sessioned": CONNECT_PROTOCOL_V2}


class ProtocolError(ValueError):
    """Bytes that are not a Connect protocol struct (truncated, negative lengths, unknown version)."""


@dataclass(frozen=True)
class ConnectorsAndTasks:
    """What one worker runs: connector names and task ids (Kafka's ConnectorsAndTasks)."""

    connectors: tuple[str, ...] = ()
    tasks: tuple[ConnectorTaskId, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "connectors", tuple(self.connectors))
        object.__setattr__(self, "tasks", tuple(ConnectorTaskId(c, int(t)) for c, t in self.tasks))

    def is_empty(self) -> bool:
        return not self.connectors and not self.tasks


@dataclass(frozen=True)
class WorkerState:
    """A member's JoinGroup metadata: its REST URL, the config offset it has read, what it runs.

    ``last_assignment`` is the member's last assignment (Kafka's assignment snapshot): its leader,
    leader URL, config offset, revocations and delay are embedded with ``allocation`` as Kafka does.
    So the metadata changes from one round to the next, and a rejoin at the end of a delay is a
    metadata change, which makes any group coordinator start a rebalance (see serialize_metadata).
    It is what the member sent, not what the leader reads: it takes no part in comparisons.
    """

    url: str
    config_offset: int
    allocation: ConnectorsAndTasks | None = None
    last_assignment: ExtendedAssignment | None = field(default=None, compare=False)


@dataclass
class ExtendedAssignment:
    """One member's share of a rebalance (Kafka's ExtendedAssignment).

    ``connectors``/``tasks`` are what the leader assigns in this round. Kafka's cooperative leader sends
    only the *new* work here; the member keeps what it already runs unless it is listed in
    ``revoked_connectors``/``revoked_tasks`` (WorkerGroupMember does that bookkeeping).
    ``delay_ms`` > 0 asks the members to rejoin after that many ms (lost work held back, KIP-415).
    """

    version: int
    error: int
    leader: str
    leader_url: str
    config_offset: int
    connectors: list[str] = field(default_factory=list)
    tasks: list[ConnectorTaskId] = field(default_factory=list)
    revoked_connectors: list[str] = field(default_factory=list)
    revoked_tasks: list[ConnectorTaskId] = field(default_factory=list)
    delay_ms: int = 0

    def __post_init__(self) -> None:
        self.tasks = [ConnectorTaskId(c, int(t)) for c, t in self.tasks]
        self.revoked_tasks = [ConnectorTaskId(c, int(t)) for c, t in self.revoked_tasks]

    def failed(self) -> bool:
        return self.error != NO_ERROR


def protocols_for(connect_protocol: str) -> list[tuple[str, int]]:
    """The (name, version) pairs a member offers in JoinGroup, most preferred first (as Kafka).

    ``sessioned`` offers sessioned (V2) then compatible (V1), ``compatible`` only V1. Kafka also offers
    ``default`` (eager, V0) last; this worker builds only cooperative rebalancing, so it does not.
    """
    mode = str(connect_protocol).strip().lower()
    if mode == "sessioned":
        return [("sessioned", CONNECT_PROTOCOL_V2), ("compatible", CONNECT_PROTOCOL_V1)]
    if mode == "compatible":
        return [("compatible", CONNECT_PROTOCOL_V1)]
    if mode in ("eager", "default"):
        raise ConfigError(
            f"connect.protocol={connect_protocol} is not supported: dbconnect builds only incremental "
            "cooperative rebalancing; use connect.protocol=sessioned (the default) or compatible",
            {"connect.protocol": ["eager rebalancing is not supported; use sessioned or compatible"]})
    raise ConfigError(
        f"Invalid value {connect_protocol} for configuration connect.protocol: must be one of sessioned, compatible",
        {"connect.protocol": ["must be one of sessioned, compatible"]})


# -- primitive writers / readers -------------------------------------------------------------

def _string(value: str) -> bytes:
    raw = value.encode("utf-8")
    if len(raw) > 0x7FFF:
        raise ProtocolError(f"string of {len(raw)} bytes is longer than a Kafka STRING can hold")
    return struct.pack(">h", len(raw)) + raw


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = bytes(data)
        self.pos = 0

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def _take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ProtocolError(f"truncated Connect protocol struct: need {n} bytes at {self.pos} of {len(self.data)}")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def int16(self) -> int:
        return struct.unpack(">h", self._take(2))[0]

    def int32(self) -> int:
        return struct.unpack(">i", self._take(4))[0]

    def int64(self) -> int:
        return struct.unpack(">q", self._take(8))[0]

    def string(self) -> str:
        n = self.int16()
        if n < 0:
            raise ProtocolError("null where a STRING is required")
        return self._take(n).decode("utf-8")

    def nullable_bytes(self) -> bytes | None:
        n = self.int32()
        if n == -1:
            return None
        if n < 0:
            raise ProtocolError(f"invalid byte length {n}")
        return self._take(n)


def _check_version(version: int) -> None:
    if version < CONNECT_PROTOCOL_V0:
        raise ProtocolError(f"Unsupported subscription version: {version}")


# -- connector assignment arrays -------------------------------------------------------------

def _assignment_array(connectors: Iterable[str], tasks: Iterable[ConnectorTaskId]) -> list[tuple[str, list[int]]]:
    """Group work per connector, the connector itself as task −1 first (Kafka's asMap)."""
    grouped: dict[str, list[int]] = {}
    for name in connectors:
        grouped.setdefault(name, []).append(CONNECTOR_TASK)
    for name, task in tasks:
        grouped.setdefault(name, []).append(int(task))
    return list(grouped.items())


def _write_array(entries: list[tuple[str, list[int]]] | None) -> bytes:
    if entries is None:
        return struct.pack(">i", -1)
    out = [struct.pack(">i", len(entries))]
    for name, ids in entries:
        out.append(_string(name))
        out.append(struct.pack(">i", len(ids)))
        out.append(struct.pack(f">{len(ids)}i", *ids))
    return b"".join(out)


def _read_array(reader: _Reader) -> tuple[list[str], list[ConnectorTaskId]] | None:
    count = reader.int32()
    if count == -1:
        return None
    if count < 0:
        raise ProtocolError(f"invalid array length {count}")
    connectors: list[str] = []
    tasks: list[ConnectorTaskId] = []
    for _ in range(count):
        name = reader.string()
        n = reader.int32()
        if n < 0:
            raise ProtocolError(f"invalid tasks array length {n} for connector {name}")
        for _ in range(n):
            task = reader.int32()
            if task == CONNECTOR_TASK:
                connectors.append(name)
            else:
                tasks.append(ConnectorTaskId(name, task))
    return connectors, tasks


# -- assignments -----------------------------------------------------------------------------

def serialize_assignment(assignment: ExtendedAssignment) -> bytes:
    """SyncGroup bytes of one member's assignment, in the struct of ``assignment.version``."""
    version = assignment.version
    _check_version(version)
    head = struct.pack(">hh", version, assignment.error) + _string(assignment.leader) + \
        _string(assignment.leader_url) + struct.pack(">q", assignment.config_offset)
    assigned = _assignment_array(assignment.connectors, assignment.tasks)
    if version == CONNECT_PROTOCOL_V0:
        return head + _write_array(assigned)
    revoked = _assignment_array(assignment.revoked_connectors, assignment.revoked_tasks)
    return head + _write_array(assigned) + _write_array(revoked) + struct.pack(">i", assignment.delay_ms)


def deserialize_assignment(data: bytes | None) -> ExtendedAssignment | None:
    """An assignment of any version (V0 reads with no revocations and no delay); None for no bytes."""
    if data is None:
        return None
    reader = _Reader(data)
    version = reader.int16()
    _check_version(version)
    error = reader.int16()
    leader = reader.string()
    leader_url = reader.string()
    offset = reader.int64()
    assigned = _read_array(reader)
    revoked: tuple[list[str], list[ConnectorTaskId]] | None = None
    delay = 0
    # V1+: trailing fields may be missing and then take their defaults (TOLERATE_MISSING_FIELDS_WITH_DEFAULTS).
    if version >= CONNECT_PROTOCOL_V1 and reader.remaining():
        revoked = _read_array(reader)
        if reader.remaining():
            delay = reader.int32()
    connectors, tasks = assigned or ([], [])
    revoked_connectors, revoked_tasks = revoked or ([], [])
    return ExtendedAssignment(version, error, leader, leader_url, offset, connectors, tasks,
                              revoked_connectors, revoked_tasks, delay)


# -- member metadata -------------------------------------------------------------------------

def serialize_metadata(state: WorkerState, version: int) -> bytes:
    """JoinGroup metadata for one protocol version (V0 carries no allocation)."""
    _check_version(version)
    head = struct.pack(">h", version) + _string(state.url) + struct.pack(">q", state.config_offset)
    if version == CONNECT_PROTOCOL_V0:
        return head
    allocation = state.allocation or ConnectorsAndTasks()
    last = state.last_assignment
    if last is None:
        if allocation.is_empty():
            # Kafka writes a null allocation while it has no assignment snapshot.
            return head + struct.pack(">i", -1)
        embedded = serialize_assignment(ExtendedAssignment(
            version, NO_ERROR, "", "", state.config_offset, list(allocation.connectors), list(allocation.tasks)))
    else:
        # Kafka's WorkerCoordinator.metadata() embeds its whole assignment snapshot (serializeAssignment of
        # the augmented ExtendedAssignment), delay and revocations included. Besides matching a Java
        # worker's bytes, this matters at the end of scheduled.rebalance.max.delay.ms: the members
        # rejoin with a snapshot that differs from the metadata of their previous JoinGroup (at least its
        # delay does), and a JoinGroup with changed metadata makes a coordinator rebalance a stable group
        # (Kafka's GroupMetadataManager: "!member.matches(protocols)"; Tansu 0.6 likewise, while it
        # answers a rejoin with unchanged metadata, even the leader's, with the stored assignment).
        embedded = serialize_assignment(ExtendedAssignment(
            version, last.error, last.leader, last.leader_url, last.config_offset, list(allocation.connectors),
            list(allocation.tasks), list(last.revoked_connectors), list(last.revoked_tasks), last.delay_ms))
    return head + struct.pack(">i", len(embedded)) + embedded


def deserialize_metadata(data: bytes) -> WorkerState:
    reader = _Reader(data)
    version = reader.int16()
    _check_version(version)
    url = reader.string()
    offset = reader.int64()
    allocation: ConnectorsAndTasks | None = None
    embedded: ExtendedAssignment | None = None
    if version >= CONNECT_PROTOCOL_V1 and reader.remaining():
        embedded = deserialize_assignment(reader.nullable_bytes())
        if embedded is not None:
            allocation = ConnectorsAndTasks(tuple(embedded.connectors), tuple(embedded.tasks))
    return WorkerState(url, offset, allocation, embedded)


def metadata_protocols(state: WorkerState, connect_protocol: str) -> list[tuple[str, bytes]]:
    """JoinGroup's protocol list for ``connect.protocol``: [(name, metadata bytes)], preferred first."""
    return [(name, serialize_metadata(state, version)) for name, version in protocols_for(connect_protocol)]
