"""Apply a directory of migrations once each, in order, recording them in a history table.

The rules (Flyway's defaults, which users know):
- a file is applied once; its name, sha256 checksum and time are recorded in
  ``dbconnect_schema_migrations`` together with its statements (one transaction where the database
  can roll DDL back: PostgreSQL yes, MariaDB no — its DDL commits implicitly);
- before anything runs, every recorded file is checked: a changed checksum, a recorded file missing
  from the directory, or a new file numbered below one already applied stops the run, naming the file;
- a failing file stops the run with the file and the database's error; the files before it stay
  recorded, so the next run resumes at the failing file;
- concurrent runners are serialised by a database lock (two demo workers starting at once apply
  each file once).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .files import MigrationError, MigrationFile, discover

log = logging.getLogger(__name__)

HISTORY_TABLE = "dbconnect_schema_migrations"


@dataclass(frozen=True)
class AppliedMigration:
    name: str
    checksum: str


class MigrationTarget(Protocol):
    """One database's way of running migrations (see targets.py)."""

    def describe(self) -> str: ...
    def lock(self) -> None: ...
    def unlock(self) -> None: ...
    def ensure_history(self) -> None: ...
    def applied(self) -> list[AppliedMigration]: ...
    def apply(self, migration: MigrationFile) -> None: ...
    def close(self) -> None: ...


@dataclass
class MigrationReport:
    applied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already applied, checksum unchanged
    seconds: float = 0.0


def check_history(files: list[MigrationFile], history: list[AppliedMigration]) -> list[MigrationFile]:
    """The files still to apply, after checking the recorded ones against the directory."""
    by_name = {f.name: f for f in files}
    for done in history:
        current = by_name.get(done.name)
        if current is None:
            raise MigrationError(f"Applied migration {done.name} is missing from the migration directory "
                                 "(restore the file: applied migrations must not be removed)")
        if current.checksum != done.checksum:
            raise MigrationError(f"Applied migration {done.name} has changed since it was applied "
                                 f"(checksum {done.checksum[:12]}… recorded, {current.checksum[:12]}… now): "
                                 "add a new migration instead of editing an applied one")
    applied = {d.name for d in history}
    pending = [f for f in files if f.name not in applied]
    if pending and history:
        latest = max(by_name[d.name].version for d in history)
        early = [f.name for f in pending if f.version < latest]
        if early:
            raise MigrationError(f"Migration {early[0]} is numbered below an applied migration (version {latest}): "
                                 "number new migrations after the last applied one")
    return pending


def migrate(target: MigrationTarget, directory: str | Path, *, progress=None) -> MigrationReport:
    """Apply the pending migrations of ``directory`` to ``target``; raises MigrationError on any problem."""
    started = time.monotonic()
    files = discover(directory)
    report = MigrationReport()
    target.lock()
    try:
        target.ensure_history()
        history = target.applied()
        pending = check_history(files, history)
        report.skipped = [d.name for d in history]
        for migration in pending:
            begun = time.monotonic()
            try:
                target.apply(migration)
            except MigrationError:
                raise
            except Exception as exc:  # the driver's error: name the file, keep the message
                raise MigrationError(f"Migration {migration.name} failed on {target.describe()}: "
                                     f"{type(exc).__name__}: {_first_line(exc)}"
                                     f"{_applied_note(report)}") from exc
            report.applied.append(migration.name)
            if progress is not None:
                progress(migration.name, time.monotonic() - begun)
    finally:
        try:
            target.unlock()
        finally:
            target.close()
    report.seconds = time.monotonic() - started
    return report


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or repr(exc)
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _applied_note(report: MigrationReport) -> str:
    return f" (applied before it in this run: {', '.join(report.applied)})" if report.applied else ""
