"""Item images through the real run_server.py: intake, upload, serving, refusals and the sweeper."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.support import ServerProcess, pedido

from .conftest import db_state, read_only

API = "/api/v1/pedidos"
IMG = "/pedidos/imagens"  # the root form responses carry: the desktop app takes it as already uploaded
UPLOAD = f"{API}/order-items/upload-image"
MiB = 1024 * 1024
GRACE_S = 2.0  # the sweeper runs every second and deletes orphans older than this

HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(512)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("media") / "data"
    proc = ServerProcess(data_dir, workers=2, env={"SGP_MEDIA_GRACE_S": str(GRACE_S)}).start()
    yield proc
    assert proc.stop() == 0, proc.log()


def png(size: int = 4096) -> bytes:
    """Unique bytes with a PNG signature (the store checks the signature, not the pixels)."""
    return b"\x89PNG\r\n\x1a\n" + os.urandom(size - 8)


def data_url(payload: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(payload).decode()


def sha(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def stored(server: ServerProcess, digest: str) -> Path:
    return server.data_dir / "media" / digest[:2] / digest[2:4] / digest


def create(client: httpx.Client, *items: dict[str, Any]) -> dict[str, Any]:
    r = client.post(f"{API}/", json=pedido("Arte", items=list(items)))
    assert r.status_code == 200, r.text
    return r.json()


def image_rows(server: ServerProcess, pedido_id: int) -> list[tuple[int, str, str, int]]:
    with closing(read_only(server)) as conn:
        return conn.execute(
            "SELECT item_index, sha256, mime, size FROM pedido_imagens WHERE pedido_id = ? ORDER BY item_index",
            (pedido_id,),
        ).fetchall()


def assert_error(r: httpx.Response, status: int, code: str, field: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert r.json()["code"] == code, r.text
    if field is not None:
        assert r.json()["field"] == field, r.text


# --- intake and round trips ---


def test_data_url_round_trip_is_byte_identical_and_never_echoed(server: ServerProcess, client: httpx.Client) -> None:
    payload = png(200_000)
    r = client.post(f"{API}/", json=pedido("Arte", items=[{"descricao": "com", "imagem": data_url(payload)}, {}]))
    assert r.status_code == 200, r.text
    assert b"base64" not in r.content and base64.b64encode(payload[:300])[:100] not in r.content
    created = r.json()
    url = f"{IMG}/{sha(payload)}"
    assert created["items"][0]["imagem"] == created["items"][0]["imagem_path"] == url
    assert created["items"][1]["imagem"] is None and created["items"][1]["imagem_path"] is None
    served = client.get(url)
    assert served.status_code == 200 and served.content == payload
    assert served.headers["content-type"] == "image/png" and served.headers["etag"] == f'"{sha(payload)}"'
    assert "immutable" in served.headers["cache-control"]
    assert image_rows(server, created["id"]) == [(0, sha(payload), "image/png", len(payload))]
    assert client.get(f"{API}/{created['id']}").content == r.content


def test_multipart_upload_round_trip_then_referenced_by_an_item(server: ServerProcess, client: httpx.Client) -> None:
    payload = png(300_000)
    r = client.post(UPLOAD, files={"image": ("arte.png", payload, "image/png")}, data={"order_item_id": "7"})
    assert r.status_code == 200, r.text
    up = r.json()
    assert up["imagem_id"] == up["sha256"] == sha(payload) and up["size"] == len(payload) and up["mime"] == "image/png"
    assert up["server_reference"] == up["imagem_path"] == f"{IMG}/{sha(payload)}"
    assert client.get(up["imagem_path"]).content == payload
    # Both reference forms are accepted, and an absolute URL of this server too.
    created = create(
        client,
        {"imagem": f"sha256:{up['imagem_id']}"},
        {"imagem": up["server_reference"]},
        {"imagem": server.base_url + up["imagem_path"]},
    )
    assert [item["imagem"] for item in created["items"]] == [up["imagem_path"]] * 3
    assert [row[1] for row in image_rows(server, created["id"])] == [sha(payload)] * 3


def test_raw_body_upload(client: httpx.Client) -> None:
    payload = b"%PDF-1.7\n" + os.urandom(10_000)
    r = client.post(UPLOAD, content=payload, headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.text
    assert r.json()["mime"] == "application/pdf"
    assert client.get(r.json()["url"]).content == payload


def test_duplicate_bytes_are_stored_once(server: ServerProcess, client: httpx.Client) -> None:
    payload = png()
    created = create(client, {"imagem": data_url(payload)}, {"imagem": data_url(payload)})
    again = client.post(UPLOAD, files={"image": ("same.png", payload, "image/png")})
    assert again.status_code == 200 and again.json()["sha256"] == sha(payload)
    copies = list((server.data_dir / "media").glob(f"??/??/{sha(payload)}"))
    assert copies == [stored(server, sha(payload))]
    assert [row[1] for row in image_rows(server, created["id"])] == [sha(payload)] * 2


# --- refusals ---


def _multipart_stream(size: int, boundary: str) -> Iterator[bytes]:
    """A chunked multipart body carrying a `size`-byte PNG, generated as it is sent."""
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n'
    yield (head + "Content-Type: image/png\r\n\r\n").encode()
    block = b"\x89PNG\r\n\x1a\n" + os.urandom(64 * 1024 - 8)
    for sent in range(0, size, len(block)):
        yield block[: min(len(block), size - sent)]
    yield f"\r\n--{boundary}--\r\n".encode()


def test_11_mb_upload_is_refused_while_streaming_with_bounded_worker_memory(
    server: ServerProcess, client: httpx.Client
) -> None:
    worker = psutil.Process(client.get("/health").json()["worker"])  # this keep-alive connection's worker
    before = worker.memory_info().rss
    peak, stop = [before], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], worker.memory_info().rss)
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        r = client.post(
            UPLOAD, content=_multipart_stream(11 * MiB, "sgpBoundary"),
            headers={"Content-Type": "multipart/form-data; boundary=sgpBoundary"},
        )  # fmt: skip
    finally:
        stop.set()
        sampler.join()
    assert_error(r, 413, "image_too_large", "image")
    assert client.get("/health").json()["worker"] == worker.pid  # measured the worker that served it
    # Buffering the upload would have cost at least its 11 MB.
    assert peak[0] - before < 5 * MiB, f"worker RSS grew by {(peak[0] - before) / MiB:.1f} MB"
    assert list((server.data_dir / "media" / "tmp").glob("*.part")) == []


def test_too_large_data_url_names_the_item(client: httpx.Client) -> None:
    big = b"\x89PNG\r\n\x1a\n" + bytes(10 * MiB)
    r = client.post(f"{API}/", json=pedido("Grande", items=[{}, {"imagem": data_url(big)}]))
    assert_error(r, 422, "image_too_large", "items[1].imagem")


@pytest.mark.parametrize(("payload", "mime"), [(HTML, "image/png"), (EXE, "image/png"), (SVG, "image/svg+xml")])
def test_a_png_claim_carrying_html_an_executable_or_svg_is_refused(
    server: ServerProcess, client: httpx.Client, payload: bytes, mime: str
) -> None:
    state = db_state(server)
    r = client.post(f"{API}/", json=pedido("Falso", items=[{"imagem": data_url(payload, mime)}]))
    assert_error(r, 422, "invalid_image", "items[0].imagem")
    upload = client.post(UPLOAD, files={"image": ("arte.png", payload, "image/png")})
    assert_error(upload, 422, "invalid_image", "image")
    assert db_state(server) == state
    assert not stored(server, sha(payload)).exists()


def test_a_jpeg_declared_as_png_is_refused(client: httpx.Client) -> None:
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(1000)
    r = client.post(f"{API}/", json=pedido("Falso", items=[{"imagem": data_url(jpeg, "image/png")}]))
    assert_error(r, 422, "invalid_image", "items[0].imagem")


@pytest.mark.parametrize(
    "reference",
    ["sha256:" + "0" * 64, "sha256:../../sgp.sqlite3", "/pedidos/imagens/" + "0" * 64, f"{API}/imagens/{'1' * 64}"],
)
def test_references_to_unknown_images_are_refused(client: httpx.Client, reference: str) -> None:
    r = client.post(f"{API}/", json=pedido("Ref", items=[{"imagem": reference}]))
    assert_error(r, 422, "image_not_found", "items[0].imagem")


@pytest.mark.parametrize(
    "reference",
    ["https://example.com/a.png", "/pedidos/imagens/12", f"{API}/imagens/../../sgp.sqlite3", "C:\\fotos\\a.jpg"],
)
def test_references_we_do_not_own_are_kept_verbatim(client: httpx.Client, reference: str) -> None:
    """The old server stored them as sent (contract images.md §3); duplicating an imported order copies them."""
    r = client.post(f"{API}/", json=pedido("Ref", items=[{"imagem": reference}]))
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["imagem"] == reference


def _raw_get(server: ServerProcess, path: str) -> int:
    """GET a path byte for byte (httpx would normalise the dot segments away)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {server.token}"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/imagens/../../../sgp.sqlite3",
        f"{API}/imagens/..%2F..%2Fsgp.sqlite3",
        f"{API}/imagens/%2E%2E%2F%2E%2E%2Fsgp.sqlite3",
        f"{API}/imagens/%2Fetc%2Fpasswd",
        f"{API}/imagens//etc/passwd",
        f"{API}/imagens/C:%5CWindows%5Cwin.ini",
        f"{API}/imagens/tmp",
        f"{API}/imagens/{'A' * 64}",
    ],
)
def test_traversal_through_the_image_url_is_refused(server: ServerProcess, path: str) -> None:
    assert _raw_get(server, path) == 404


def test_symlinks_in_the_media_root_are_never_followed(server: ServerProcess, client: httpx.Client) -> None:
    secret = server.data_dir / "outside-secret.png"
    secret.write_bytes(png())
    file_link, dir_link = "ab" * 32, "cd" * 32
    try:
        (server.data_dir / "media" / "ab" / "ab").mkdir(parents=True, exist_ok=True)
        os.symlink(secret, stored(server, file_link))
        (server.data_dir / "media" / "cd").mkdir(exist_ok=True)
        os.symlink(server.data_dir, server.data_dir / "media" / "cd" / "cd", target_is_directory=True)
        (server.data_dir / dir_link).write_bytes(png())  # reachable only through the linked directory
    except (OSError, NotImplementedError) as exc:  # Windows without the symlink privilege
        pytest.skip(f"cannot create symlinks here: {exc}")
    for digest in (file_link, dir_link):
        assert _raw_get(server, f"{API}/imagens/{digest}") == 404
        r = client.post(f"{API}/", json=pedido("Link", items=[{"imagem": f"sha256:{digest}"}]))
        assert_error(r, 422, "image_not_found", "items[0].imagem")


# --- conditional and range requests ---


def test_conditional_get_304_and_range_206(client: httpx.Client) -> None:
    payload = png(10_000)
    url = create(client, {"imagem": data_url(payload)})["items"][0]["imagem_path"]
    etag = client.get(url).headers["etag"]
    not_modified = client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == payload[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(payload)}"
    assert client.head(url).headers["content-length"] == str(len(payload))


def test_image_reads_need_a_token(server: ServerProcess, client: httpx.Client) -> None:
    url = create(client, {"imagem": data_url(png())})["items"][0]["imagem_path"]
    assert httpx.get(server.base_url + url).status_code == 401
    assert httpx.post(server.base_url + UPLOAD, content=png()).status_code == 401


# --- replacing, removing, failing, and the sweeper ---


def test_patch_without_items_keeps_the_images(server: ServerProcess, client: httpx.Client) -> None:
    payload = png()
    created = create(client, {"imagem": data_url(payload)})
    r = client.patch(f"{API}/{created['id']}", json={"observacao": "só isto"})
    assert r.status_code == 200 and r.json()["items"] == created["items"]
    assert image_rows(server, created["id"]) == [(0, sha(payload), "image/png", len(payload))]


def test_replace_remove_delete_and_failed_requests_leave_no_orphan_after_the_sweep(
    server: ServerProcess, client: httpx.Client
) -> None:
    old, removed, kept, replacement, deleted_one = (png() for _ in range(5))
    a = create(client, {"imagem": data_url(old)}, {"imagem": data_url(removed)}, {"imagem": data_url(kept)})
    patched = client.patch(
        f"{API}/{a['id']}",
        json={"items": [{"imagem": data_url(replacement)}, {"imagem": None}, a["items"][2]]},
    )
    assert patched.status_code == 200, patched.text
    assert [i["imagem_path"] for i in patched.json()["items"]] == [
        f"{IMG}/{sha(replacement)}", None, f"{IMG}/{sha(kept)}",
    ]  # fmt: skip
    assert [row[:2] for row in image_rows(server, a["id"])] == [(0, sha(replacement)), (2, sha(kept))]

    b = create(client, {"imagem": data_url(deleted_one)})
    assert client.delete(f"{API}/{b['id']}").status_code == 200
    assert image_rows(server, b["id"]) == []

    # One bad image after two good ones: nothing is written, the good files are orphans.
    good1, good2 = png(), png()
    state = db_state(server)
    bad = client.post(
        f"{API}/",
        json=pedido("Falha", items=[{"imagem": data_url(p)} for p in (good1, good2, HTML)]),
    )
    assert_error(bad, 422, "invalid_image", "items[2].imagem")
    assert db_state(server) == state
    assert stored(server, sha(good1)).exists() and stored(server, sha(good2)).exists()

    orphans = [old, removed, deleted_one, good1, good2]
    deadline = time.monotonic() + GRACE_S + 10
    while any(stored(server, sha(p)).exists() for p in orphans) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [stored(server, sha(p)).exists() for p in orphans] == [False] * len(orphans)
    for payload in (replacement, kept):
        assert client.get(f"{API}/imagens/{sha(payload)}").content == payload
    assert list((server.data_dir / "media" / "tmp").iterdir()) == []
