"""The sweep: delete stored files that nothing references, once they are older than a grace period.

The references come from a read-only snapshot of the database (a callable
given by whoever runs the sweep, `readers/media_refs.py` in the service); the
writer only records them, in the same transaction as the change. The
supervisor runs :class:`SweepThread`, so deleting files never touches the
writer's process or its transaction path.

Why a file is never deleted while a request may still commit a reference to
it: every path that lets a request use a file (a new upload, a duplicate
upload, a reference to a stored file) sets the file's mtime to that moment
before the command is sent. A sweep takes its cutoff (start minus the grace
period) *before* it reads the references, and deletes only files last used
before the cutoff. A request that used a file before the cutoff had the
whole grace period (default 1 h) to commit, far past any command deadline;
one that used it later leaves it young, so it is kept; once committed, the
file is in the next snapshot.

What remains is the instant between reading a file's mtime and deleting it.
The file is first moved aside (an atomic rename inside the store), then its
mtime is read again: a use before the move shows there and the file goes
back; a use after the move finds no file (an upload writes it anew, a
reference is refused with "send the image again"), never a file about to go.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

__all__ = ["SWEEP_EVERY_S", "SweepThread", "sweep_store"]

log = logging.getLogger("sgp.media.sweep")

# Sweep at most this often; sooner when the grace period is shorter (tests).
SWEEP_EVERY_S = 300.0
_SHA256 = re.compile(r"[0-9a-f]{64}")
_FANOUT = re.compile(r"[0-9a-f]{2}")
_TMP_DIR = "tmp"


def sweep_store(
    root: Path,
    read_references: Callable[[], Collection[str]],
    *,
    grace_seconds: float,
    now: float | None = None,
) -> list[str]:
    """Delete unreferenced files and stale temp files older than the grace period; return the deleted shas.

    `read_references` is called after the cutoff is fixed (see the module docstring); if it raises,
    nothing is deleted.
    """
    cutoff = (time.time() if now is None else now) - grace_seconds
    referenced = read_references()
    aside_dir = root / _TMP_DIR
    try:
        aside_dir.mkdir(exist_ok=True)  # where files are moved before deletion (the store creates it too)
    except FileNotFoundError:
        return []  # no store yet: nothing to sweep
    _restore_interrupted(root, aside_dir)
    deleted: list[str] = []
    for entry in _stored_entries(root):
        if entry.name in referenced or _mtime(entry) >= cutoff:
            continue
        if _delete_unused(Path(entry.path), aside_dir / f"{entry.name}.sweep", cutoff):
            deleted.append(entry.name)
    stale_tmp = 0
    for entry in _scandir(aside_dir):
        if entry.is_file(follow_symlinks=False) and _mtime(entry) < cutoff and _unlink(entry.path):
            stale_tmp += 1
    if deleted or stale_tmp:
        log.info("media sweep deleted %d unreferenced files and %d stale temp files", len(deleted), stale_tmp)
    return deleted


def _restore_interrupted(root: Path, aside_dir: Path) -> None:
    """Put back files a sweep moved aside and never finished with (the supervisor died mid-move).

    Such a file may have been used just before the move; it goes back to its place (unless an
    upload already put the same bytes there) and this sweep judges it again like any other.
    """
    for entry in _scandir(aside_dir):
        sha, dot, suffix = entry.name.partition(".")
        if suffix != "sweep" or not dot or not _SHA256.fullmatch(sha) or not entry.is_file(follow_symlinks=False):
            continue
        home = root / sha[:2] / sha[2:4] / sha
        try:
            if home.exists():
                os.unlink(entry.path)
            else:
                os.replace(entry.path, home)
        except OSError as exc:
            log.warning("media sweep could not restore %s: %s", entry.name, exc)


def _delete_unused(path: Path, aside: Path, cutoff: float) -> bool:
    """Delete `path` unless it was used since `cutoff`, with no instant where a use could slip in unseen."""
    try:
        os.replace(path, aside)
    except FileNotFoundError:
        return False
    except OSError as exc:  # Windows: a file being served cannot be moved; retried next sweep
        log.warning("media sweep could not move %s aside: %s", path, exc)
        return False
    if _path_mtime(aside) >= cutoff:
        # Used between the scan and the move: it goes back (identical bytes if re-uploaded meanwhile).
        try:
            os.replace(aside, path)
        except OSError:
            if not path.exists():
                raise
            _unlink(str(aside))  # an upload put the same bytes back first (Windows: and has it open)
        return False
    return _unlink(str(aside))


class SweepThread:
    """Sweeps the store every interval on a daemon thread until stopped (one per service: the supervisor's)."""

    def __init__(self, root: Path, read_references: Callable[[], Collection[str]], *, grace_s: float) -> None:
        self.root = Path(root)
        self.grace_s = grace_s
        self.interval_s = min(SWEEP_EVERY_S, max(grace_s / 2, 1.0))
        self.last_sweep_at: float | None = None
        self.deleted_total = 0
        self._read_references = read_references
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sgp-media-sweep", daemon=True)

    def run_once(self) -> list[str]:
        """One sweep now; returns the deleted shas."""
        self.last_sweep_at = time.time()
        deleted = sweep_store(self.root, self._read_references, grace_seconds=self.grace_s, now=self.last_sweep_at)
        self.deleted_total += len(deleted)
        return deleted

    def start(self) -> None:
        """Start sweeping: the first sweep one interval from now."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the sweep in progress, if any."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.run_once()
            except Exception:
                # The database may be missing or locked for a moment: nothing was deleted; retried next interval.
                log.exception("media sweep failed; will retry")


def _stored_entries(root: Path) -> Iterator[os.DirEntry[str]]:
    # Only names the store could have written (root/ab/cd/<sha256>); symlinks are never followed.
    for first in _scandir(root):
        if not (_FANOUT.fullmatch(first.name) and _is_plain_dir(first)):
            continue
        for second in _scandir(Path(first.path)):
            if not (_FANOUT.fullmatch(second.name) and _is_plain_dir(second)):
                continue
            for entry in _scandir(Path(second.path)):
                name = entry.name
                if (
                    _SHA256.fullmatch(name)
                    and name[:2] == first.name
                    and name[2:4] == second.name
                    and entry.is_file(follow_symlinks=False)
                ):
                    yield entry


def _scandir(path: Path) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            yield from it
    except FileNotFoundError:
        return


def _is_plain_dir(entry: os.DirEntry[str]) -> bool:
    # On Windows a junction is not a symlink for is_dir(follow_symlinks=False)
    # before Python 3.12; its reparse-point attribute gives it away.
    try:
        attributes = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
    except FileNotFoundError:
        return False
    return entry.is_dir(follow_symlinks=False) and not attributes & stat.FILE_ATTRIBUTE_REPARSE_POINT


def _mtime(entry: os.DirEntry[str]) -> float:
    try:
        return entry.stat(follow_symlinks=False).st_mtime
    except FileNotFoundError:
        return float("inf")  # vanished meanwhile: nothing to delete


def _path_mtime(path: Path) -> float:
    try:
        return path.stat(follow_symlinks=False).st_mtime
    except FileNotFoundError:
        return float("inf")


def _unlink(path: str) -> bool:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as exc:  # Windows: open files cannot be deleted; retried next sweep
        log.warning("media sweep could not delete %s: %s", path, exc)
        return False
    return True
