"""A process that is one member of a Connect group, for tests/integration/test_group_member.py.

``python -m tests.integration.group_member_process BOOTSTRAP GROUP URL`` joins GROUP as a member
advertising URL. The leader gives each member the connector ``own-<its url>`` (from the members'
metadata, so every member's assignment proves it came from the leader's SyncGroup) and spreads the
tasks ``shared-0..5`` over the members. Every completed round is printed as one JSON line on stdout:
{"event": "assigned", "member_id", "generation", "leader", "leader_url", "delay_ms", "is_leader", "connectors",
"tasks", "members"}; SIGTERM leaves the group and exits.

With a fourth argument ``assignor:<delay ms>`` the leader runs the real IncrementalCooperativeAssignor
instead, over the connectors ``a`` (6 tasks) and ``b`` (2 tasks), with that
``scheduled.rebalance.max.delay.ms``.
"""

from __future__ import annotations

import json
import signal
import sys
import threading

from dbconnect.runtime.distributed.assignor import IncrementalCooperativeAssignor
from dbconnect.runtime.distributed.connect_protocol import ConnectorsAndTasks, ExtendedAssignment, WorkerState
from dbconnect.runtime.distributed.group_member import WorkerGroupMember
from dbconnect.runtime.stores.status import ConnectorTaskId


def emit(**event) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


class Listener:
    CONNECTORS = {"a": 6, "b": 2}

    def __init__(self, url: str, assignor: IncrementalCooperativeAssignor | None = None) -> None:
        self.url = url
        self.assignor = assignor
        self.member: WorkerGroupMember | None = None
        self.current = ConnectorsAndTasks()
        self.last_members: list[str] = []

    def metadata(self) -> WorkerState:
        return WorkerState(self.url, 0, self.current)

    def perform_assignment(self, members, generation):
        ids = sorted(members)
        self.last_members = [members[m].url for m in ids]
        if self.assignor is not None:
            return self.assignor.assign(self.member.member_id, self.url, 0, members, self.CONNECTORS, generation,
                                        last_completed_generation=self.member.generation)
        out = {}
        for i, member_id in enumerate(ids):
            tasks = [ConnectorTaskId("shared", t) for t in range(6) if t % len(ids) == i]
            # Full assignments, revoking what a member held that is no longer its own.
            owned = members[member_id].allocation or ConnectorsAndTasks()
            want_c = [f"own-{members[member_id].url}"]
            out[member_id] = ExtendedAssignment(
                1, 0, self.member.member_id, self.url, 0,
                [c for c in want_c if c not in owned.connectors], [t for t in tasks if t not in owned.tasks],
                [c for c in owned.connectors if c not in want_c], [t for t in owned.tasks if t not in tasks])
        return out

    def on_assigned(self, assignment, generation):
        self.current = ConnectorsAndTasks(tuple(assignment.connectors), tuple(assignment.tasks))
        emit(event="assigned", member_id=self.member.member_id, generation=generation, leader=assignment.leader,
             leader_url=assignment.leader_url, delay_ms=assignment.delay_ms, is_leader=self.member.is_leader(), connectors=assignment.connectors,
             tasks=[list(t) for t in assignment.tasks], members=self.last_members if self.member.is_leader() else None)

    def on_revoked(self, leader, connectors, tasks):
        self.current = ConnectorsAndTasks(tuple(c for c in self.current.connectors if c not in connectors),
                                          tuple(t for t in self.current.tasks if t not in tasks))
        emit(event="revoked", connectors=connectors, tasks=[list(t) for t in tasks])

    def on_session_lost(self, reason):
        self.current = ConnectorsAndTasks()
        emit(event="lost", reason=reason)


def main() -> None:
    bootstrap, group, url = sys.argv[1:4]
    assignor = None
    if len(sys.argv) > 4 and sys.argv[4].startswith("assignor:"):
        assignor = IncrementalCooperativeAssignor(int(sys.argv[4].split(":", 1)[1]))
    listener = Listener(url, assignor)
    member = WorkerGroupMember({"bootstrap.servers": bootstrap, "group.id": group, "session.timeout.ms": "6000",
                                "heartbeat.interval.ms": "1000", "rebalance.timeout.ms": "20000"}, url, listener)
    listener.member = member
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    member.start()
    emit(event="started")
    done.wait()
    member.stop()
    emit(event="stopped")


if __name__ == "__main__":
    main()
