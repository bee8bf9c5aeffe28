"""Looking up a stored file: its reference, the sweep grace restart, and refusals."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time

import pytest

from media import MediaNotFound, StoredMedia

from .conftest import HTML, PNG, data_url


def test_lookup_describes_a_stored_file(store):
    saved = asyncio.run(store.save_data_url(data_url("image/png", PNG)))
    path, media = store.lookup(saved.sha256)
    assert media == saved == StoredMedia(sha256=hashlib.sha256(PNG).hexdigest(), mime="image/png", size=len(PNG))
    assert path.read_bytes() == PNG


def test_touch_restarts_the_grace_period(store):
    sha = asyncio.run(store.save_data_url(data_url("image/png", PNG))).sha256
    path, _ = store.lookup(sha)
    old = time.time() - 7200
    os.utime(path, (old, old))
    store.lookup(sha)
    assert path.stat().st_mtime == old  # a plain lookup (serving) does not
    store.lookup(sha, touch=True)
    assert path.stat().st_mtime > time.time() - 60
    assert store.sweep(set(), grace_seconds=3600) == []


@pytest.mark.parametrize("sha", ["0" * 64, "../" * 21 + "x", "", "A" * 64])
def test_unknown_or_malformed_ids(store, sha):
    with pytest.raises(MediaNotFound):
        store.lookup(sha)


def test_a_planted_file_of_a_refused_type_is_not_found(store):
    sha = hashlib.sha256(HTML).hexdigest()
    target = store.root / sha[:2] / sha[2:4] / sha
    target.parent.mkdir(parents=True)
    target.write_bytes(HTML)
    with pytest.raises(MediaNotFound):
        store.lookup(sha)
