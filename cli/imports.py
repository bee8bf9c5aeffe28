"""`run_server.py import-sgp OLD_DB`: run the importer and print its report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.settings import Settings
from importer import ImportFailed, ImportOptions, run_import

__all__ = ["import_sgp"]


def import_sgp(settings: Settings, args: argparse.Namespace) -> int:
    """`import-sgp OLD_DB`: prints the report; exit code 1 when the import could not run."""
    options = ImportOptions(
        source=Path(args.old_db),
        media=Path(args.media) if args.media else None,
        merge=args.merge,
        dry_run=args.dry_run,
    )
    try:
        report = run_import(settings, options)
    except ImportFailed as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(report.render())
    return 0
