"""Migration file discovery and history checks (pure logic)."""

from __future__ import annotations

import pytest

from dbconnect.migrate import MigrationError, check_history, discover
from dbconnect.migrate.runner import AppliedMigration


def test_files_are_ordered_by_number_not_by_text(tmp_path):
    for name in ("10_ten.sql", "9_nine.sql", "001_one.sql"):
        (tmp_path / name).write_text("SELECT 1;")
    (tmp_path / "README.md").write_text("not a migration")
    assert [f.name for f in discover(tmp_path)] == ["001_one.sql", "9_nine.sql", "10_ten.sql"]


@pytest.mark.parametrize("name, message", [
    ("create.sql", "named NNN_description.sql"),
    ("001 create.sql", "named NNN_description.sql"),
])
def test_badly_named_files_are_refused(tmp_path, name, message):
    (tmp_path / name).write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=message):
        discover(tmp_path)


def test_duplicate_versions_are_refused(tmp_path):
    (tmp_path / "001_a.sql").write_text("SELECT 1;")
    (tmp_path / "1_b.sql").write_text("SELECT 2;")
    with pytest.raises(MigrationError, match="have the same version number 1"):
        discover(tmp_path)


def test_checksum_covers_the_bytes(tmp_path):
    (tmp_path / "001_a.sql").write_text("SELECT 1;")
    before = discover(tmp_path)[0].checksum
    (tmp_path / "001_a.sql").write_text("SELECT 1; ")
    assert discover(tmp_path)[0].checksum != before


def test_history_checks(tmp_path):
    for name in ("001_a.sql", "002_b.sql", "003_c.sql"):
        (tmp_path / name).write_text(f"-- {name}")
    files = discover(tmp_path)
    done = [AppliedMigration(f.name, f.checksum) for f in files[:2]]
    assert [f.name for f in check_history(files, done)] == ["003_c.sql"]
    assert check_history(files, []) == files
    with pytest.raises(MigrationError, match="002_b.sql has changed"):
        check_history(files, [done[0], AppliedMigration("002_b.sql", "0" * 64)])
