"""What the demo shows while it runs: a live table on a terminal, a line per second otherwise."""

from __future__ import annotations

import sys
from typing import Any

from .monitor import TableProgress


def _fmt_lag(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


class PlainView:
    """One line per update: for logs, CI and pipes."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stdout

    def __enter__(self) -> "PlainView":
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def update(self, phase: str, tables: dict[str, TableProgress], changes: int) -> None:
        parts = [f"{t}: {p.target_rows}/{p.source_rows} ({p.rows_per_s:,.0f}/s, lag {_fmt_lag(p.lag_s)})"
                 for t, p in tables.items()]
        extra = f"; {changes} changes made" if changes else ""
        print(f"[{phase}] " + "  ".join(parts) + extra, file=self.stream, flush=True)

    def message(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


class LiveView(PlainView):
    """A rich table redrawn in place."""

    def __init__(self, stream=None) -> None:
        super().__init__(stream)
        from rich.console import Console
        from rich.live import Live

        self.console = Console(file=self.stream)
        self._live = Live(console=self.console, refresh_per_second=4, transient=False)

    def __enter__(self) -> "LiveView":
        self._live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._live.__exit__(*exc)

    def update(self, phase: str, tables: dict[str, TableProgress], changes: int) -> None:
        from rich.table import Table

        grid = Table(title=f"dbconnect demo — {phase}", title_justify="left")
        for name, justify in (("table", "left"), ("in target / in source", "right"), ("rows/s", "right"),
                              ("lag", "right"), ("", "left")):
            grid.add_column(name, justify=justify)
        for t, p in tables.items():
            grid.add_row(t, f"{p.target_rows:,} / {p.source_rows:,}", f"{p.rows_per_s:,.0f}", _fmt_lag(p.lag_s),
                         "[green]caught up[/green]" if p.caught_up else
                         "[yellow]copying[/yellow]" if phase == "snapshot" else "[yellow]behind[/yellow]")
        if changes:
            grid.caption = f"{changes:,} changes made in the source (inserts, updates, deletes)"
        self._live.update(grid)

    def message(self, text: str) -> None:
        self.console.print(text)


def make_view(stream=None) -> PlainView:
    stream = stream or sys.stdout
    if stream.isatty():
        try:
            return LiveView(stream)
        except ImportError:  # rich is a dependency; a broken install still gets the plain view
            pass
    return PlainView(stream)
