"""Notice when someone deletes (or replaces) the WAL file under the running writer.

SQLite keeps writing to the WAL it has open, so after an unlink every
acknowledged write since the last checkpoint lives only in a file with no
name: the next crash loses it, and connections opened later see no WAL at
all. The writer holds a handle of its own on the WAL; when that handle's
file no longer is the one at the path (link count 0, or another inode
there), the writer checkpoints everything back into the database from the
connection that still has the old file open, and restarts cleanly
(writer/server.py) so every connection moves to a fresh WAL.

POSIX only: on Windows SQLite opens the WAL without FILE_SHARE_DELETE, so it
cannot be deleted while the writer runs.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path

__all__ = ["WalGuard", "checkpoint_everything"]

log = logging.getLogger("sgp.writer.wal")

# How long a writer whose WAL was deleted keeps trying to checkpoint it into the database.
_UNLINKED_CHECKPOINT_S = 60.0


class WalGuard:
    """Our own read-only handle on the WAL, compared with what the path names now."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + "-wal")
        self._fd: int | None = None

    def arm(self) -> None:
        """Open the handle (call once the writer's connection has the WAL open)."""
        if os.name == "nt" or self._fd is not None:
            return
        try:
            self._fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            log.warning("no WAL file at %s to watch", self.path)

    def unlinked(self) -> bool:
        """True when the WAL we hold is no longer the file at its path."""
        if self._fd is None:
            return False
        held = os.fstat(self._fd)
        if held.st_nlink == 0:
            return True
        try:
            current = os.stat(self.path)
        except FileNotFoundError:
            return True
        return (current.st_dev, current.st_ino) != (held.st_dev, held.st_ino)

    def close(self) -> None:
        """Release the handle."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def checkpoint_everything(conn: sqlite3.Connection, *, must: bool) -> None:
    """Copy every WAL frame into the database (TRUNCATE), retrying while readers hold snapshots.

    `must`: the WAL has no name any more, so frames left in it are lost once the
    last connection closes: keep trying much longer than at an ordinary stop.
    """
    deadline = time.monotonic() + (_UNLINKED_CHECKPOINT_S if must else 2.0)
    failures = 0
    while True:
        try:
            busy, frames, done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:
            failures += 1
            if failures == 1:
                log.error("final checkpoint failed: %s%s", exc, "; retrying" if must else "")
            if not must:
                return  # the WAL stays beside the database; the next start replays it
            busy, frames, done = 1, -1, -1
        if not busy and frames == done:
            if must:
                log.warning("every committed write is in the database file; the WAL will be recreated")
            return
        if time.monotonic() > deadline:
            level = log.error if must else log.warning
            level("final checkpoint incomplete (busy=%d, wal frames=%d, copied=%d)", busy, frames, done)
            return
        time.sleep(0.02)
