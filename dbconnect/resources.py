"""Files shipped beside the code: migrations/ and examples/ (``dbconnect/_<name>`` in the wheel)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """The source checkout's top-level ``name/`` first, then the copy installed with the wheel."""
    for candidate in (_PACKAGE.parent / name, _PACKAGE / f"_{name}"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"{name}/ is not shipped with this installation of dbconnect")
