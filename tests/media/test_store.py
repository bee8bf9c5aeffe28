"""Saving: round trip, deduplication, limits, refused content and cleanup."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import tracemalloc
from collections.abc import AsyncIterator

import anyio
import msgspec
import pytest

from media import MediaInvalid, MediaStore, MediaTooLarge, StoredMedia

from .conftest import (
    EXE_MZ,
    GIF,
    HTML,
    JPEG,
    PDF,
    PNG,
    SVG,
    TIFF_BE,
    TIFF_LE,
    WEBP,
    ZIP,
    data_url,
    leftovers,
    stored_files,
)

MiB = 1024 * 1024


def warm_up(store: MediaStore) -> None:
    """Run one small save so lazy imports and the thread pool don't count as upload memory."""
    asyncio.run(store.save_data_url(data_url("image/gif", GIF)))


async def chunked(payload: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(payload), size):
        yield payload[i : i + size]


@pytest.mark.parametrize(
    ("payload", "mime"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (WEBP, "image/webp"),
        (GIF, "image/gif"),
        (PDF, "application/pdf"),
        (TIFF_LE, "image/tiff"),
        (TIFF_BE, "image/tiff"),
    ],
)
def test_data_url_round_trip(store, payload, mime):
    media = asyncio.run(store.save_data_url(data_url(mime, payload)))
    sha = hashlib.sha256(payload).hexdigest()
    assert media == StoredMedia(sha256=sha, mime=mime, size=len(payload))
    path = store.path_for(sha)
    assert path == (store.root / sha[:2] / sha[2:4] / sha).resolve()
    assert path.read_bytes() == payload
    assert leftovers(store) == []


def test_bare_and_line_wrapped_base64(store):
    media = asyncio.run(store.save_data_url(base64.encodebytes(PNG).decode()))
    assert media.mime == "image/png"
    assert store.path_for(media.sha256).read_bytes() == PNG


def test_stored_media_is_a_msgspec_struct(store):
    media = asyncio.run(store.save_data_url(data_url("image/png", PNG)))
    assert msgspec.json.decode(msgspec.json.encode(media), type=StoredMedia) == media


def test_same_bytes_stored_once(store):
    first = asyncio.run(store.save_data_url(data_url("image/png", PNG)))
    second = asyncio.run(store.save_stream(chunked(PNG, 100), "image/png"))
    assert first == second
    assert len(stored_files(store)) == 1
    assert leftovers(store) == []


@pytest.mark.parametrize("chunk", [1, 7, 511, 512, 4096])
def test_stream_round_trip_any_chunking(store, chunk):
    media = asyncio.run(store.save_stream(chunked(JPEG, chunk), None))
    assert media.mime == "image/jpeg"
    assert store.path_for(media.sha256).read_bytes() == JPEG


def test_tiny_file_shorter_than_sniff_window(store):
    tiny = b"GIF89a\x01\x00\x01\x00"
    media = asyncio.run(store.save_stream(chunked(tiny, 3), "image/gif"))
    assert media.size == len(tiny)


def test_size_limit_is_inclusive(tmp_path):
    store = MediaStore(tmp_path, max_bytes=len(PNG))
    asyncio.run(store.save_data_url(data_url("image/png", PNG)))
    with pytest.raises(MediaTooLarge):
        asyncio.run(store.save_data_url(data_url("image/png", PNG + b"x")))
    assert leftovers(store) == []


def test_large_data_url_refused_while_decoding(tmp_path):
    store = MediaStore(tmp_path, max_bytes=10 * MiB)
    # The invalid tail proves decoding stopped early: reaching it would raise MediaInvalid.
    text = data_url("image/png", PNG + bytes(11 * MiB)) + "!!!!"
    warm_up(store)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        with pytest.raises(MediaTooLarge) as info:
            asyncio.run(store.save_data_url(text))
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert info.value.code == "image_too_large"
    assert peak < 2 * MiB, f"extra peak {peak} bytes while decoding an 11 MB payload"
    assert leftovers(store) == []
    assert len(stored_files(store)) == 1  # only the warm-up file


def test_large_stream_refused_without_reading_everything(tmp_path):
    store = MediaStore(tmp_path, max_bytes=10 * MiB)
    chunk_size = 64 * 1024
    total_chunks = 11 * MiB // chunk_size
    produced = 0

    async def upload() -> AsyncIterator[bytes]:
        nonlocal produced
        for i in range(total_chunks):
            produced += 1
            yield (PNG if i == 0 else b"") + bytes(chunk_size)

    warm_up(store)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        with pytest.raises(MediaTooLarge):
            asyncio.run(store.save_stream(upload(), "image/png"))
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert peak < 2 * MiB, f"peak {peak} bytes while streaming an 11 MB upload"
    assert produced < total_chunks
    assert produced * chunk_size <= 10 * MiB + chunk_size
    assert leftovers(store) == []


@pytest.mark.parametrize(
    "payload",
    [HTML, EXE_MZ, ZIP, b"plain text, not an image"],
    ids=["html", "mz", "zip", "text"],
)
def test_png_claim_with_other_content_refused(store, payload):
    with pytest.raises(MediaInvalid) as info:
        asyncio.run(store.save_data_url(data_url("image/png", payload)))
    assert info.value.code == "invalid_image"
    assert leftovers(store) == []
    assert stored_files(store) == []


@pytest.mark.parametrize("save", ["data_url", "stream"])
def test_claim_mismatch_refused(store, save):
    if save == "data_url":
        coro = store.save_data_url(data_url("image/png", JPEG))
    else:
        coro = store.save_stream(chunked(JPEG, 64), "image/png")
    with pytest.raises(MediaInvalid) as info:
        asyncio.run(coro)
    assert "image/png" in info.value.message
    assert "image/jpeg" in info.value.message
    assert leftovers(store) == []


@pytest.mark.parametrize("mime", ["image/svg+xml", "image/png", None])
def test_svg_refused(store, mime):
    with pytest.raises(MediaInvalid, match="SVG"):
        asyncio.run(store.save_stream(chunked(SVG, 16), mime))
    assert leftovers(store) == []


@pytest.mark.parametrize(
    "text",
    [
        "data:image/png;base64,iVBORw0KGgo!!!!",
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABA",
        "data:image/png;base64," + base64.b64encode(PNG).decode()[:-1],
        "data:image/png," + PNG.decode("latin-1"),
        "data:image/png;base64,",
        "",
    ],
    ids=["bad-chars", "unaligned", "truncated", "not-base64-url", "empty-payload", "empty"],
)
def test_bad_base64_or_empty_refused(store, text):
    with pytest.raises(MediaInvalid):
        asyncio.run(store.save_data_url(text))
    assert leftovers(store) == []
    assert stored_files(store) == []


def test_failing_stream_leaves_no_temp_file(store):
    async def broken() -> AsyncIterator[bytes]:
        yield PNG
        yield PNG
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        asyncio.run(store.save_stream(broken(), None))
    assert leftovers(store) == []


def test_cancelled_upload_leaves_no_temp_file(store):
    async def main() -> None:
        started = asyncio.Event()

        async def stalled() -> AsyncIterator[bytes]:
            yield PNG
            started.set()
            await asyncio.sleep(3600)
            yield PNG

        task = asyncio.create_task(store.save_stream(stalled(), None))
        await started.wait()
        await asyncio.sleep(0.01)  # let the first chunk reach the temp file
        assert len(leftovers(store)) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert leftovers(store) == []


def test_anyio_cancelled_upload_leaves_no_temp_file(store):
    # Starlette cancels through anyio scopes, which re-raise at every later await.
    async def main() -> None:
        async def stalled() -> AsyncIterator[bytes]:
            yield PNG
            await anyio.sleep(3600)
            yield PNG

        with anyio.move_on_after(0.05):
            await store.save_stream(stalled(), None)

    anyio.run(main)
    assert leftovers(store) == []


def test_max_bytes_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        MediaStore(tmp_path, max_bytes=0)
