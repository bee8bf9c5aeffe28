"""Sweeping unreferenced files and stale temp files."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time

import pytest

from media import MediaStore

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
