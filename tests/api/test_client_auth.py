"""The desktop client's health, login, logout, change-password and users calls, exactly as it sends them.

Each call is preceded by the CORS preflight its webview makes (Origin http://tauri.localhost,
the client's custom headers), and every field the client reads is checked
(/work/shared/contract/resources.md: Health, Auth, Users; CLIENT_CONTRACT.md 0.3-0.7).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import ADMIN_PASSWORD, ServerProcess, run

TAURI = "http://tauri.localhost"
# Sent on every axios call (client.ts:30); X-Silent-Request on login and logout (auth.ts:16-20,32-36).
BASE_HEADERS = {"Origin": TAURI, "ngrok-skip-browser-warning": "any"}
SILENT = {"X-Silent-Request": "true"}
USER_FIELDS = {"id", "username", "is_admin", "is_active", "setor", "password_plain", "created_at"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("client-auth") / "data", workers=2).start()
    yield proc
    assert proc.stop() == 0, proc.log()


def call(
    server: ServerProcess,
    method: str,
    path: str,
    *,
    token: str | None = None,
    json: Any = None,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """The webview's preflight, then the request itself with the client's headers; checks CORS on both."""
    sent = {**BASE_HEADERS, **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    if json is not None:
        sent["Content-Type"] = "application/json"
    asked = sorted(h.lower() for h in sent if h.lower() not in ("origin", "accept"))
    preflight = httpx.options(
        server.base_url + path,
        headers={
            "Origin": TAURI,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": ",".join(asked),
        },
        timeout=10,
    )
    assert preflight.status_code == 200, (method, path, preflight.text)
    assert preflight.headers["access-control-allow-origin"] == TAURI
    assert method in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert all(h in allowed for h in asked), (asked, allowed)
    r = httpx.request(method, server.base_url + path, json=json, headers=sent, timeout=30, **kwargs)
    assert r.headers.get("access-control-allow-origin") == TAURI, (method, path, r.headers)
    return r


def login(server: ServerProcess, username: str, password: str) -> httpx.Response:
    """The client's login call (auth.ts:16)."""
    return call(server, "POST", "/auth/login", json={"username": username, "password": password}, headers=SILENT)


def assert_client_accepts_login(body: dict[str, Any], username: str, *, is_admin: bool, setor: str) -> None:
    """Login.tsx:47: success, and non-empty user_id, username and session_token at the top level."""
    assert body["success"] is True
    assert isinstance(body["user_id"], int) and body["user_id"] != 0
    assert body["username"] == username
    assert isinstance(body["session_token"], str) and body["session_token"]
    assert body["is_admin"] is is_admin and body["setor"] == setor
    assert isinstance(body["message"], str) and body["message"]
    # Ours, kept: the same token, its lifetime, the user.
    assert body["access_token"] == body["session_token"] and body["token_type"] == "bearer"
    assert body["user"]["id"] == body["user_id"]


def create_user(
    server: ServerProcess, admin: str, username: str, password: str = "senha-forte-1", **fields: Any
) -> dict:
    """The admin page's create (GestaoUsuarios.tsx:212 -> resources.ts:367)."""
    body = {
        "username": username,
        "password": password,
        "is_admin": False,
        "is_active": True,
        "setor": "geral",
        **fields,
    }
    r = call(server, "POST", "/users", token=admin, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_health_answers_the_old_servers_body(server: ServerProcess) -> None:
    r = call(server, "GET", "/health", headers={"Accept": "application/json"})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["checks"] == {"api": "ok", "database": "ok", "writer": "ok"}
    assert isinstance(body["version"], str) and body["version"]
    assert "T" in body["timestamp"] and not body["timestamp"].endswith("Z")  # naive ISO, read as UTC
    assert body["worker"] > 0 and body["writer_connected"] is True


def test_login_answers_the_flat_fields_the_client_reads(server: ServerProcess) -> None:
    r = login(server, "admin", ADMIN_PASSWORD)
    assert r.status_code == 200, r.text
    body = r.json()
    assert_client_accepts_login(body, "admin", is_admin=True, setor="geral")
    assert body["expires_in"] == 8 * 24 * 3600  # the old server's lifetime: the client never refreshes
    # The token works as the client sends it (Bearer on REST).
    assert call(server, "GET", "/users", token=body["session_token"]).status_code == 200


def test_login_errors_keep_detail_a_string(server: ServerProcess) -> None:
    wrong = login(server, "admin", "not-the-password")
    missing = call(server, "POST", "/auth/login", json={"username": "admin"}, headers=SILENT)
    assert wrong.status_code == 401 and wrong.json()["detail"] == "Usuário ou senha inválidos."
    assert missing.status_code == 422 and isinstance(missing.json()["detail"], str)
    assert missing.json()["field"] == "password"


def test_form_login_still_works(server: ServerProcess) -> None:
    r = httpx.post(f"{server.base_url}/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 200 and r.json()["success"] is True


@pytest.mark.parametrize("kind", ["json", "form"])
def test_login_body_is_capped_before_parsing(server: ServerProcess, kind: str) -> None:
    big = "x" * 5000
    if kind == "json":
        r = httpx.post(f"{server.base_url}/auth/login", json={"username": "admin", "password": big})
    else:
        r = httpx.post(f"{server.base_url}/auth/login", data={"username": "admin", "password": big})
    assert r.status_code == 413 and r.json()["code"] == "body_too_large"


def test_inactive_user_gets_403_only_after_the_right_password(server: ServerProcess) -> None:
    admin = server.login("admin", ADMIN_PASSWORD)
    user = create_user(server, admin, "inativo", is_active=False)
    assert user["is_active"] is False
    right = login(server, "inativo", "senha-forte-1")
    assert right.status_code == 403 and right.json()["detail"] == "Usuário inativo"
    wrong = login(server, "inativo", "senha-errada-1")
    unknown = login(server, "ninguem-aqui", "senha-errada-1")
    assert wrong.status_code == unknown.status_code == 401 and wrong.content == unknown.content


def test_concurrent_burst_checks_at_most_the_limit_of_passwords(server: ServerProcess) -> None:
    async def burst() -> list[int]:
        # Fresh connections, so the burst spreads over both workers.
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60, limits=limits) as client:
            responses = await asyncio.gather(
                *(
                    client.post("/auth/login", json={"username": "alvo-da-rajada", "password": f"chute-{i:04d}"})
                    for i in range(40)
                )
            )
        return [r.status_code for r in responses]

    statuses = run(burst())
    assert set(statuses) <= {401, 429}
    # Counted when each attempt starts and split over the workers: never more than
    # SGP_LOGIN_MAX_FAILURES (5) passwords checked, however the burst lands.
    assert statuses.count(401) <= 5, statuses
    assert statuses.count(429) >= 35


def test_change_password_with_the_clients_field_names(server: ServerProcess) -> None:
    admin = server.login("admin", ADMIN_PASSWORD)
    create_user(server, admin, "trocadora")
    token = login(server, "trocadora", "senha-forte-1").json()["session_token"]
    wrong = call(
        server,
        "POST",
        "/auth/change-password",
        token=token,
        json={"current_password": "nao-e-esta", "new_password": "nova-senha-22"},
    )
    assert wrong.status_code == 400 and wrong.json()["detail"] == "Senha atual incorreta"
    r = call(
        server,
        "POST",
        "/auth/change-password",
        token=token,
        json={"current_password": "senha-forte-1", "new_password": "nova-senha-22"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["success"] is True and r.json()["message"] == "Senha alterada com sucesso"
    # Every earlier session of the user ends at once, on every worker (fresh connections reach both).
    for _ in range(6):
        assert call(server, "GET", "/auth/me", token=token).status_code == 401
    assert login(server, "trocadora", "nova-senha-22").status_code == 200
    assert login(server, "trocadora", "senha-forte-1").status_code == 401


def test_logout_as_the_client_sends_it(server: ServerProcess) -> None:
    token = login(server, "admin", ADMIN_PASSWORD).json()["session_token"]
    r = call(server, "POST", "/auth/logout", token=token, headers=SILENT)  # no body (null)
    assert r.status_code == 200 and r.json()["success"] is True
    for _ in range(6):
        refused = call(server, "GET", "/auth/me", token=token)
        assert refused.status_code == 401 and refused.json()["code"] == "token_revoked"


def test_users_admin_page_list_create_update_delete(server: ServerProcess) -> None:
    admin = server.login("admin", ADMIN_PASSWORD)
    created = create_user(server, admin, "Maria Silva", setor="costura")
    assert set(created) >= USER_FIELDS
    assert created["username"] == "Maria Silva" and created["setor"] == "costura"
    assert created["is_active"] is True and created["is_admin"] is False and created["password_plain"] is None
    assert created["created_at"].endswith("Z")

    listed = call(server, "GET", "/users", token=admin)
    assert listed.status_code == 200
    row = next(u for u in listed.json() if u["id"] == created["id"])
    assert set(row) >= USER_FIELDS and row["setor"] == "costura"

    taken = call(
        server,
        "POST",
        "/users",
        token=admin,
        json={
            "username": "maria silva",
            "password": "senha-forte-1",
            "is_admin": False,
            "is_active": True,
            "setor": "geral",
        },
    )
    assert taken.status_code in (400, 409) and isinstance(taken.json()["detail"], str)

    # GestaoUsuarios.tsx:194: the whole form, password only when typed, is_active always true.
    patched = call(
        server,
        "PATCH",
        f"/users/{created['id']}",
        token=admin,
        json={"username": "Maria S.", "is_admin": True, "is_active": True, "setor": "financeiro"},
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["username"], patched.json()["is_admin"], patched.json()["setor"]) == (
        "Maria S.",
        True,
        "financeiro",
    )
    with_password = call(
        server,
        "PATCH",
        f"/users/{created['id']}",
        token=admin,
        json={
            "username": "Maria S.",
            "password": "outra-senha-3",
            "is_admin": True,
            "is_active": True,
            "setor": "financeiro",
        },
    )
    assert with_password.status_code == 200
    assert login(server, "Maria S.", "outra-senha-3").status_code == 200
    no_setor = call(server, "PATCH", f"/users/{created['id']}", token=admin, json={"setor": None})
    assert no_setor.status_code == 200 and no_setor.json()["setor"] == "geral"  # the client's default

    deleted = call(server, "DELETE", f"/users/{created['id']}", token=admin)
    assert deleted.status_code == 204 and deleted.content == b""
    assert all(u["id"] != created["id"] for u in call(server, "GET", "/users", token=admin).json())
    assert login(server, "Maria S.", "outra-senha-3").status_code == 401
    assert call(server, "DELETE", f"/users/{created['id']}", token=admin).status_code == 404
    again = create_user(server, admin, "Maria S.")  # the name is free again
    assert again["id"] != created["id"]


def test_deactivation_ends_sessions_and_the_last_admin_stays(server: ServerProcess) -> None:
    admin = server.login("admin", ADMIN_PASSWORD)
    user = create_user(server, admin, "temporario")
    token = login(server, "temporario", "senha-forte-1").json()["session_token"]
    assert call(server, "GET", "/auth/me", token=token).status_code == 200
    r = call(server, "PATCH", f"/users/{user['id']}", token=admin, json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    for _ in range(6):
        refused = call(server, "GET", "/auth/me", token=token)
        assert refused.status_code == 401 and refused.json()["code"] == "user_inactive"
    assert login(server, "temporario", "senha-forte-1").status_code == 403
    me = call(server, "GET", "/auth/me", token=admin).json()
    others = [
        u
        for u in call(server, "GET", "/users", token=admin).json()
        if u["is_admin"] and u["is_active"] and u["id"] != me["id"]
    ]
    for other in others:
        assert call(server, "DELETE", f"/users/{other['id']}", token=admin).status_code == 204
    for r in (
        call(server, "DELETE", f"/users/{me['id']}", token=admin),
        call(server, "PATCH", f"/users/{me['id']}", token=admin, json={"is_active": False}),
    ):
        assert r.status_code == 409 and r.json()["code"] == "last_admin"


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kills the writer with SIGKILL")
def test_health_stays_below_500_while_the_writer_restarts(server: ServerProcess) -> None:
    """The client drops to its "server down" screen on >= 500 from /health: never while we are alive."""
    os.kill(server.writer_pid(), signal.SIGKILL)
    seen: set[str] = set()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        r = httpx.get(f"{server.base_url}/health", headers={"Accept": "application/json"}, timeout=10)
        assert r.status_code < 500, r.text
        seen.add(r.json()["checks"]["writer"])
        if "ok" in seen and len(seen) > 1:
            break
        time.sleep(0.02)
    assert httpx.get(f"{server.base_url}/health", timeout=10).json()["status"] in ("ok", "degraded")
