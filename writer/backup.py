"""Online backup and integrity check of the database, plus a copy of the media files.

The copy is made with the SQLite backup API on a read-only connection of its
own (in its own thread), never on the writer's connection, so the writer keeps
committing meanwhile. That connection first opens a read transaction: in WAL
mode it pins one snapshot, so the copy is consistent as of that instant and
the stepwise backup never restarts. (Without it, every commit by the writer
between two steps restarts the backup, which never finishes under load.)
The price is that checkpoints cannot recycle the WAL until the copy is done.
The command line's `backup` (cli/backup.py) asks the writer for this copy, or,
with no server running, calls `make_backup` on the file itself.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import time
from datetime import datetime
from pathlib import Path

import msgspec

from ipc.errors import CommandError

from . import event_log

__all__ = [
    "BackupResult",
    "IntegrityResult",
    "DB_NAME",
    "MANIFEST_NAME",
    "default_target",
    "resolve_target",
    "check_target",
    "make_backup",
    "integrity_check",
    "copy_media",
]

log = logging.getLogger("sgp.writer.backup")

DB_NAME = "sgp.sqlite3"
MANIFEST_NAME = "backup.json"
# 1024 pages (4 MiB with the default page size) per step.
_PAGES_PER_STEP = 1024
_MAX_INTEGRITY_ERRORS = 100
# Unfinished uploads; never referenced by the database.
_MEDIA_SKIP = frozenset({"tmp"})


class IntegrityResult(msgspec.Struct, frozen=True):
    """`PRAGMA integrity_check` of one database file."""

    ok: bool
    errors: list[str]
    seconds: float


class BackupResult(msgspec.Struct, frozen=True):
    """What a backup produced; also written to `backup.json` next to the copy."""

    path: str
    database: str
    created_at: str
    db_bytes: int
    last_seq: int
    seconds: float
    integrity: IntegrityResult
    media_files: int
    media_linked: int
    media_copied: int


def default_target(data_dir: Path) -> Path:
    """A new timestamped directory under `<data_dir>/backups/` (suffixed when that second is taken)."""
    base = data_dir.resolve() / "backups" / datetime.now().strftime("backup-%Y%m%d-%H%M%S")
    target, n = base, 1
    while target.exists():
        n += 1
        target = base.with_name(f"{base.name}-{n}")
    return target


def resolve_target(data_dir: Path, path: str | None) -> Path:
    """The absolute target directory: the default, or `path` (relative to `<data_dir>/backups/`)."""
    if not path:
        return default_target(data_dir)
    target = Path(path).expanduser()
    return target if target.is_absolute() else (data_dir.resolve() / "backups" / target).resolve()


def check_target(target: Path) -> None:
    """Refuse a target that exists and is not an empty directory (CommandError)."""
    if not target.exists():
        return
    if not target.is_dir():
        raise CommandError(
            "backup_target_exists", f"O destino do backup já existe e não é uma pasta: {target}", field="path"
        )
    if any(target.iterdir()):
        raise CommandError(
            "backup_target_exists", f"O destino do backup já existe e não está vazio: {target}", field="path"
        )


def integrity_check(db_path: Path) -> IntegrityResult:
    """Run `PRAGMA integrity_check` on a read-only connection of its own."""
    started = time.perf_counter()
    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        rows = conn.execute(f"PRAGMA integrity_check({_MAX_INTEGRITY_ERRORS})").fetchall()
        errors = [row[0] for row in rows if row[0] != "ok"]
    except sqlite3.DatabaseError as exc:
        # Damage bad enough that the check itself cannot walk the file ("malformed").
        errors = [str(exc)]
    finally:
        conn.close()
    return IntegrityResult(ok=not errors, errors=errors, seconds=round(time.perf_counter() - started, 3))


def make_backup(db_path: Path, media_dir: Path, target: Path) -> BackupResult:
    """Copy the database (one consistent snapshot), verify it, then copy the media files."""
    if not db_path.exists():
        raise CommandError("no_database", f"Não há banco de dados em {db_path}.")
    check_target(target)
    started = time.perf_counter()
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f"{DB_NAME}.partial"
    try:
        last_seq = _copy_database(db_path, partial)
        integrity = integrity_check(partial)
        if not integrity.ok:
            raise CommandError("backup_corrupt", "A cópia do banco não passou na verificação de integridade.")
        # Only a verified copy gets the final name: `sgp.sqlite3` in a backup dir is always good.
        os.replace(partial, target / DB_NAME)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    # Media after the snapshot: every file the copied rows reference was stored before they committed.
    files, linked, copied = copy_media(media_dir, target / "media")
    result = BackupResult(
        path=str(target),
        database=str(target / DB_NAME),
        created_at=datetime.now().astimezone().isoformat(timespec="seconds"),
        db_bytes=(target / DB_NAME).stat().st_size,
        last_seq=last_seq,
        seconds=round(time.perf_counter() - started, 3),
        integrity=integrity,
        media_files=files,
        media_linked=linked,
        media_copied=copied,
    )
    (target / MANIFEST_NAME).write_bytes(msgspec.json.format(msgspec.json.encode(result)))
    log.info(
        "backup written to %s: %d bytes, last seq %d, %d media files, %.1f s",
        target,
        result.db_bytes,
        last_seq,
        files,
        result.seconds,
    )
    return result


def _copy_database(db_path: Path, partial: Path) -> int:
    """Stepwise backup API copy of one pinned snapshot; returns the snapshot's last event seq."""
    source = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        # BEGIN is deferred: the first read below takes the snapshot every step then copies.
        source.execute("BEGIN")
        try:
            last_seq = event_log.last_seq(source)
        except sqlite3.OperationalError:
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()
            last_seq = 0
        target = sqlite3.connect(partial, isolation_level=None)
        try:
            source.backup(target, pages=_PAGES_PER_STEP, sleep=0)
            # A rollback-journal file is self-contained: it opens anywhere, even on read-only media.
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
        source.execute("COMMIT")
    finally:
        source.close()
    return int(last_seq)


def copy_media(source: Path, target: Path) -> tuple[int, int, int]:
    """Mirror the media tree: hard links where possible, else copies; returns (files, linked, copied)."""
    files = linked = copied = 0
    if not source.is_dir():
        return files, linked, copied
    # Stored media are immutable (content-addressed, replaced never rewritten), so a hard
    # link is as good as a copy and costs no space.
    can_link = True
    for directory, subdirs, names in os.walk(source):
        here = Path(directory)
        if here == source:
            subdirs[:] = [d for d in subdirs if d not in _MEDIA_SKIP]
        out = target / here.relative_to(source)
        out.mkdir(parents=True, exist_ok=True)
        for name in names:
            src, dst = here / name, out / name
            try:
                if can_link:
                    try:
                        os.link(src, dst)
                        linked += 1
                        files += 1
                        continue
                    except FileNotFoundError:
                        raise
                    except OSError as exc:
                        # Another volume, or a file system without hard links: copy from now on.
                        log.info("hard links unavailable for the media backup (%s); copying files", exc)
                        can_link = False
                shutil.copy2(src, dst)
                copied += 1
                files += 1
            except FileNotFoundError:
                # Swept as unreferenced since the walk listed it: nothing to keep.
                continue
    return files, linked, copied
