"""Type detection from content, and the declared-type check."""

import pytest

from media import MediaInvalid, sniff
from media.sniff import check_claim, normalise_mime

from .conftest import EXE_ELF, EXE_MZ, GIF, HTML, JPEG, PDF, PNG, SVG, SVG_XML, TIFF_BE, TIFF_LE, WEBP, ZIP


@pytest.mark.parametrize(
    ("payload", "mime"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (WEBP, "image/webp"),
        (GIF, "image/gif"),
        (b"GIF87a" + bytes(10), "image/gif"),
        (PDF, "application/pdf"),
        (TIFF_LE, "image/tiff"),
        (TIFF_BE, "image/tiff"),
    ],
)
def test_accepted_types(payload, mime):
    assert sniff(payload[:512]) == mime


@pytest.mark.parametrize(
    "payload",
    [HTML, EXE_MZ, EXE_ELF, ZIP, b"", b"RIFF\x00\x00\x00\x00WAVEfmt ", b"hello world", b"\x89PN"],
    ids=["html", "mz", "elf", "zip", "empty", "riff-wave", "text", "truncated-png"],
)
def test_refused_types(payload):
    with pytest.raises(MediaInvalid, match="não aceito"):
        sniff(payload)


@pytest.mark.parametrize("payload", [SVG, SVG_XML, b"\xef\xbb\xbf  <!-- art -->\n" + SVG])
def test_svg_refused_with_specific_message(payload):
    with pytest.raises(MediaInvalid, match="SVG"):
        sniff(payload)


@pytest.mark.parametrize(
    ("claimed", "expected"),
    [
        (None, None),
        ("", None),
        ("application/octet-stream", None),
        ("IMAGE/PNG", "image/png"),
        ("image/png; name=a.png", "image/png"),
        ("image/jpg", "image/jpeg"),
        ("image/pjpeg", "image/jpeg"),
        ("image/tif", "image/tiff"),
    ],
)
def test_normalise_mime(claimed, expected):
    assert normalise_mime(claimed) == expected


def test_check_claim_accepts_match_alias_and_no_claim():
    check_claim("image/jpg", "image/jpeg")
    check_claim(None, "image/png")
    check_claim("application/octet-stream", "application/pdf")


def test_check_claim_mismatch_names_both_types():
    with pytest.raises(MediaInvalid) as info:
        check_claim("image/png", "image/jpeg")
    assert "image/png" in info.value.message
    assert "image/jpeg" in info.value.message
