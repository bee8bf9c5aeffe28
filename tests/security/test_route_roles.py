"""The auth rule of every route, enumerated from the app: anonymous, ops token, user and admin.

One server with `SGP_OPEN_READS=true` and an `SGP_OPS_TOKEN`, so the same run
checks that open reads open only reads and that the ops token opens only the
ops endpoints. (tests/api/test_auth.py checks the default: 401 without a token.)
A new route fails `test_every_route_has_a_rule` until it is given one below.
"""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import ADMIN_PASSWORD, ServerProcess, pedido
from tests.support import app_routes as _app_routes


def app_routes() -> list[tuple[str, str]]:
    """The app's routes with paths in their OpenAPI form: `{pedido_id:int}` is written `{pedido_id}` here."""
    return [(method, re.sub(r"\{(\w+):int\}", r"{\1}", path)) for method, path in _app_routes()]


OPEN, READ, USER, ADMIN, OPS = "open", "read", "user", "admin", "ops"
OPS_TOKEN = "ops-token-for-monitoring-0123456789abcdef"

RULES: dict[tuple[str, str], str] = {
    ("GET", "/docs"): OPEN,
    ("GET", "/docs/oauth2-redirect"): OPEN,
    ("GET", "/openapi.json"): OPEN,
    ("GET", "/redoc"): OPEN,
    ("GET", "/health"): OPEN,
    ("POST", "/auth/login"): OPEN,
    ("GET", "/auth/me"): USER,
    ("POST", "/auth/logout"): USER,
    ("POST", "/auth/change-password"): USER,
    ("GET", "/health/writer"): OPS,
    ("GET", "/metrics"): OPS,
    ("GET", "/pedidos"): READ,
    ("GET", "/pedidos/summary"): READ,
    ("GET", "/pedidos/status/{status}"): READ,
    ("GET", "/pedidos/{pedido_id}"): READ,
    ("GET", "/pedidos/{pedido_id}/json"): READ,
    ("GET", "/pedidos/imagens/{imagem_id}"): READ,
    ("POST", "/pedidos"): USER,
    ("PATCH", "/pedidos/{pedido_id}"): USER,
    ("POST", "/pedidos/batch-status"): USER,
    ("POST", "/pedidos/order-items/upload-image"): USER,
    ("DELETE", "/pedidos/{pedido_id}"): ADMIN,
    ("GET", "/pedidos/total"): READ,
    ("GET", "/pedidos/rascunhos"): READ,
    ("GET", "/pedidos/media/{file_path:path}"): READ,
    ("POST", "/pedidos/rascunho"): USER,
    ("POST", "/pedidos/{pedido_id}/promover"): USER,
    ("PATCH", "/pedidos/pedido-itens/{item_id}"): USER,
    # Old server: DELETE /pedidos/all was unreachable, reset-ids absent; both erase history, so admin only.
    ("DELETE", "/pedidos/all"): ADMIN,
    ("POST", "/pedidos/reset-ids"): ADMIN,
    ("GET", "/fichas"): READ,
    ("GET", "/fichas/{ficha_id}"): READ,
    ("GET", "/fichas/imagens/{ficha_id}"): READ,
    ("POST", "/fichas"): USER,
    ("PATCH", "/fichas/{ficha_id}"): USER,
    ("DELETE", "/fichas/{ficha_id}"): ADMIN,
    ("GET", "/users"): ADMIN,
    ("POST", "/users"): ADMIN,
    ("PATCH", "/users/{user_id}"): ADMIN,
    ("DELETE", "/users/{user_id}"): ADMIN,
    ("POST", "/admin/backup"): ADMIN,
    # reports branch: art panel, materiais stats, print logs, reports, templates, notificações, safira
    ("GET", "/designers/{nome}/itens"): READ,
    ("PATCH", "/designers/itens/{item_id}/status-arte"): USER,
    ("POST", "/designers/itens/{item_id}/comentarios"): USER,
    ("GET", "/materiais/stats"): READ,
    ("GET", "/materiais/stats/evolucao"): READ,
    ("GET", "/print-logs"): READ,
    ("GET", "/print-logs/printers/{printer_id}"): READ,
    ("GET", "/print-logs/stats/{printer_id}"): READ,
    ("POST", "/print-logs"): USER,
    ("GET", "/relatorios/templates"): READ,
    ("PUT", "/relatorios/templates"): ADMIN,
    ("GET", "/relatorios/fechamentos/statistics"): READ,
    ("GET", "/relatorios/fechamentos/trends"): READ,
    ("GET", "/relatorios/fechamentos/rankings/{category}"): READ,
    ("GET", "/relatorios-fechamentos/pedidos/relatorio-semanal"): READ,
    ("GET", "/relatorios-fechamentos/pedidos/relatorio"): READ,
    ("GET", "/fichas/templates"): READ,
    ("PUT", "/fichas/templates"): ADMIN,
    ("PUT", "/fichas/templates/html"): ADMIN,
    ("GET", "/fichas/templates/html"): ADMIN,
    ("GET", "/fichas/templates/html/{template_type}"): ADMIN,
    ("GET", "/fichas/templates/html/{template_type}/content"): READ,
    ("GET", "/api/notificacoes/designer"): USER,
    ("PATCH", "/api/notificacoes/{notification_id}/read"): USER,
    ("PATCH", "/api/notificacoes/read-all"): USER,
    ("GET", "/api/notificacoes/ultimos"): READ,
    ("POST", "/safira/ask"): USER,
    ("GET", "/reposicoes"): USER,
    ("POST", "/reposicoes"): USER,
    ("GET", "/reposicoes/{reposicao_id}"): USER,
    ("PATCH", "/reposicoes/{reposicao_id}"): USER,
    ("DELETE", "/reposicoes/{reposicao_id}"): USER,
}
# Catalogs (core/catalogs.py): reads like pedidos, every write any user (the old server left them open).
CATALOGS = ("clientes", "vendedores", "designers", "materiais", "maquinas", "producoes", "tipos-envios",
            "tipos-pagamentos")  # fmt: skip
for _name in CATALOGS:
    RULES.update({
        ("GET", f"/{_name}"): READ,
        ("POST", f"/{_name}"): USER,
        ("GET", f"/{_name}/{{record_id}}"): READ,
        ("PATCH", f"/{_name}/{{record_id}}"): USER,
        ("DELETE", f"/{_name}/{{record_id}}"): USER,
    })  # fmt: skip
    if _name != "clientes":
        RULES[("GET", f"/{_name}/ativos")] = READ
RULES[("GET", "/maquinas/dashboard/overview")] = READ
# A valid create body per catalog (the client's shape), made unique per call.
CATALOG_BODIES: dict[str, Any] = {
    "clientes": lambda n: {"nome": f"Cliente {n}"},
    "vendedores": lambda n: {"nome": f"Vendedor {n}", "comissao_percentual": 1},
    "designers": lambda n: {"nome": f"Designer {n}"},
    "materiais": lambda n: {"nome": f"Material {n}", "tipo": "tecido"},
    "maquinas": lambda n: {"name": f"Maquina {n}", "active": True},
    "producoes": lambda n: {"name": f"producao {n}", "description": None, "active": True},
    "tipos-envios": lambda n: {"nome": f"Envio {n}", "valor": 0, "prazo_dias": 1},
    "tipos-pagamentos": lambda n: {"nome": f"Pagamento {n}", "parcelas_max": 1},
}

# A 1x1 PNG, for the upload route.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
_unique = itertools.count()


class World:
    """The server, a normal user, and fresh targets for requests that consume them."""

    def __init__(self, server: ServerProcess, tmp: Path) -> None:
        self.server = server
        self.tmp = tmp
        self.admin = server.client()
        r = self.admin.post("/users", json={"username": "balconista", "password": "senha-forte-1"})
        assert r.status_code == 201, r.text
        self._user_token = self.server.login("balconista", "senha-forte-1")

    def user_token(self, fresh: bool = False) -> str:
        """The normal user's token; a fresh one for a request that ends its session."""
        return self.server.login("balconista", "senha-forte-1") if fresh else self._user_token

    def pedido_id(self) -> int:
        r = self.admin.post("/pedidos", json=pedido("Alvo da matriz", items=[{"tipo_producao": "lona"}]))
        assert r.status_code == 200, r.text
        return r.json()["id"]

    def ficha_id(self) -> int:
        r = self.admin.post("/fichas", json={"nome": f"Ficha {next(_unique)}"})
        assert r.status_code in (200, 201), r.text
        return r.json()["id"]

    def reposicao_id(self) -> int:
        r = self.admin.post("/reposicoes", json={"order_id": self.pedido_id(), "motivo": "Matriz"})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def user_id(self) -> int:
        r = self.admin.post("/users", json={"username": f"alvo{next(_unique)}", "password": "senha-forte-1"})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def record_id(self, family: str) -> int:
        r = self.admin.post(f"/{family}", json=CATALOG_BODIES[family](next(_unique)))
        assert r.status_code in (200, 201), r.text
        return r.json()["id"]

    def draft_id(self) -> int:
        r = self.admin.post("/pedidos/rascunho", json={"cliente": "Rascunho da matriz", "data_entrada": "2026-11-29"})
        assert r.status_code == 200, r.text
        return r.json()["id"]

    def request(self, method: str, template: str) -> tuple[str, dict[str, Any]]:
        """A well-formed request for the route: real ids, a valid body (what a permitted caller would send)."""
        path = template
        family = template.strip("/").split("/")[0]
        # /designers/itens/{item_id}/... are the art panel's item routes, not the designers catalog.
        if family in CATALOG_BODIES and "dashboard" not in template and "/itens/" not in template:
            path = path.replace("{record_id}", str(self.record_id(family)))
            if method == "POST":
                return path, {"json": CATALOG_BODIES[family](next(_unique))}
            if method == "PATCH":
                return path, {
                    "json": {"clientes": {"cidade": "Serra"}}.get(family, {"observacao": "matriz"})
                    if family not in ("maquinas", "producoes")
                    else {"active": True}
                }
            return path, {}
        item_pedido = self.pedido_id() if "{item_id}" in path else None
        if item_pedido is not None:
            path = path.replace("{item_id}", str(item_pedido * 1000))
        if template == "/pedidos/{pedido_id}/promover":
            path = path.replace("{pedido_id}", str(self.draft_id()))
        if "{pedido_id}" in path:
            path = path.replace("{pedido_id}", str(self.pedido_id()))
        if "{ficha_id}" in path:
            path = path.replace("{ficha_id}", str(self.ficha_id()))
        if "{user_id}" in path:
            path = path.replace("{user_id}", str(self.user_id()))
        path = path.replace("{status}", "pendente").replace("{imagem_id}", "0" * 64)
        path = path.replace("{file_path:path}", f"pedidos/1/{'0' * 64}.jpg")
        if "{item_id}" in path:
            path = path.replace("{item_id}", str(self.pedido_id() * 1000))
        path = path.replace("{nome}", "Ana").replace("{printer_id}", "0").replace("{category}", "vendedor")
        path = path.replace("{template_type}", "geral").replace("{notification_id}", "nao-existe")
        if "{reposicao_id}" in path:
            path = path.replace("{reposicao_id}", str(self.reposicao_id()))
        if template.startswith("/relatorios-fechamentos/"):
            path += "?start_date=2026-11-01&end_date=2026-11-30"
        kwargs: dict[str, Any] = {}
        match method, template:
            case "POST", "/auth/login":
                kwargs["json"] = {"username": "admin", "password": ADMIN_PASSWORD}
            case "POST", "/auth/change-password":
                kwargs["json"] = {"old_password": "not-the-password", "new_password": "uma-senha-nova-1"}
            case "POST", "/pedidos":
                kwargs["json"] = pedido("Criado pela matriz")
            case "PATCH", "/pedidos/{pedido_id}":
                kwargs["json"] = {"observacao": "matriz"}
            case "POST", "/pedidos/rascunho":
                kwargs["json"] = {"cliente": "Rascunho", "valor_frete": 0, "items": [], "rascunho": True}
            case "PATCH", "/pedidos/pedido-itens/{item_id}":
                kwargs["json"] = {"pedido_id": item_pedido, "rip_maquina": "RIP 1"}
            case "POST", "/pedidos/batch-status":
                kwargs["json"] = {"id_pedidos": [self.pedido_id()], "status": "pronto"}
            case "POST", "/pedidos/order-items/upload-image":
                kwargs.update(content=PNG, headers={"content-type": "application/octet-stream"})
            case "POST", "/fichas":
                kwargs["json"] = {"nome": "Ficha da matriz"}
            case "PATCH", "/fichas/{ficha_id}":
                kwargs["json"] = {"descricao": "matriz"}
            case "POST", "/users":
                kwargs["json"] = {"username": f"novo{next(_unique)}", "password": "senha-forte-1"}
            case "PATCH", "/users/{user_id}":
                kwargs["json"] = {"setor": "costura"}
            case "PATCH", "/designers/itens/{item_id}/status-arte":
                kwargs["json"] = {"status_arte": "liberado"}
            case "POST", "/designers/itens/{item_id}/comentarios":
                kwargs["json"] = {"texto": "matriz", "autor": "matriz"}
            case "POST", "/print-logs":
                kwargs["json"] = {"printer_id": 0, "pedido_id": self.pedido_id(), "item_id": None, "status": "success"}
            case "PUT", "/relatorios/templates":
                kwargs["json"] = {"envios": {"title": "Envios", "headerFields": {}, "styles": {}}}
            case "PUT", "/fichas/templates":
                kwargs["json"] = {"geral": {"title": "Geral", "width": 210, "height": 297, "fields": []}}
            case "PUT", "/fichas/templates/html":
                kwargs["json"] = {"geral": "<html><body>{{numero}}</body></html>"}
            case "POST", "/reposicoes":
                kwargs["json"] = {"order_id": self.pedido_id(), "motivo": "Falha na impressão"}
            case "PATCH", "/reposicoes/{reposicao_id}":
                kwargs["json"] = {"status": "Em Processamento"}
            case "POST", "/safira/ask":
                kwargs["json"] = {"question": "quantos pedidos hoje?"}
            case "POST", "/admin/backup":
                kwargs["json"] = {"path": str(self.tmp / f"backup-{next(_unique)}")}
        return path, kwargs

    def call(self, method: str, template: str, token: str | None) -> httpx.Response:
        path, kwargs = self.request(method, template)
        headers = {**kwargs.pop("headers", {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        return httpx.request(method, self.server.base_url + path, headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("roles")
    server = ServerProcess(tmp / "data", workers=2, env={"SGP_OPEN_READS": "true", "SGP_OPS_TOKEN": OPS_TOKEN}).start()
    world = World(server, tmp)
    yield world
    world.admin.close()
    assert server.stop() == 0, server.log()


def test_every_route_has_a_rule() -> None:
    routes = set(app_routes())
    assert routes - set(RULES) == set(), "new routes: give each an auth rule in RULES"
    assert set(RULES) - routes == set(), "RULES names routes the app no longer has"


def refused(r: httpx.Response, status: int) -> bool:
    code = r.json().get("code", "") if r.headers.get("content-type") == "application/json" else ""
    if status == 401:  # no token, or one that is not a user's (the ops token is not a JWT)
        return r.status_code == 401 and (code == "not_authenticated" or code.startswith("token_"))
    return r.status_code == 403 and code == "forbidden"


def allowed(r: httpx.Response) -> bool:
    return r.status_code not in (401, 403) and r.status_code < 500


@pytest.mark.parametrize(("method", "template"), sorted(app_routes()), ids=lambda v: v)
def test_route_auth_rule(world: World, method: str, template: str) -> None:
    rule = RULES.get((method, template))
    if rule is None:
        pytest.fail(f"{method} {template} has no auth rule in RULES")
    outcomes = {}

    anonymous = world.call(method, template, None)
    outcomes["anonymous"] = anonymous.status_code
    assert allowed(anonymous) if rule in (OPEN, READ) else refused(anonymous, 401), (outcomes, anonymous.text)

    ops = world.call(method, template, OPS_TOKEN)
    outcomes["ops"] = ops.status_code
    # The ops token is not a user token: it opens the ops endpoints and nothing else.
    assert ops.status_code == 200 if rule == OPS else allowed(ops) if rule == OPEN else refused(ops, 401), (
        outcomes,
        ops.text,
    )

    logout = (method, template) == ("POST", "/auth/logout")
    user = world.call(method, template, world.user_token(fresh=logout))
    outcomes["user"] = user.status_code
    assert refused(user, 403) if rule == ADMIN else allowed(user), (outcomes, user.text)

    admin = world.call(method, template, world.server.login("admin", ADMIN_PASSWORD) if logout else world.server.token)
    outcomes["admin"] = admin.status_code
    assert allowed(admin), (outcomes, admin.text)


def test_user_cannot_escalate_through_users_or_financeiro(world: World) -> None:
    """A normal user cannot make itself admin, nor release payment on create or patch."""
    headers = {"Authorization": f"Bearer {world.user_token()}"}
    me = httpx.get(f"{world.server.base_url}/auth/me", headers=headers).json()
    base = world.server.base_url
    assert httpx.patch(f"{base}/api/v1/users/{me['id']}", json={"is_admin": True}, headers=headers).status_code == 403
    target = world.pedido_id()
    for method, path, body in (
        ("POST", "/pedidos", pedido("fin", financeiro_liberado_em="2026-11-29T10:00:00Z")),
        ("PATCH", f"/pedidos/{target}", {"financeiro_liberado_em": "2026-11-29T10:00:00Z"}),
    ):
        r = httpx.request(method, base + path, json=body, headers=headers)
        assert r.status_code == 403 and r.json()["field"] == "financeiro", r.text
    assert world.admin.get(f"/pedidos/{target}").json()["financeiro_liberado_em"] is None
    assert not next(u for u in world.admin.get("/users").json() if u["id"] == me["id"])["is_admin"]
