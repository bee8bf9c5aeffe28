"""The new-order form's whole path, as the SGP desktop app walks it (issue #13).

Fetch every dropdown's choices (vendedores, designers, materiais, tipos de
produção, formas de envio and pagamento, clientes), create a pedido with them,
find it in the default list tab, and see it arrive on another desktop's feed.
Every request carries the desktop window's Origin after a real CORS preflight,
and the payloads are the client's own (CLIENT_CONTRACT.md, contract/*.md).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from tests.support import ADMIN_PASSWORD, ServerProcess

ORIGIN = "http://tauri.localhost"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("form") / "data", workers=2).start()
    yield proc
    assert proc.stop() == 0, proc.log()


class Desktop:
    """One desktop app: its token, and every REST call preflighted like the webview does."""

    def __init__(self, server: ServerProcess, username: str, password: str) -> None:
        self.base = server.base_url
        self.port = server.port
        login = self.call(
            "POST",
            "/auth/login",
            json={"username": username, "password": password},
            token=False,
            extra_headers={"X-Silent-Request": "true"},
        )
        assert login.status_code == 200, login.text
        body = login.json()
        assert body["success"] is True and body["user_id"] and body["username"] == username
        self.token: str = body["session_token"]
        self.user_id: int = body["user_id"]

    def call(
        self, method: str, path: str, *, token: bool = True, extra_headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"ngrok-skip-browser-warning": "any", **(extra_headers or {})}
        if token:
            headers["Authorization"] = f"Bearer {self.token}"
        if "json" in kwargs:
            headers["Content-Type"] = "application/json"
        asked = ",".join(sorted(h.lower() for h in headers))
        preflight = httpx.options(
            self.base + path,
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": asked,
            },
        )
        assert preflight.status_code == 200, (method, path, preflight.text)
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        r = httpx.request(method, self.base + path, headers={"Origin": ORIGIN, **headers}, timeout=30, **kwargs)
        assert r.headers.get("access-control-allow-origin") == ORIGIN, (method, path)
        return r


def _ok(r: httpx.Response, *statuses: int) -> Any:
    assert r.status_code in (statuses or (200,)), (r.request.method, str(r.request.url), r.status_code, r.text)
    return r.json() if r.content else None


def _seed_catalogs(admin: Desktop) -> None:
    """What the shop's admin pages create, with the admin pages' exact bodies."""
    _ok(
        admin.call(
            "POST",
            "/vendedores",
            json={
                "nome": "Marina Vendas",
                "email": None,
                "telefone": None,
                "comissao_percentual": 5,
                "ativo": True,
                "observacao": None,
            },
        ),
        200,
        201,
    )
    _ok(
        admin.call(
            "POST",
            "/vendedores",
            json={
                "nome": "Antigo Vendedor",
                "email": None,
                "telefone": None,
                "comissao_percentual": 0,
                "ativo": False,
                "observacao": None,
            },
        ),
        200,
        201,
    )
    _ok(
        admin.call(
            "POST",
            "/designers/",
            json={
                "nome": "Carla Arte",
                "email": "carla@grafica.test",
                "telefone": None,
                "ativo": True,
                "observacao": None,
            },
        ),
        200,
        201,
    )
    _ok(
        admin.call(
            "POST",
            "/materiais/",
            json={
                "nome": "Tactel",
                "tipo": "tecido",
                "valor_metro": 12.5,
                "estoque_metros": 300,
                "ativo": True,
                "observacao": None,
            },
        ),
        200,
        201,
    )
    _ok(admin.call("POST", "/producoes", json={"name": "painel", "description": "Painel", "active": True}), 200, 201)
    _ok(
        admin.call(
            "POST",
            "/tipos-envios",
            json={"nome": "Correios", "valor": 0, "prazo_dias": 5, "ativo": True, "observacao": None},
        ),
        200,
        201,
    )
    _ok(
        admin.call(
            "POST",
            "/tipos-pagamentos",
            json={"nome": "PIX", "parcelas_max": 1, "taxa_percentual": 0, "ativo": True, "observacao": None},
        ),
        200,
        201,
    )
    _ok(
        admin.call(
            "POST",
            "/clientes/",
            json={
                "nome": "Academia Boa Forma",
                "cep": "29000-000",
                "cidade": "Vitória",
                "estado": "ES",
                "telefone": "27999990000",
            },
        ),
        200,
        201,
    )


def _form_choices(desk: Desktop) -> dict[str, Any]:
    """The calls CreateOrderComplete makes on mount, reading what it reads."""
    vendedores = _ok(desk.call("GET", "/vendedores/ativos"))
    designers = _ok(desk.call("GET", "/designers/"))
    materiais = _ok(desk.call("GET", "/materiais/"))
    producoes = _ok(desk.call("GET", "/producoes/ativos"))
    envios = _ok(desk.call("GET", "/tipos-envios/ativos"))
    pagamentos = _ok(desk.call("GET", "/tipos-pagamentos/ativos"))
    clientes = _ok(desk.call("GET", "/clientes/"))
    assert [v["nome"] for v in vendedores] == ["Marina Vendas"] and all(isinstance(v["id"], int) for v in vendedores)
    assert any(d["nome"] == "Carla Arte" and d["ativo"] for d in designers)
    tecidos = [m for m in materiais if m["ativo"] and m["tipo"].lower() == "tecido"]
    assert [m["nome"] for m in tecidos] == ["Tactel"]
    assert any((p.get("name") or p.get("nome")) == "painel" for p in producoes)
    assert [(e["nome"], float(e["valor"] or 0)) for e in envios] == [("Correios", 0.0)]
    assert [p["nome"] for p in pagamentos] == ["PIX"] and isinstance(pagamentos[0]["id"], int)
    assert any(c["nome"] == "Academia Boa Forma" and c["cidade"] == "Vitória" for c in clientes)
    return {
        "vendedor": vendedores[0],
        "designer": designers[0],
        "tecido": tecidos[0],
        "envio": envios[0],
        "pagamento": pagamentos[0],
        "cliente": clientes[0],
    }


def _pedido_payload(choices: dict[str, Any]) -> dict[str, Any]:
    """buildPedidoCreatePayload's output for one painel item (contract/pedidos.md POST)."""
    item = {
        "tipo_producao": "painel",
        "descricao": "Painel fachada",
        "largura": "3,00",
        "altura": "1,50",
        "metro_quadrado": "4,50",
        "vendedor": choices["vendedor"]["nome"],
        "designer": choices["designer"]["nome"],
        "tecido": choices["tecido"]["nome"],
        "acabamento": {"overloque": True, "elastico": False, "ilhos": False},
        "emenda": "sem-emenda",
        "observacao": "",
        "valor_unitario": "150.00",
        "valor_painel": "150.00",
        "valores_adicionais": "0.00",
        "quantidade_paineis": "2",
        "imagem": None,
        "legenda_imagem": None,
        "terceirizado": False,
        "ziper": False,
        "cordinha_extra": False,
        "alcinha": False,
        "toalha_pronta": False,
        "rip_maquina": None,
        "data_impressao": None,
        "perfil_cor": None,
        "tecido_fornecedor": None,
        "machine_id": None,
        "quantidade_lona": "1",
        "valor_lona": "0,00",
        "valor_ilhos": "1,50",
    }
    return {
        "cliente": choices["cliente"]["nome"],
        "telefone_cliente": choices["cliente"]["telefone"],
        "cidade_cliente": choices["cliente"]["cidade"],
        "estado_cliente": choices["cliente"]["estado"],
        "data_entrada": "2026-11-29",
        "data_entrega": "2026-12-05",
        "observacao": "",
        "prioridade": "NORMAL",
        "status": "pendente",
        "valor_frete": "15.00",
        "valor_itens": "300.00",
        "valor_total": "315.00",
        "tipo_pagamento": str(choices["pagamento"]["id"]),
        "forma_envio": choices["envio"]["nome"],
        "forma_envio_id": 0,
        "financeiro": False,
        "conferencia": False,
        "sublimacao": False,
        "costura": False,
        "expedicao": False,
        "items": [item],
    }


async def _next_order_event(ws: Any, order_id: int) -> dict[str, Any]:
    async with asyncio.timeout(20):
        while True:
            message = json.loads(await ws.recv())
            if message.get("type") == "ping":
                await ws.send(json.dumps({"type": "pong", "timestamp": 1}))
            elif message.get("type") == "order_created" and message.get("order_id") == order_id:
                return message


def test_new_order_form_end_to_end(server: ServerProcess) -> None:
    admin = Desktop(server, "admin", ADMIN_PASSWORD)
    _seed_catalogs(admin)
    _ok(
        admin.call(
            "POST",
            "/users",
            json={"username": "balcao", "password": "senha-balcao-1", "is_admin": False, "setor": "vendas"},
        ),
        200,
        201,
    )
    seller = Desktop(server, "balcao", "senha-balcao-1")

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        url = f"ws://127.0.0.1:{server.port}/ws/orders?token={admin.token}"
        async with websockets.connect(url, origin=ORIGIN, max_size=None) as watcher:  # type: ignore[arg-type]
            await watcher.send(json.dumps({"type": "authenticate", "token": admin.token}))
            choices = _form_choices(seller)
            created = await asyncio.to_thread(seller.call, "POST", "/pedidos/", json=_pedido_payload(choices))
            pedido = _ok(created)
            event = await _next_order_event(watcher, pedido["id"])
            return pedido, event

    pedido, event = asyncio.run(scenario())
    assert len(pedido["numero"]) == 10 and pedido["numero"].isdigit()
    assert pedido["forma_envio"] == "Correios" and pedido["tipo_pagamento"].isdigit()
    assert pedido["items"][0]["vendedor"] == "Marina Vendas" and pedido["items"][0]["designer"] == "Carla Arte"
    assert pedido["items"][0]["tecido"] == "Tactel"
    assert event["user_id"] == seller.user_id

    listed = _ok(seller.call("GET", "/pedidos/", params={"limit": 501, "is_pronto": "false"}))
    assert pedido["id"] in [p["id"] for p in listed]
    fetched = _ok(seller.call("GET", f"/pedidos/{pedido['id']}"))
    assert fetched["numero"] == pedido["numero"] and fetched["cliente"] == "Academia Boa Forma"
