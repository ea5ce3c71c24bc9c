"""bench/replication.py keeps working: a 2,000-row run of both pipelines, dlt left out (issue 12, item 3).

The script starts its own embedded broker, registry and databases, creates the sink and the source
over REST with a tutorial's configs and stops the clock only when the target's count and checksum
equal the source's, so a zero exit with both "verified" lines means rows went through end to end.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_replication_bench_runs_and_verifies_both_databases():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "replication.py"), "--rows", "2000", "--skip-dlt"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    for kind in ("postgresql", "mariadb"):
        assert f"[{kind}] all cores dbconnect" in out.stdout, out.stdout
        assert "verified 2,000 rows, checksums equal" in out.stdout.split(f"[{kind}] all cores dbconnect")[1], out.stdout
        assert f"[{kind}] all cores CPU per row: worker" in out.stdout, out.stdout
    assert "dbconnect / dlt" not in out.stdout, out.stdout  # --skip-dlt: no dlt run, no venv
