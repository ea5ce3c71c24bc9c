"""``dbconnect migrate``: numbered SQL files applied once each, in order, with a history table."""

from .files import MigrationError, MigrationFile, discover
from .runner import HISTORY_TABLE, MigrationReport, check_history, migrate
from .targets import target_for

__all__ = ["HISTORY_TABLE", "MigrationError", "MigrationFile", "MigrationReport", "check_history", "discover",
           "migrate", "target_for", "run_migrations"]


def run_migrations(url: str, directory, *, user: str | None = None, password: str | None = None,
                   progress=None) -> MigrationReport:
    """Connect to ``url`` and apply ``directory``'s pending migrations."""
    discover(directory)  # a bad directory or file name is reported before any connection is made
    return migrate(target_for(url, user, password), directory, progress=progress)
