"""Migration files: ``NNN_description.sql`` in one directory, applied in number order."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..api.errors import ConnectError

FILE_PATTERN = re.compile(r"^(\d+)_([A-Za-z0-9][A-Za-z0-9_.-]*)\.sql$")


class MigrationError(ConnectError):
    """A migration directory, file or history that cannot be applied as it is."""


@dataclass(frozen=True)
class MigrationFile:
    version: int
    name: str  # the file name: the key in the history table
    checksum: str  # sha256 of the file's bytes, hex
    sql: str

    @classmethod
    def read(cls, path: Path) -> "MigrationFile":
        match = FILE_PATTERN.match(path.name)
        if match is None:
            raise MigrationError(f"{path}: migration files are named NNN_description.sql (e.g. 001_create_orders.sql)")
        data = path.read_bytes()
        try:
            sql = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MigrationError(f"{path}: not UTF-8 ({exc})") from None
        return cls(int(match.group(1)), path.name, hashlib.sha256(data).hexdigest(), sql)


def discover(directory: str | Path) -> list[MigrationFile]:
    """Every ``*.sql`` file of ``directory``, in version order; a bad name or a duplicate version is an error."""
    root = Path(directory)
    if not root.is_dir():
        raise MigrationError(f"Migration directory {root} does not exist or is not a directory")
    files = [MigrationFile.read(p) for p in sorted(root.iterdir()) if p.suffix == ".sql" and p.is_file()]
    files.sort(key=lambda f: (f.version, f.name))
    for before, after in zip(files, files[1:]):
        if before.version == after.version:
            raise MigrationError(f"{root}: {before.name} and {after.name} have the same version number {before.version}")
    return files
