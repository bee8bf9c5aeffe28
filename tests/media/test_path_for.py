"""Resolving ids to paths: only well-formed ids of regular files inside the store."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import pytest

from media import MediaNotFound, MediaStore

from .conftest import PNG, data_url

SHA = hashlib.sha256(b"outside").hexdigest()


def symlink_or_skip(link: Path, target: Path, *, directory: bool = False) -> None:
    try:
        os.symlink(target, link, target_is_directory=directory)
    except (OSError, NotImplementedError) as exc:  # Windows without the privilege
        pytest.skip(f"cannot create symlinks here: {exc}")


def test_stored_file_resolves_inside_root(store):
    media = asyncio.run(store.save_data_url(data_url("image/png", PNG)))
    path = store.path_for(media.sha256)
    assert path.is_relative_to(store.root.resolve())
    assert path.name == media.sha256


@pytest.mark.parametrize(
    "bad_id",
    [
        "../x",
        "..%2F..%2Fetc%2Fpasswd",
        "../../" + "a" * 58,
        "/etc/passwd",
        "C:\\Windows\\win.ini",
        str(Path(__file__).resolve()),
        SHA.upper(),
        SHA[:63],
        SHA + "0",
        SHA + "\n",
        "g" * 64,
        "",
    ],
)
def test_malformed_ids_refused(store, bad_id):
    with pytest.raises(MediaNotFound):
        store.path_for(bad_id)


def test_non_string_id_refused(store):
    with pytest.raises(MediaNotFound):
        store.path_for(None)  # type: ignore[arg-type]


def test_absent_file(store):
    with pytest.raises(MediaNotFound) as info:
        store.path_for(SHA)
    assert info.value.code == "image_not_found"


def test_directory_in_place_of_file_refused(store):
    (store.root / SHA[:2] / SHA[2:4] / SHA).mkdir(parents=True)
    with pytest.raises(MediaNotFound):
        store.path_for(SHA)


def test_symlinked_file_pointing_outside_refused(tmp_path):
    store = MediaStore(tmp_path / "media", max_bytes=1024)
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"outside")
    fanout = store.root / SHA[:2] / SHA[2:4]
    fanout.mkdir(parents=True)
    symlink_or_skip(fanout / SHA, secret)
    with pytest.raises(MediaNotFound):
        store.path_for(SHA)


def test_symlinked_directory_pointing_outside_refused(tmp_path):
    store = MediaStore(tmp_path / "media", max_bytes=1024)
    outside = tmp_path / "outside" / SHA[2:4]
    outside.mkdir(parents=True)
    (outside / SHA).write_bytes(b"outside")
    symlink_or_skip(store.root / SHA[:2], outside.parent, directory=True)
    with pytest.raises(MediaNotFound):
        store.path_for(SHA)


def test_symlinked_root_is_fine(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    symlink_or_skip(link, real, directory=True)
    store = MediaStore(link, max_bytes=1024 * 1024)
    media = asyncio.run(store.save_data_url(data_url("image/png", PNG)))
    assert store.path_for(media.sha256).read_bytes() == PNG
