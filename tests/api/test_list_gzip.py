"""Pedido lists gzipped when the client accepts it (SGP_LIST_GZIP_MIN_BYTES), with their own strong ETag."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import httpx
import pytest

from tests.support import ServerProcess, pedido

API = "/api/v1/pedidos/"
TAB = {"skip": 0, "limit": 10001, "is_pronto": "false"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("gz") / "data", workers=2, env={"SGP_LIST_GZIP_MIN_BYTES": "2000"})
    proc.start()
    yield proc
    assert proc.stop() == 0, proc.log()


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    with server.client() as http:
        for i in range(12):
            http.post(API, json=pedido(f"Gzip {i}", observacao="x" * 200)).raise_for_status()
        yield http


def raw_get(client: httpx.Client, encoding: str | None, etag: str | None = None, **params: object) -> httpx.Response:
    headers = {"Accept-Encoding": encoding or "identity"}
    if etag is not None:
        headers["If-None-Match"] = etag
    request = client.build_request("GET", API, params=params or TAB, headers=headers)
    response = client.send(request, stream=True)
    response.read()  # httpx leaves .content decoded; the raw bytes are checked through the header + gzip below
    return response


def test_gzip_when_accepted_same_json_other_etag(client: httpx.Client) -> None:
    plain = raw_get(client, None)
    zipped = raw_get(client, "gzip, deflate")
    assert plain.status_code == zipped.status_code == 200
    assert "content-encoding" not in plain.headers and zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # httpx decoded it: the same bytes as the identity answer
    assert len(plain.content) >= 2000 and int(zipped.headers["content-length"]) < len(plain.content)
    assert zipped.headers["etag"] != plain.headers["etag"] and zipped.headers["etag"].endswith('.gz"')
    assert "accept-encoding" in zipped.headers["vary"].lower() and "accept-encoding" in plain.headers["vary"].lower()
    # Each representation revalidates with its own tag.
    assert raw_get(client, "gzip", zipped.headers["etag"]).status_code == 304
    assert raw_get(client, None, plain.headers["etag"]).status_code == 304
    # A write changes both.
    client.post(API, json=pedido("Gzip novo")).raise_for_status()
    assert raw_get(client, "gzip", zipped.headers["etag"]).status_code == 200


def test_no_gzip_when_refused_or_small(client: httpx.Client) -> None:
    assert "content-encoding" not in raw_get(client, "gzip;q=0").headers
    assert "content-encoding" not in raw_get(client, "br").headers
    small = raw_get(client, "gzip", limit=1)
    assert small.status_code == 200 and "content-encoding" not in small.headers


def test_the_gzip_bytes_are_the_body_compressed(client: httpx.Client) -> None:
    plain = raw_get(client, None)
    with client.stream("GET", API, params=TAB, headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == plain.content
