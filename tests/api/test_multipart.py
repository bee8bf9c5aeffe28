"""The streaming multipart reader: the file part's bytes as they arrive, whatever the chunking."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from api.multipart import FilePartReader, MultipartError, multipart_boundary

BOUNDARY = b"sgp-test-boundary"
FILE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def body(*parts: tuple[bytes, bytes], close: bool = True) -> bytes:
    out = b"".join(b"--" + BOUNDARY + b"\r\n" + head + b"\r\n\r\n" + data + b"\r\n" for head, data in parts)
    return out + (b"--" + BOUNDARY + b"--\r\n" if close else b"")


FIELD = (b'Content-Disposition: form-data; name="order_item_id"', b"42")
IMAGE = (b'Content-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png', FILE)


async def chunks(payload: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(payload), size):
        yield payload[i : i + size]


async def read(payload: bytes, size: int) -> tuple[str | None, bytes]:
    reader = FilePartReader(chunks(payload, size), BOUNDARY)
    declared = await reader.open()
    data = b"".join([piece async for piece in reader.chunks()])
    await reader.finish()
    return declared, data


@pytest.mark.parametrize("size", [1, 7, 100, 4096, 1 << 20])
def test_file_after_a_form_field_any_chunking(size: int) -> None:
    assert asyncio.run(read(body(FIELD, IMAGE), size)) == ("image/png", FILE)


def test_a_part_named_file_without_filename_counts() -> None:
    part = (b'Content-Disposition: form-data; name="file"', FILE)
    assert asyncio.run(read(body(part), 512)) == (None, FILE)


@pytest.mark.parametrize(
    "payload",
    [
        body(FIELD),  # no file at all
        body(IMAGE, close=False)[:-200],  # cut inside the file
        body(IMAGE, close=False),  # no closing boundary
        body((FIELD[0], b"x" * 70_000), IMAGE),  # a huge non-file field
        b"garbage without any boundary",
    ],
)
def test_refusals(payload: bytes) -> None:
    with pytest.raises(MultipartError):
        asyncio.run(read(payload, 1000))


def test_boundary_of_the_content_type() -> None:
    assert multipart_boundary('multipart/form-data; boundary="abc"') == b"abc"
    assert multipart_boundary("image/png") is None and multipart_boundary(None) is None
    with pytest.raises(MultipartError):
        multipart_boundary("multipart/form-data")
