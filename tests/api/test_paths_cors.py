"""Routes at the root and under /api/v1, both slash forms, and CORS for the desktop app's origins."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support import ServerProcess, app_routes, pedido

TAURI = "http://tauri.localhost"
# What the desktop client's webview asks in a preflight (CLIENT_CONTRACT.md 0.3, 0.4).
CLIENT_HEADERS = "authorization,content-type,ngrok-skip-browser-warning,x-silent-request"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        tmp_path_factory.mktemp("paths") / "data", workers=1, env={"SGP_CORS_ORIGINS": "https://sgp.example.com/"}
    ).start()
    yield proc
    assert proc.stop() == 0, proc.log()


def test_every_route_is_at_the_root_and_under_api_v1() -> None:
    every = set(app_routes(aliases=True))
    root = {(m, p) for m, p in every if not p.startswith("/api/v1/")}
    aliased = {(m, p.removeprefix("/api/v1")) for m, p in every if p.startswith("/api/v1/")}
    docs = {("GET", "/docs"), ("GET", "/docs/oauth2-redirect"), ("GET", "/openapi.json"), ("GET", "/redoc")}
    assert aliased == root - docs
    assert ("POST", "/pedidos") in root and ("POST", "/auth/login") in root


def test_both_prefixes_are_in_the_openapi(server: ServerProcess) -> None:
    paths = httpx.get(f"{server.base_url}/openapi.json").json()["paths"]
    assert "/pedidos" in paths and "/api/v1/pedidos" in paths
    assert "/pedidos/{pedido_id}" in paths and "/api/v1/pedidos/{pedido_id}" in paths


@pytest.mark.parametrize("prefix", ["", "/api/v1"])
@pytest.mark.parametrize("slash", ["", "/"])
def test_both_slash_forms_answer_directly(server: ServerProcess, prefix: str, slash: str) -> None:
    with server.client() as http:
        created = http.post(f"{prefix}/pedidos{slash}", json=pedido("Barra"), follow_redirects=False)
        assert created.status_code == 200, created.text
        listed = http.get(f"{prefix}/pedidos{slash}", params={"limit": 5}, follow_redirects=False)
        assert listed.status_code == 200 and isinstance(listed.json(), list)
        users = http.get(f"{prefix}/users{slash}", follow_redirects=False)
        assert users.status_code == 200, users.text


@pytest.mark.parametrize("origin", [TAURI, "tauri://localhost", "https://tauri.localhost", "https://sgp.example.com"])
@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/auth/login"), ("PUT", "/pedidos/1"), ("GET", "/vendedores/ativos")]
)
def test_preflight_of_the_desktop_app_is_allowed(server: ServerProcess, origin: str, method: str, path: str) -> None:
    r = httpx.options(
        server.base_url + path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": CLIENT_HEADERS,
        },
    )
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == origin
    assert r.headers["access-control-allow-credentials"] == "true"
    assert method in r.headers["access-control-allow-methods"]
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert set(CLIENT_HEADERS.split(",")) <= allowed
    assert int(r.headers["access-control-max-age"]) >= 600


def test_actual_request_carries_the_origin_and_exposed_headers(server: ServerProcess) -> None:
    r = httpx.get(f"{server.base_url}/pedidos/", headers={"Origin": TAURI, **server.headers})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == TAURI
    assert "x-total-count" in r.headers["access-control-expose-headers"].lower()


def test_an_unlisted_origin_gets_no_cors_grant(server: ServerProcess) -> None:
    r = httpx.options(
        f"{server.base_url}/pedidos/",
        headers={"Origin": "https://evil.example.net", "Access-Control-Request-Method": "GET"},
    )
    assert r.status_code == 400
    assert "access-control-allow-origin" not in r.headers
    plain = httpx.get(f"{server.base_url}/health", headers={"Origin": "https://evil.example.net"})
    assert "access-control-allow-origin" not in plain.headers
