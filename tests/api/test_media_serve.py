"""Serving stored files: caching headers, conditional GET and byte ranges."""

from __future__ import annotations

import asyncio
import hashlib

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from api.media_serve import file_response
from media import MediaStore

MiB = 1024 * 1024
# Larger than Starlette's 64 KiB chunk so streaming spans several chunks.
PAYLOAD = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 1000
SHA = hashlib.sha256(PAYLOAD).hexdigest()
ETAG = f'"{SHA}"'


@pytest.fixture
def client(tmp_path) -> Starlette:
    store = MediaStore(tmp_path, max_bytes=MiB)

    async def stream():
        yield PAYLOAD

    media = asyncio.run(store.save_stream(stream(), "image/png"))
    assert media.sha256 == SHA

    async def image(request: Request):
        sha = request.path_params["sha"]
        return file_response(store.path_for(sha), sha256=sha, mime=media.mime, request_headers=request.headers)

    return Starlette(routes=[Route("/img/{sha}", image, methods=["GET", "HEAD"])])


def request(app: Starlette, method: str = "GET", **headers: str) -> httpx.Response:
    """Send one request through the ASGI app; keyword names become header names (if_range -> if-range)."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.request(
                method, f"/img/{SHA}", headers={k.replace("_", "-"): v for k, v in headers.items()}
            )

    return asyncio.run(send())


def get(app: Starlette, **headers: str) -> httpx.Response:
    return request(app, "GET", **headers)


def test_full_response(client):
    r = get(client)
    assert r.status_code == 200
    assert r.content == PAYLOAD
    assert r.headers["etag"] == ETAG
    assert r.headers["cache-control"] == "private, max-age=31536000, immutable"
    assert r.headers["content-type"] == "image/png"
    assert r.headers["content-length"] == str(len(PAYLOAD))
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"] == "inline"


def test_head(client):
    r = request(client, "HEAD")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == str(len(PAYLOAD))


@pytest.mark.parametrize("value", [ETAG, f"W/{ETAG}", f'"other", {ETAG}', "*"])
def test_not_modified(client, value):
    r = get(client, if_none_match=value)
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["etag"] == ETAG
    assert r.headers["cache-control"] == "private, max-age=31536000, immutable"


def test_other_etag_gets_full_body(client):
    r = get(client, if_none_match='"0000"')
    assert r.status_code == 200
    assert r.content == PAYLOAD


def test_not_modified_takes_precedence_over_range(client):
    assert get(client, if_none_match=ETAG, range="bytes=0-9").status_code == 304


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=100-", 100, len(PAYLOAD) - 1),
        ("bytes=-5", len(PAYLOAD) - 5, len(PAYLOAD) - 1),
        ("bytes=70000-200000", 70000, 200000),  # spans several 64 KiB chunks
        ("bytes=70000-99999999", 70000, len(PAYLOAD) - 1),  # end clamped to the file
    ],
)
def test_single_range(client, spec, start, end):
    r = get(client, range=spec)
    assert r.status_code == 206
    assert r.headers["content-range"] == f"bytes {start}-{end}/{len(PAYLOAD)}"
    assert r.content == PAYLOAD[start : end + 1]
    assert r.headers["etag"] == ETAG


@pytest.mark.parametrize("spec", [f"bytes={len(PAYLOAD)}-", "bytes=999999999-"])
def test_unsatisfiable_range(client, spec):
    r = get(client, range=spec)
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(PAYLOAD)}"


@pytest.mark.parametrize(
    "spec", ["bytes=abc", "items=0-5", "bytes=5-2", "bytes=", "bytes=0-1,x", "bytes=1-" + "9" * 5000]
)
def test_malformed_range_is_ignored(client, spec):
    r = get(client, range=spec)
    assert r.status_code == 200
    assert r.content == PAYLOAD
    assert r.headers["etag"] == ETAG


def test_multiple_ranges(client):
    r = get(client, range="bytes=0-1, 10-11")
    assert r.status_code in (200, 206)
    if r.status_code == 206:
        assert r.headers["content-type"].startswith("multipart/byteranges")
        assert PAYLOAD[10:12] in r.content


def test_if_range_with_current_etag_honours_range(client):
    r = get(client, range="bytes=0-3", if_range=ETAG)
    assert r.status_code == 206
    assert r.content == PAYLOAD[:4]


def test_if_range_with_stale_etag_sends_everything(client):
    r = get(client, range="bytes=0-3", if_range='"stale"')
    assert r.status_code == 200
    assert r.content == PAYLOAD


def test_plain_dict_headers_any_case(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x")
    r = file_response(path, sha256=SHA, mime="image/png", request_headers={"If-None-Match": ETAG})
    assert r.status_code == 304
