"""`run_server.py backup PATH`: ask the live writer for its online backup, or copy the file directly.

The copy itself (`writer.backup.make_backup`) is the writer's: with a server
running, the writer makes it between batches and this process only waits for
the answer; with none, this process runs the same function on the file.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import sys
from pathlib import Path

import msgspec

from core.settings import Settings
from ipc import probe
from ipc.client import WriterClient
from ipc.errors import WriterError
from ipc.protocol import Backup
from writer.backup import BackupResult, make_backup

__all__ = ["backup_via_writer_or_directly", "run_backup"]

log = logging.getLogger("sgp.cli.backup")

# How long the command line waits for the writer's verified copy.
_CLI_TIMEOUT_S = 3600.0


def backup_via_writer_or_directly(settings: Settings, target: Path) -> BackupResult:
    """The command line's backup: through the live writer if one answers, else straight from the file."""
    target = target.resolve()  # the writer's working directory may differ from ours
    if probe.ping(settings.writer_address_file) is None:
        log.info("no writer answers at %s; copying the database directly", settings.writer_address_file)
        return make_backup(settings.db_path, settings.media_dir, target)

    async def ask() -> bytes:
        client = WriterClient(settings.writer_address_file, connections=1, name="cli-backup")
        await client.start()
        try:
            return (await client.call(Backup(path=str(target)), deadline_s=_CLI_TIMEOUT_S)).body
        finally:
            await client.close()

    return msgspec.json.decode(asyncio.run(ask()), type=BackupResult)


def run_backup(settings: Settings, args: argparse.Namespace) -> int:
    """`backup PATH`: a verified copy of the database and media; exit code 1 when refused or failed."""
    try:
        result = backup_via_writer_or_directly(settings, Path(args.path))
    except (WriterError, OSError, sqlite3.Error) as exc:
        code = getattr(exc, "code", type(exc).__name__)
        print(f"error: backup failed ({code}): {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    print(
        f"backup written to {result.path}: database {result.db_bytes} bytes (integrity ok, last seq "
        f"{result.last_seq}), {result.media_files} media files, {result.seconds:.1f} s"
    )
    return 0
