"""The test broker's group coordinator defect the distributed tests work around (issue 14).

A leader that leaves while its group rebalances leaves the group stuck for good on Tansu 0.6 (see
tools/repro_tansu_leader_leaves_mid_rebalance.py for the source reference): that is why the
distributed tests restart every worker one by one and wait for the group to settle before stopping a
worker. This test runs the repro as users of the repository would; when the broker is fixed it fails,
and the workarounds (the rolling restart in test_every_worker_restarted_keeps_connectors_offsets_and_
target_states, wait_settled before a stop) can go. Its follower variant shows what a stopping
follower relies on to leave at once: a follower that leaves mid-rebalance does not stop the group.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_leader_leaving_during_a_rebalance_leaves_the_test_brokers_group_stuck():
    result = subprocess.run([sys.executable, "tools/repro_tansu_leader_leaves_mid_rebalance.py", "--rounds", "1",
                             "--expiry-wait", "0"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("1. A joined") and "SyncGroup error 0" in lines[0], result.stdout
    # Every round after the leave, a fresh member (C) too, names the departed A and cannot sync.
    rounds = [line for line in lines if line.startswith(("4.", "5."))]
    assert len(rounds) == 2 and all("SyncGroup error 27" in line for line in rounds), result.stdout
    assert all(line.split("leader ")[1].startswith("member-A-") for line in rounds), result.stdout


def test_a_follower_leaving_during_a_rebalance_does_not_stop_the_group():
    """Why a stopping follower leaves at once and only a (possible) leader waits for the rebalance."""
    result = subprocess.run([sys.executable, "tools/repro_tansu_leader_leaves_mid_rebalance.py", "--leaver", "follower",
                             "--rounds", "1", "--expiry-wait", "0"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[2].startswith("3. B leaves") and "LeaveGroup error 0" in lines[2], result.stdout
    # A, the leader, completes the very next round without B, with no error.
    assert lines[3].startswith("4.1 member-A") and "SyncGroup error 0" in lines[3], result.stdout
    assert "leader member-A-" in lines[3], result.stdout
