"""api/hot.py: the hot pedido routes answer exactly what the FastAPI routes answer, errors included.

Every request is sent twice: in its plain form, which `HotRoutes` takes once a
worker has learned the route, and with an extra unknown query parameter, which
`HotRoutes` declines and FastAPI answers (FastAPI ignores unknown parameters, so
the meaning is the same). The answers must be equal in status, body and every
header but the per-request ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.hot import match
from tests.support import ServerProcess, pedido

API = "/api/v1/pedidos"
# Differ per request whatever the route: the date, the request id, the event sequence number.
_VOLATILE = {"date", "x-request-id", "x-sgp-seq"}
# Differ per created pedido.
_VOLATILE_FIELDS = {"id", "numero", "data_criacao", "ultima_atualizacao"}


def _with_extra(path: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}fastapi_route=1"


def _shape(response: httpx.Response, drop_fields: bool = False) -> tuple[int, dict[str, str], Any]:
    headers = {k: v for k, v in response.headers.items() if k not in _VOLATILE}
    body: Any = response.content
    if drop_fields:
        doc = json.loads(body)
        body = {k: v for k, v in doc.items() if k not in _VOLATILE_FIELDS}
        headers.pop("content-length")  # the numero and id lengths may differ
    return response.status_code, headers, body


@pytest.fixture(scope="module")
def clients(server: ServerProcess) -> Iterator[list[httpx.Client]]:
    """Several connections, so both workers serve (and learn) every route."""
    opened = [server.client() for _ in range(4)]
    yield opened
    for c in opened:
        c.close()


def _both(
    clients: list[httpx.Client], method: str, path: str, drop_fields: bool = False, **kwargs: Any
) -> list[tuple[int, dict[str, str], Any]]:
    """The answer of each form, on every connection, after a first request that lets the worker learn the route."""
    shapes = []
    for c in clients:
        c.request(method, path, **kwargs)
        for form in (path, _with_extra(path)):
            shapes.append(_shape(c.request(method, form, **kwargs), drop_fields))
    return shapes


def _all_equal(shapes: list[tuple[int, dict[str, str], Any]]) -> None:
    assert all(shape == shapes[0] for shape in shapes), shapes


def test_get_and_list_are_byte_identical(clients: list[httpx.Client]) -> None:
    created = clients[0].post(f"{API}/", json=pedido("Hot Um")).json()
    clients[0].post(f"{API}/", json=pedido("Hot Dois"))
    for path in (f"{API}/{created['id']}", f"/pedidos/{created['id']}"):
        shapes = _both(clients, "GET", path)
        assert shapes[0][0] == 200 and shapes[0][1]["etag"]
        _all_equal(shapes)
    for query in ("", "?limit=1", "?skip=1&limit=5&is_pronto=false", "?status=pendente&date_mode=entrega"):
        shapes = _both(clients, "GET", f"{API}{query}")
        assert shapes[0][0] == 200 and "x-total-count" in shapes[0][1]
        _all_equal(shapes)
    # The trailing-slash form the desktop client sends, and the gzip list answer.
    _all_equal(_both(clients, "GET", f"{API}/?limit=2", headers={"Accept-Encoding": "gzip"}))


def test_create_and_patch_answer_like_fastapi(clients: list[httpx.Client]) -> None:
    shapes = _both(clients, "POST", f"{API}/", drop_fields=True, json=pedido("Hot Create"))
    assert shapes[0][0] == 200
    _all_equal(shapes)
    patched = []
    for c in clients:
        target = c.post(f"{API}/", json=pedido("Hot Patch")).json()["id"]
        other = c.post(f"{API}/", json=pedido("Hot Patch")).json()["id"]
        c.patch(f"{API}/{target}", json={"observacao": "aquece"})
        c.patch(f"{API}/{other}", json={"observacao": "aquece"})
        body = {"status": "em_producao", "observacao": "quente"}
        patched.append(_shape(c.patch(f"{API}/{target}", json=body, headers={"If-Match": '"2"'}), True))
        patched.append(_shape(c.patch(_with_extra(f"{API}/{other}"), json=body, headers={"If-Match": '"2"'}), True))
    assert patched[0][0] == 200 and patched[0][2]["status"] == "em_producao"
    _all_equal(patched)


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", f"{API}/999999", {}),  # 404
        ("PATCH", f"{API}/999999", {"json": {"observacao": "x"}}),  # 404 from the writer
        ("POST", f"{API}/", {"json": {"cliente": ""}}),  # 422 naming the field
        ("POST", f"{API}/", {"content": b"{not json"}),  # 400
        ("PATCH", f"{API}/1", {"json": {"prioridade": 5}}),  # 422
        ("PATCH", f"{API}/1", {"json": {"observacao": "x"}, "headers": {"If-Match": "abc"}}),  # 400 If-Match
        ("PATCH", f"{API}/1", {"json": {"observacao": "x"}, "headers": {"If-Match": '"999"'}}),  # 412
        ("GET", f"{API}?limit=999999999", {}),  # 422 over SGP_MAX_PEDIDOS_PAGE
        ("GET", f"{API}?status=nenhum", {}),  # 422 status
        ("GET", f"{API}?data_inicio=ontem", {}),  # 400 date
    ],
)
def test_errors_are_byte_identical(clients: list[httpx.Client], method: str, path: str, kwargs: Any) -> None:
    clients[0].post(f"{API}/", json=pedido("Hot Erros"))  # pedido 1 exists
    shapes = _both(clients, method, path, **kwargs)
    assert 400 <= shapes[0][0] < 500, shapes[0]
    _all_equal(shapes)


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_unauthenticated_is_the_fastapi_401(server: ServerProcess, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as anon:
        for method, path, body in (("GET", f"{API}", None), ("GET", f"{API}/1", None), ("POST", f"{API}/", {})):
            shapes = [_shape(anon.request(method, p, json=body)) for _ in range(3) for p in (path, _with_extra(path))]
            assert shapes[0][0] == 401 and shapes[0][1]["www-authenticate"] == "Bearer"
            _all_equal(shapes)


def test_openapi_still_documents_the_hot_routes(clients: list[httpx.Client]) -> None:
    paths = clients[0].get("/openapi.json").json()["paths"]
    for prefix in ("", "/api/v1"):
        assert {"get", "post"} <= set(paths[f"{prefix}/pedidos"])
        assert {"get", "patch", "delete"} <= set(paths[f"{prefix}/pedidos/{{pedido_id}}"])
        assert "requestBody" in paths[f"{prefix}/pedidos"]["post"]


@pytest.mark.parametrize(
    ("method", "path", "query", "expected"),
    [
        ("POST", "/pedidos", b"", ("create", None, {})),
        ("POST", "/api/v1/pedidos", b"", ("create", None, {})),
        ("GET", "/pedidos", b"", ("list", None, {})),
        ("GET", "/pedidos", b"limit=10001&is_pronto=false&skip=0", ("list", None, {"limit": 10001, "is_pronto": False, "skip": 0})),
        ("GET", "/pedidos", b"cliente=Jos%C3%A9", ("list", None, {"cliente": "José"})),
        ("GET", "/api/v1/pedidos/12", b"", ("get", 12, {})),
        ("PATCH", "/pedidos/007", b"", ("patch", 7, {})),
    ],
)  # fmt: skip
def test_match_takes_the_plain_forms(method: str, path: str, query: bytes, expected: Any) -> None:
    assert match(method, path, query) == expected


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("GET", "/pedidos", b"limit=0"),  # FastAPI's 422
        ("GET", "/pedidos", b"limit=5&limit=6"),  # repeated
        ("GET", "/pedidos", b"is_pronto=1"),  # pydantic's lax bool: FastAPI decides
        ("GET", "/pedidos", b"status="),  # empty
        ("GET", "/pedidos", b"skip=10000001"),  # over the route's le
        ("GET", "/pedidos", b"cliente=" + b"x" * 201),  # over max_length
        ("GET", "/pedidos", b"other=1"),  # unknown
        ("POST", "/pedidos", b"x=1"),
        ("GET", "/pedidos/0", b""),  # ge=1
        ("GET", "/pedidos/1.0", b""),
        ("GET", "/pedidos/summary", b""),
        ("GET", "/pedidos/1/json", b""),
        ("GET", "/pedidos/1", b"x=1"),
        ("DELETE", "/pedidos/1", b""),
        ("PUT", "/pedidos", b""),
        ("GET", "/pedidosx", b""),
        ("GET", "/api/v1/pedidos/" + "9" * 20, b""),
        ("GET", "/pedidos/²", b""),
    ],
)
def test_match_declines_everything_else(method: str, path: str, query: bytes) -> None:
    assert match(method, path, query) is None


def test_every_route_signature_matches_the_calls() -> None:
    # A route whose parameters change is left to FastAPI (a warning), never called wrongly.
    from api import hot

    assert all(hot._USABLE.values()), hot._USABLE
