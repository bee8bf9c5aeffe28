"""Accounts: login, tokens, roles and the auth rule of every route."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from core.passwords import verify_password
from core.tokens import issue_token, load_or_create_secret
from tests.support import ADMIN_PASSWORD, ROOT, ServerProcess, WriterProcess, app_routes, pedido, wait_until


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    proc = ServerProcess(tmp_path_factory.mktemp("auth") / "data", workers=2).start()
    yield proc
    assert proc.stop() == 0, proc.log()


def make_user(server: ServerProcess, username: str, *, is_admin: bool = False, password: str = "senha-forte-1") -> str:
    with server.client() as admin:
        r = admin.post("/api/v1/users/", json={"username": username, "password": password, "is_admin": is_admin})
        assert r.status_code == 201, r.text
    return server.login(username, password)


def test_login_json_and_form(server: ServerProcess) -> None:
    as_json = httpx.post(f"{server.base_url}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    as_form = httpx.post(f"{server.base_url}/auth/login", data={"username": "ADMIN", "password": ADMIN_PASSWORD})
    for r in (as_json, as_form):
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["access_token"] == body["session_token"] and body["token_type"] == "bearer"
        assert body["user"]["username"] == "admin" and body["user"]["is_admin"] is True
    me = httpx.get(f"{server.base_url}/auth/me", headers={"Authorization": f"Bearer {as_form.json()['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "admin"


def test_wrong_password_and_unknown_user_look_the_same(server: ServerProcess) -> None:
    wrong = httpx.post(f"{server.base_url}/auth/login", json={"username": "admin", "password": "nope-nope"})
    unknown = httpx.post(f"{server.base_url}/auth/login", json={"username": "ghost", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content
    assert wrong.json()["code"] == "invalid_credentials"


def test_repeated_failures_are_slowed_down(server: ServerProcess) -> None:
    statuses = [
        httpx.post(f"{server.base_url}/auth/login", json={"username": "brute", "password": "x" * 8}).status_code
        for _ in range(12)
    ]
    assert 429 in statuses and statuses[0] == 401


def test_expired_tampered_and_revoked_tokens_are_refused(server: ServerProcess) -> None:
    secret = load_or_create_secret(server.data_dir / "token.key")
    expired = issue_token(secret, user_id=1, username="admin", is_admin=True, ttl_seconds=60, now=time.time() - 3600)
    good = server.login("admin", ADMIN_PASSWORD)
    head, payload, sig = good.split(".")
    tampered = ".".join([head, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"), sig])
    forged = issue_token(b"x" * 32, user_id=1, username="admin", is_admin=True, ttl_seconds=600)
    for token, code in ((expired, "token_expired"), (tampered, None), (forged, "token_bad_signature")):
        r = httpx.get(f"{server.base_url}/api/v1/pedidos/", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, r.text
        if code:
            assert r.json()["code"] == code
    # Logout revokes the token on every worker (fresh connections reach both).
    assert httpx.post(f"{server.base_url}/auth/logout", headers={"Authorization": f"Bearer {good}"}).status_code == 200

    def revoked_everywhere() -> bool:
        for _ in range(10):  # fresh connections: every worker answers some
            r = httpx.get(f"{server.base_url}/api/v1/pedidos/", headers={"Authorization": f"Bearer {good}"})
            if not (r.status_code == 401 and r.json()["code"] == "token_revoked"):
                return False
        return True

    wait_until(revoked_everywhere, timeout=10, what="the logout reached every worker")


def _routes() -> list[tuple[str, str]]:
    routes = [(m, re.sub(r"\{[^}]+\}", "1", p)) for m, p in app_routes()]
    assert len(routes) > 15  # the enumeration itself works
    return routes


OPEN = {
    ("POST", "/auth/login"),
    ("GET", "/health"),
    ("GET", "/docs"),
    ("GET", "/openapi.json"),
    ("GET", "/redoc"),
    ("GET", "/docs/oauth2-redirect"),
}


@pytest.mark.parametrize(("method", "path"), [r for r in _routes() if r not in OPEN])
def test_every_route_but_login_and_health_needs_a_token(server: ServerProcess, method: str, path: str) -> None:
    r = httpx.request(method, server.base_url + path, json={})
    assert r.status_code == 401, (method, path, r.status_code, r.text)
    assert r.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("DELETE", "/api/v1/pedidos/1", None),
        ("GET", "/api/v1/users/", None),
        ("POST", "/api/v1/users/", {"username": "zz-top", "password": "senha-forte-1"}),
        ("PATCH", "/api/v1/users/1", {"setor": "x"}),
        ("DELETE", "/api/v1/users/1", None),
        ("POST", "/api/v1/pedidos/", pedido("fin", financeiro=True)),
        ("PATCH", "/api/v1/pedidos/1", {"financeiro": True}),
    ],
)
def test_admin_only_routes_refuse_normal_users(
    server: ServerProcess, method: str, path: str, body: dict | None
) -> None:
    token = getattr(server, "_normal_token", None) or make_user(server, "operador")
    server._normal_token = token  # type: ignore[attr-defined]
    with server.client() as admin:
        admin.post("/api/v1/pedidos/", json=pedido("alvo"))
    r = httpx.request(method, server.base_url + path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403, r.text


def test_normal_user_writes_pedidos_and_events_name_them(server: ServerProcess) -> None:
    token = make_user(server, "vendedor")
    r = httpx.post(
        f"{server.base_url}/api/v1/pedidos/", json=pedido("de vendedor"), headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200
    conn = sqlite3.connect(f"file:{server.data_dir / 'sgp.sqlite3'}?mode=ro", uri=True)
    payload = conn.execute("SELECT payload FROM events WHERE seq = ?", (int(r.headers["x-sgp-seq"]),)).fetchone()[0]
    assert b'"username":"vendedor"' in payload


def test_last_admin_cannot_be_deactivated_or_demoted(server: ServerProcess) -> None:
    with server.client() as admin:
        users = admin.get("/api/v1/users/").json()
        admins = [u for u in users if u["is_admin"] and u["active"]]
        for extra in admins[1:]:
            admin.delete(f"/api/v1/users/{extra['id']}")
        me = admin.get("/auth/me").json()
        for r in (
            admin.delete(f"/api/v1/users/{me['id']}"),
            admin.patch(f"/api/v1/users/{me['id']}", json={"is_admin": False}),
        ):
            assert r.status_code == 409 and r.json()["code"] == "last_admin"


def test_role_change_and_password_change_end_sessions(server: ServerProcess) -> None:
    token = make_user(server, "promovido")
    headers = {"Authorization": f"Bearer {token}"}
    me = httpx.get(f"{server.base_url}/auth/me", headers=headers).json()
    with server.client() as admin:
        assert admin.patch(f"/api/v1/users/{me['id']}", json={"is_admin": True}).status_code == 200
    assert httpx.get(f"{server.base_url}/auth/me", headers=headers).status_code == 401
    token = server.login("promovido", "senha-forte-1")
    r = httpx.post(
        f"{server.base_url}/auth/change-password",
        headers={"Authorization": f"Bearer {token}"},
        json={"old_password": "senha-forte-1", "new_password": "outra-senha-2"},
    )
    assert r.status_code == 200, r.text
    new_token = r.json()["access_token"]
    assert httpx.get(f"{server.base_url}/auth/me", headers={"Authorization": f"Bearer {new_token}"}).status_code == 200
    wrong = httpx.post(
        f"{server.base_url}/auth/change-password",
        headers={"Authorization": f"Bearer {new_token}"},
        json={"old_password": "errada-123", "new_password": "mais-uma-3"},
    )
    assert wrong.status_code == 400 and wrong.json()["field"] == "old_password"


def test_password_is_stored_hashed(server: ServerProcess) -> None:
    conn = sqlite3.connect(f"file:{server.data_dir / 'sgp.sqlite3'}?mode=ro", uri=True)
    stored = conn.execute("SELECT password_hash FROM users WHERE username_key = 'admin'").fetchone()[0]
    assert ADMIN_PASSWORD not in stored and stored.startswith("$argon2id$")
    assert verify_password(ADMIN_PASSWORD, stored)


def test_first_start_without_admin_password_writes_a_private_file(tmp_path: Path) -> None:
    proc = WriterProcess(tmp_path / "data").start()
    proc.stop()
    secret_file = proc.settings.admin_password_file
    password = secret_file.read_text().strip()
    if os.name != "nt":
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    conn = sqlite3.connect(proc.settings.db_path)
    stored = conn.execute("SELECT password_hash, is_admin FROM users WHERE username = 'admin'").fetchone()
    assert stored[1] == 1 and verify_password(password, stored[0])


def test_create_user_command_works_with_and_without_a_server(server: ServerProcess, tmp_path: Path) -> None:
    def cli(data_dir: Path, *args: str, password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                str(ROOT / "run_server.py"),
                "create-user",
                *args,
                "--password-stdin",
                "--data-dir",
                str(data_dir),
            ],
            input=password + "\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )

    live = cli(server.data_dir, "gerente", "--admin", password="gerente-senha-1")
    assert live.returncode == 0, live.stderr
    assert server.login("gerente", "gerente-senha-1")
    offline_dir = tmp_path / "offline"
    assert cli(offline_dir, "caixa", password="caixa-senha-1").returncode == 0
    reset = cli(offline_dir, "caixa", password="caixa-senha-2")
    assert reset.returncode == 0
    conn = sqlite3.connect(offline_dir / "sgp.sqlite3")
    assert verify_password("caixa-senha-2", conn.execute("SELECT password_hash FROM users").fetchone()[0])
