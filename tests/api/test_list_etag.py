"""Pedido lists: strong ETag, 304 while unchanged, 200 after any write that changes them, bytes as stored."""

from __future__ import annotations

from contextlib import closing
from typing import Any

import httpx

from readers.pedidos import PedidoFilter, list_query
from tests.support import ServerProcess, pedido

from .conftest import read_only

API = "/api/v1/pedidos"
DEFAULT_TAB = {"skip": 0, "limit": 10001, "is_pronto": "false"}


def get(client: httpx.Client, etag: str | None = None, path: str = f"{API}/", **params: Any) -> httpx.Response:
    headers = {"If-None-Match": etag} if etag is not None else {}
    return client.get(path, params=params or DEFAULT_TAB, headers=headers)


def stored(server: ServerProcess, f: PedidoFilter) -> tuple[bytes, int]:
    """The list as the stored documents give it, read straight from SQLite: `[doc,doc,...]` and the count."""
    page, count, params = list_query(f)
    with closing(read_only(server)) as conn:
        docs = [row[0] for row in conn.execute(page, (*params, f.limit, f.skip))]
        total = conn.execute(count, params).fetchone()[0]
    return b"[" + b",".join(docs) + b"]", total


def create(client: httpx.Client, cliente: str, **fields: Any) -> dict[str, Any]:
    r = client.post(f"{API}/", json=pedido(cliente, **fields))
    assert r.status_code == 200, r.text
    return r.json()


def fresh_clients(server: ServerProcess, n: int = 4) -> list[httpx.Client]:
    """Separate connections, so revalidations reach both workers."""
    return [server.client() for _ in range(n)]


def test_unchanged_list_revalidates_to_304_on_every_worker(server: ServerProcess, client: httpx.Client) -> None:
    create(client, "Etag Um")
    first = get(client)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert first.headers["cache-control"] == "no-cache"
    others = fresh_clients(server)
    try:
        for other in others:
            again = get(other, etag)
            assert again.status_code == 304, again.text
            assert again.content == b"" and again.headers["etag"] == etag
            # Weak form and a list of candidates match too (RFC 9110 weak comparison).
            assert get(other, f'"x", W/{etag}').status_code == 304
            assert get(other, "*").status_code == 304
            plain = get(other)
            assert plain.status_code == 200 and plain.content == first.content and plain.headers["etag"] == etag
    finally:
        for other in others:
            other.close()


def test_any_write_that_changes_the_list_answers_200_with_a_new_etag(client: httpx.Client) -> None:
    created = create(client, "Etag Dois")
    before = get(client)
    etag = before.headers["etag"]
    assert created["id"] in [p["id"] for p in before.json()]

    # A new pedido not ready: it joins the default tab.
    added = create(client, "Etag Tres")
    r = get(client, etag)
    assert r.status_code == 200 and r.headers["etag"] != etag
    assert added["id"] in [p["id"] for p in r.json()]
    etag = r.headers["etag"]

    # Ready: it leaves the default tab.
    patched = client.patch(f"{API}/{added['id']}", json={"pronto": True})
    assert patched.status_code == 200, patched.text
    r = get(client, etag)
    assert r.status_code == 200 and added["id"] not in [p["id"] for p in r.json()]
    etag = r.headers["etag"]

    # A field shown in the list changes.
    client.patch(f"{API}/{created['id']}", json={"observacao": "mudou"}).raise_for_status()
    r = get(client, etag)
    assert r.status_code == 200
    assert next(p for p in r.json() if p["id"] == created["id"])["observacao"] == "mudou"
    etag = r.headers["etag"]

    # Deleted.
    client.delete(f"{API}/{created['id']}").raise_for_status()
    r = get(client, etag)
    assert r.status_code == 200 and created["id"] not in [p["id"] for p in r.json()]
    assert get(client, r.headers["etag"]).status_code == 304


def test_list_bytes_are_the_stored_documents_joined(server: ServerProcess, client: httpx.Client) -> None:
    for i in range(5):
        create(client, f"Bytes {i}", pronto=i % 2 == 0, prioridade="ALTA" if i == 3 else "NORMAL")
    cases = [
        (DEFAULT_TAB, PedidoFilter(is_pronto=False, limit=10001)),
        ({"skip": 0, "limit": 10001}, PedidoFilter(limit=10001)),
        ({"skip": 1, "limit": 2, "is_pronto": "true"}, PedidoFilter(is_pronto=True, skip=1, limit=2)),
        ({"cliente": "bytes", "limit": 3}, PedidoFilter(cliente_folded="bytes", limit=3)),
    ]
    for params, f in cases:
        body, total = stored(server, f)
        for _ in range(3):  # the first read, then answers kept by the worker: the same bytes each time
            r = get(client, **params)
            assert r.status_code == 200
            assert r.content == body and int(r.headers["x-total-count"]) == total
    empty = get(client, cliente="nobody-matches-this", limit=5)
    assert empty.content == b"[]" and empty.headers["x-total-count"] == "0"


def test_each_list_has_its_own_etag(client: httpx.Client) -> None:
    create(client, "Etag Quatro")
    tab = get(client).headers["etag"]
    page = get(client, limit=1).headers["etag"]
    assert tab != page
    # The default tab's tag does not validate another list.
    r = get(client, tab, limit=1)
    assert r.status_code == 200 and len(r.json()) == 1


def test_status_lists_revalidate_too(client: httpx.Client) -> None:
    create(client, "Etag Cinco")
    path = f"{API}/status/pendente"
    first = client.get(path, params={"limit": 50})
    assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
    again = client.get(path, params={"limit": 50}, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    create(client, "Etag Seis")
    changed = client.get(path, params={"limit": 50}, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]


def test_cors_exposes_the_etag(client: httpx.Client) -> None:
    r = client.get(f"{API}/", params={"limit": 1}, headers={"Origin": "http://tauri.localhost"})
    assert r.status_code == 200
    assert "etag" in r.headers.get("access-control-expose-headers", "").lower()
