"""Data URL parsing and incremental strict base64 decoding."""

import base64

import pytest

from media import MediaInvalid
from media.dataurl import decode_base64_chunks, parse_data_url


def decode(text: str, chunk_chars: int = 8) -> bytes:
    _, start = parse_data_url(text)
    return b"".join(decode_base64_chunks(text, start, chunk_chars))


@pytest.mark.parametrize(
    ("text", "mime", "rest"),
    [
        ("data:image/png;base64,QUJD", "image/png", "QUJD"),
        ("  DATA:Image/PNG;BASE64,QUJD", "Image/PNG", "QUJD"),
        ("data:image/png;name=a.png;base64,QUJD", "image/png", "QUJD"),
        ("data:;base64,QUJD", None, "QUJD"),
        ("QUJD", None, "QUJD"),
        ("\n QUJD", None, "QUJD"),
    ],
)
def test_parse(text, mime, rest):
    claimed, start = parse_data_url(text)
    assert claimed == mime
    assert text[start:] == rest


@pytest.mark.parametrize("text", ["data:image/png,raw-bytes", "data:image/png;base64QUJD"])
def test_parse_refuses_non_base64_or_malformed(text):
    with pytest.raises(MediaInvalid):
        parse_data_url(text)


@pytest.mark.parametrize("size", [0, 1, 2, 3, 5, 6, 7, 100, 1000])
@pytest.mark.parametrize("chunk_chars", [4, 8, 12, 64])
def test_decode_round_trip_any_alignment(size, chunk_chars):
    payload = bytes(range(256)) * 4
    payload = payload[:size]
    text = base64.b64encode(payload).decode()
    assert decode(text, chunk_chars) == payload


def test_decode_tolerates_line_wrapping_and_whitespace():
    payload = bytes(range(256)) * 10
    wrapped = base64.encodebytes(payload).decode()  # newline every 76 chars
    assert "\n" in wrapped
    assert decode(wrapped, 8) == payload
    assert decode(" \t".join(wrapped.split("\n")), 12) == payload


@pytest.mark.parametrize(
    "text",
    [
        "QUJD!!!!",  # outside the alphabet
        "QUJ",  # truncated final quantum
        "QQ==QUJD",  # data after padding, inside one chunk
        "QUJDQQ==QUJD",  # data after padding, across chunks of 8
        "QQ=A",  # misplaced padding
        "====",
        "QUJD-_-_",  # url-safe alphabet
        "QUJDé===",  # non-ASCII
    ],
)
def test_decode_strict(text):
    with pytest.raises(MediaInvalid, match="base64"):
        decode(text, 8)


def test_decode_is_lazy():
    # The invalid tail is never reached when the consumer stops early.
    chunks = decode_base64_chunks("QUJD" * 10 + "!!!!", 0, 8)
    assert next(chunks) == b"ABCABC"


def test_chunk_size_must_be_aligned():
    with pytest.raises(ValueError):
        next(decode_base64_chunks("QUJD", 0, 6))
