"""Sweeping unreferenced files and stale temp files, and the race with requests that use a file meanwhile."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import time
from types import SimpleNamespace

import pytest

import media.sweep
from media import MediaNotFound, MediaStore
from media.sweep import SweepThread, _delete_unused, sweep_store

from .conftest import GIF, JPEG, PNG, data_url, leftovers

GRACE = 3600.0


def save(store: MediaStore, payload: bytes, mime: str) -> str:
    return asyncio.run(store.save_data_url(data_url(mime, payload))).sha256


def age(store: MediaStore, sha: str, seconds: float) -> None:
    when = time.time() - seconds
    os.utime(store.path_for(sha), (when, when))


def test_deletes_only_old_unreferenced_files(store):
    kept_referenced = save(store, PNG, "image/png")
    old_orphan = save(store, JPEG, "image/jpeg")
    young_orphan = save(store, GIF, "image/gif")
    age(store, kept_referenced, 2 * GRACE)
    age(store, old_orphan, 2 * GRACE)

    deleted = store.sweep({kept_referenced}, grace_seconds=GRACE)

    assert deleted == [old_orphan]
    assert store.path_for(kept_referenced).exists()
    assert store.path_for(young_orphan).exists()
    assert not (store.root / old_orphan[:2] / old_orphan[2:4] / old_orphan).exists()


def test_now_parameter_drives_the_cutoff(store):
    sha = save(store, PNG, "image/png")
    assert store.sweep(set(), grace_seconds=GRACE) == []
    assert store.sweep(set(), grace_seconds=GRACE, now=time.time() + 2 * GRACE) == [sha]


def test_duplicate_upload_restarts_grace_period(store):
    sha = save(store, PNG, "image/png")
    age(store, sha, 2 * GRACE)
    # An order is about to reference these bytes again: they must survive.
    assert save(store, PNG, "image/png") == sha
    assert store.sweep(set(), grace_seconds=GRACE) == []


def test_stale_temp_files_deleted_fresh_ones_kept(store):
    tmp = store.root / "tmp"
    stale, fresh = tmp / "stale.part", tmp / "fresh.part"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"in progress")
    old = time.time() - 2 * GRACE
    os.utime(stale, (old, old))

    assert store.sweep(set(), grace_seconds=GRACE) == []
    assert leftovers(store) == [fresh]


def test_ignores_foreign_names(store):
    sha = hashlib.sha256(b"x").hexdigest()
    misplaced = store.root / "00" / "00" / sha  # wrong fan-out for this digest
    misplaced.parent.mkdir(parents=True)
    misplaced.write_bytes(b"x")
    other = store.root / "README.txt"
    other.write_text("not media")
    old = time.time() - 2 * GRACE
    for path in (misplaced, other):
        os.utime(path, (old, old))

    assert store.sweep(set(), grace_seconds=GRACE) == []
    assert misplaced.exists() and other.exists()


def test_never_follows_symlinks(tmp_path):
    store = MediaStore(tmp_path / "media", max_bytes=1024)
    outside = tmp_path / "outside"
    sha = hashlib.sha256(b"victim").hexdigest()
    victim_dir = outside / sha[2:4]
    victim_dir.mkdir(parents=True)
    victim = victim_dir / sha
    victim.write_bytes(b"victim")
    old = time.time() - 2 * GRACE
    os.utime(victim, (old, old))
    try:
        os.symlink(outside, store.root / sha[:2], target_is_directory=True)
        (store.root / "ab" / "cd").mkdir(parents=True)
        os.symlink(victim, store.root / "ab" / "cd" / ("abcd" + sha[4:]))
    except (OSError, NotImplementedError) as exc:
        pytest.skip(f"cannot create symlinks here: {exc}")

    assert store.sweep(set(), grace_seconds=GRACE, now=time.time() + 10 * GRACE) == []
    assert victim.exists()


def test_empty_or_missing_root(tmp_path):
    store = MediaStore(tmp_path / "media", max_bytes=1024)
    assert store.sweep(set(), grace_seconds=0) == []


# --- the race: a file a request uses while a sweep runs is never deleted ---


def test_an_uploaded_file_not_yet_referenced_is_kept(store):
    # Stored by a request whose command has not committed yet: no snapshot references it.
    sha = save(store, PNG, "image/png")
    assert sweep_store(store.root, set, grace_seconds=GRACE) == []
    assert store.path_for(sha).exists()


def test_a_file_used_after_the_cutoff_but_missing_from_the_snapshot_is_kept(store, monkeypatch):
    old_used, old_orphan = save(store, PNG, "image/png"), save(store, JPEG, "image/jpeg")
    age(store, old_used, 2 * GRACE)
    age(store, old_orphan, 2 * GRACE)
    # The sweep's clock: the snapshot read takes ten grace periods. Were the cutoff taken after the
    # read, the file touched during the read would look old and go.
    clock = {"now": time.time()}
    monkeypatch.setattr(media.sweep, "time", SimpleNamespace(time=lambda: clock["now"]))

    def snapshot() -> set[str]:
        # A request references the old file while the sweep reads; its pedido commits after the snapshot.
        store.lookup(old_used, touch=True)
        clock["now"] += 10 * GRACE
        return set()

    assert sweep_store(store.root, snapshot, grace_seconds=GRACE) == [old_orphan]
    assert store.path_for(old_used).exists()


def test_a_file_used_between_the_scan_and_the_delete_goes_back(store):
    used, unused = save(store, PNG, "image/png"), save(store, JPEG, "image/jpeg")
    cutoff = time.time() - GRACE
    age(store, unused, 2 * GRACE)
    # `used` was scanned as old, then a request touched it (its mtime is now): moved aside, seen, put back.
    path = store.path_for(used)
    assert _delete_unused(path, store.root / "tmp" / f"{used}.sweep", cutoff) is False
    assert path.read_bytes() == PNG and leftovers(store) == []
    unused_path = store.path_for(unused)
    assert _delete_unused(unused_path, store.root / "tmp" / f"{unused}.sweep", cutoff) is True
    assert not unused_path.exists() and leftovers(store) == []


def test_a_file_left_aside_by_an_interrupted_sweep_goes_back_and_is_judged_again(store):
    used, orphan, uploaded_again = (
        save(store, PNG, "image/png"),
        save(store, JPEG, "image/jpeg"),
        save(store, GIF, "image/gif"),
    )
    age(store, orphan, 2 * GRACE)
    age(store, uploaded_again, 2 * GRACE)
    aside = store.root / "tmp"
    # The supervisor died between "move aside" and "put back / delete": three files are left in tmp/.
    for sha in (used, orphan, uploaded_again):
        os.replace(store.path_for(sha), aside / f"{sha}.sweep")
    assert save(store, GIF, "image/gif") == uploaded_again  # an upload put those bytes back meanwhile

    deleted = store.sweep({used}, grace_seconds=GRACE)

    assert deleted == [orphan]  # put back, then judged like any file: old and unreferenced
    assert store.path_for(used).read_bytes() == PNG  # referenced (or just used): back in place
    assert store.lookup(uploaded_again)[0].read_bytes() == GIF
    assert leftovers(store) == []


def test_a_reference_or_upload_after_the_sweep_took_the_file(store):
    sha = save(store, PNG, "image/png")
    age(store, sha, 2 * GRACE)
    assert store.sweep(set(), grace_seconds=GRACE) == [sha]
    with pytest.raises(MediaNotFound):  # the request is refused ("send it again"), never left dangling
        store.lookup(sha, touch=True)
    assert save(store, PNG, "image/png") == sha  # an upload of the same bytes writes it anew
    assert store.lookup(sha)[0].read_bytes() == PNG


def test_a_failed_snapshot_deletes_nothing(store):
    sha = save(store, PNG, "image/png")
    age(store, sha, 2 * GRACE)

    def broken() -> set[str]:
        raise sqlite3.OperationalError("unable to open database file")

    sweeper = SweepThread(store.root, broken, grace_s=GRACE)
    with pytest.raises(sqlite3.OperationalError):
        sweeper.run_once()
    assert store.path_for(sha).exists() and sweeper.deleted_total == 0


def test_sweep_thread_counts_and_stops(store):
    sha = save(store, PNG, "image/png")
    age(store, sha, 2 * GRACE)
    sweeper = SweepThread(store.root, set, grace_s=GRACE)
    assert sweeper.interval_s == 300.0
    assert sweeper.run_once() == [sha] and sweeper.deleted_total == 1 and sweeper.last_sweep_at is not None
    sweeper.start()
    sweeper.stop()  # returns at once: the first sweep would be one interval away
    assert not sweeper._thread.is_alive()
