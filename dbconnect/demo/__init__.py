"""``dbconnect demo``: the main job on embedded services (tables.py), or the file walkthrough (files.py)."""

from __future__ import annotations

import argparse


def run_demo(args: argparse.Namespace) -> int:
    if args.files:
        from .files import run_demo as run_files

        return run_files(args)
    from .tables import run_tables_demo

    return run_tables_demo(args)
