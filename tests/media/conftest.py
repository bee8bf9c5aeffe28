"""Shared fixtures and sample payloads for the media tests."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from media import MediaStore

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8
WEBP = b"RIFF\x24\x08\x00\x00WEBPVP8 " + bytes(range(256)) * 8
GIF = b"GIF89a" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n" + b"%\xe2\xe3\xcf\xd3\n" * 100
TIFF_LE = b"II*\x00\x08\x00\x00\x00" + bytes(range(256)) * 8
TIFF_BE = b"MM\x00*\x00\x00\x00\x08" + bytes(range(256)) * 8

HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
SVG_XML = b'<?xml version="1.0" encoding="UTF-8"?>\n' + SVG
EXE_MZ = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(512)
EXE_ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(512)
ZIP = b"PK\x03\x04\x14\x00\x00\x00" + bytes(512)

MAX_BYTES = 1024 * 1024


def data_url(mime: str, payload: bytes) -> str:
    """Encode bytes as a base64 data URL."""
    return f"data:{mime};base64," + base64.b64encode(payload).decode("ascii")


def leftovers(store: MediaStore) -> list[Path]:
    """Files left in the store's temp directory."""
    return list((store.root / "tmp").iterdir())


def stored_files(store: MediaStore) -> list[Path]:
    """Every regular file in the fan-out tree (temp directory excluded)."""
    return [p for p in store.root.glob("??/??/*") if p.is_file()]


@pytest.fixture
def store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media", max_bytes=MAX_BYTES)
