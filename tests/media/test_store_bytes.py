"""MediaStore.store_bytes: the blocking path bulk tools (the importer) use; same checks and layout as uploads."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from media import MediaInvalid, MediaStore, MediaTooLarge

from .conftest import HTML, JPEG, PNG


def test_stores_content_addressed_and_deduplicates(tmp_path: Path) -> None:
    store = MediaStore(tmp_path, max_bytes=1024 * 1024)
    first = store.store_bytes(PNG)
    assert first.sha256 == hashlib.sha256(PNG).hexdigest() and first.mime == "image/png" and first.size == len(PNG)
    assert store.path_for(first.sha256).read_bytes() == PNG
    assert store.store_bytes(PNG) == first
    assert store.store_bytes(JPEG).mime == "image/jpeg"
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize(("data", "error"), [(b"", MediaInvalid), (HTML, MediaInvalid), (PNG * 1000, MediaTooLarge)])
def test_refuses_what_uploads_refuse(tmp_path: Path, data: bytes, error: type[Exception]) -> None:
    store = MediaStore(tmp_path, max_bytes=64 * 1024)
    with pytest.raises(error):
        store.store_bytes(data)
    assert list((tmp_path / "tmp").iterdir()) == []
