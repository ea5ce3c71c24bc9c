#!/usr/bin/env python3
"""Repro: on the test broker (Tansu 0.6) a group whose leader leaves during a rebalance is stuck for good.

Usage: python tools/repro_tansu_leader_leaves_mid_rebalance.py [--rounds 5] [--expiry-wait 8]

Plain group protocol requests on a socket (JoinGroup v1, SyncGroup v0, LeaveGroup v0, hand-encoded;
nothing of dbconnect but the embedded broker launcher), protocol type ``connect``, so no client
library's retries or timers are involved:

1. member A joins a fresh group: it is the leader; its SyncGroup completes generation g1;
2. member B joins: a new rebalance starts (Tansu's "Forming" state), B's JoinGroup names A leader;
3. A leaves (LeaveGroup) before it has rejoined: a member leaving in the middle of a rebalance, as a
   worker stopped while the group rebalances does;
4. B (and then a brand-new member C, with a fresh member id) rejoin and sync, a few rounds;
5. after more than the session timeout (6 s), once more (each JoinGroup of a follower also waits
   Tansu's 3 s join pause, so the rounds alone already outlast the session timeout).

On Tansu every JoinGroup after step 3 still names A, which is gone, as the leader, so nobody computes
an assignment and every SyncGroup answers REBALANCE_IN_PROGRESS, for ever: a fresh member id does
not help, and no timeout ends it (A is no longer a member, so no session expiry removes it as
leader). The cause, in Tansu's source (tansu-broker/src/coordinator/group/administrator.rs, v0.6.0,
commit 079c4c33): ``leave`` of the ``Forming`` state removes the member but keeps
``state.leader``; the ``Formed`` state's ``leave`` does reset the leader when it left, and only a
missed heartbeat of a member still in the group clears it in ``Forming``. Apache Kafka's coordinator
elects another leader when the leader is removed (``ClassicGroup.remove``: "if (isLeader(memberId))
... leaderId = the next member"), so B would lead the next round there. The second scenario of tools/repro_tansu_leave_during_join.py
(a consumer closed while its first JoinGroup was pending, i.e. the leader of a forming group) is the
same defect.

Exit status: 0 if B or C gets an assignment (the broker behaves like Kafka), 1 if the group is stuck.

``--leaver follower`` runs the same steps with B, the follower, leaving at step 3 instead of A, and
A and C rejoining at step 4: there the group carries on (A, still its leader, completes the round
without B; exit status 0). That is why a stopping worker waits for a rebalance only when it is, or may
be, its leader (docs/design/distributed.md, "What a stop does").
"""

from __future__ import annotations

import argparse
import socket
import struct
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dbconnect.embedded import EmbeddedBroker  # noqa: E402

JOIN_GROUP, SYNC_GROUP, LEAVE_GROUP = 11, 14, 13
MEMBER_ID_REQUIRED, REBALANCE_IN_PROGRESS = 79, 27


def _string(value: str) -> bytes:
    raw = value.encode()
    return struct.pack(">h", len(raw)) + raw


def _bytes(value: bytes) -> bytes:
    return struct.pack(">i", len(value)) + value


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        n = self.take(">h")
        value = self.data[self.pos:self.pos + max(n, 0)].decode()
        self.pos += max(n, 0)
        return value

    def bytes(self) -> bytes:
        n = self.take(">i")
        value = self.data[self.pos:self.pos + max(n, 0)]
        self.pos += max(n, 0)
        return value


class Member:
    """One group member on its own connection (the broker answers JoinGroup after its join round)."""

    def __init__(self, broker: EmbeddedBroker, group: str, name: str) -> None:
        self.sock = socket.create_connection((broker.host, broker.port), timeout=60)
        self.group, self.name, self.member_id, self.generation = group, name, "", -1
        self._correlation = 0

    def _call(self, api_key: int, version: int, body: bytes) -> _Reader:
        self._correlation += 1
        request = struct.pack(">hhi", api_key, version, self._correlation) + _string(self.name) + body
        self.sock.sendall(struct.pack(">i", len(request)) + request)
        size = struct.unpack(">i", self._read(4))[0]
        reader = _Reader(self._read(size))
        assert reader.take(">i") == self._correlation
        return reader

    def _read(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            out += chunk
        return out

    def join(self) -> tuple[int, str, list[str]]:
        """JoinGroup v1 (a second one when the broker asks for a member id): (error, leader, members)."""
        while True:
            body = (_string(self.group) + struct.pack(">ii", 6000, 30000) + _string(self.member_id) +
                    _string("connect") + struct.pack(">i", 1) + _string("sessioned") + _bytes(self.name.encode()))
            r = self._call(JOIN_GROUP, 1, body)
            error, generation, _protocol, leader, member_id = (r.take(">h"), r.take(">i"), r.string(), r.string(),
                                                                r.string())
            members = []
            for _ in range(r.take(">i")):
                members.append(r.string())
                r.bytes()  # the member's metadata
            self.member_id = member_id or self.member_id
            if error == MEMBER_ID_REQUIRED:
                continue
            self.generation = generation
            return error, leader, members

    def sync(self, assignments: dict[str, bytes] | None = None) -> tuple[int, bytes]:
        """SyncGroup v0 (the leader sends every member's assignment): (error, this member's assignment)."""
        items = assignments or {}
        body = (_string(self.group) + struct.pack(">i", self.generation) + _string(self.member_id) +
                struct.pack(">i", len(items)) + b"".join(_string(m) + _bytes(a) for m, a in items.items()))
        r = self._call(SYNC_GROUP, 0, body)
        return r.take(">h"), r.bytes()

    def leave(self) -> int:
        r = self._call(LEAVE_GROUP, 0, _string(self.group) + _string(self.member_id))
        return r.take(">h")

    def round(self) -> tuple[str, int, bytes]:
        """Join, and sync (as the leader with an assignment for every member): (leader, error, assignment)."""
        error, leader, members = self.join()
        if error:
            return leader, error, b""
        assignments = {m: f"work of {m}".encode() for m in members} if leader == self.member_id else None
        sync_error, assignment = self.sync(assignments)
        return leader, sync_error, assignment


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds B and C try after A left (default 5)")
    parser.add_argument("--expiry-wait", type=float, default=8.0,
                        help="seconds to wait (beyond the 6 s session timeout) before a last round; 0: no last round "
                             "(default 8)")
    parser.add_argument("--leaver", choices=("leader", "follower"), default="leader",
                        help="who leaves in the middle of the rebalance: A, the leader (default), or B, the follower")
    args = parser.parse_args()
    with EmbeddedBroker() as broker:
        group = f"repro-{uuid.uuid4().hex[:8]}"
        a = Member(broker, group, "member-A")
        leader, error, _ = a.round()
        print(f"1. A joined: leader {leader} (A is {a.member_id}), SyncGroup error {error}, generation {a.generation}")
        b = Member(broker, group, "member-B")
        error, leader, _ = b.join()
        print(f"2. B joined: generation {b.generation}, leader {leader}: a rebalance is under way, A has not rejoined")
        leaver, stayer = (a, b) if args.leaver == "leader" else (b, a)
        print(f"3. {leaver.name[-1]} leaves in the middle of it: LeaveGroup error {leaver.leave()}")
        c = Member(broker, group, "member-C")
        for i in range(args.rounds):
            for member in (stayer, c):
                leader, error, assignment = member.round()
                gone = f" ({leaver.name[-1]}, gone)" if leader == leaver.member_id else ""
                print(f"4.{i + 1} {member.name}: generation {member.generation}, leader {leader}{gone}, "
                      f"SyncGroup error {error}" + (f", assigned {assignment!r}" if not error else ""))
                if not error and args.leaver == "follower":
                    print("The group carried on: its leader completed the round without the follower that left.")
                    return 0
                if not error:
                    print("The group recovered: the broker elected a new leader (Kafka's behaviour).")
                    return 0
        if args.expiry_wait > 0:
            time.sleep(args.expiry_wait)  # a script: the point is that time alone does not help
        for member in (stayer, c) if args.expiry_wait > 0 else ():
            leader, error, _ = member.round()
            print(f"5. after {args.expiry_wait:.0f} s, {member.name}: generation {member.generation}, leader {leader}, "
                  f"SyncGroup error {error}")
            if not error:
                print("The group recovered once the session timeout had passed.")
                return 0
        print(f"Stuck: after {args.rounds} rounds every SyncGroup still answers REBALANCE_IN_PROGRESS "
              f"({REBALANCE_IN_PROGRESS}); the leader named is the member that left.")
        return 1


if __name__ == "__main__":
    sys.exit(main())
