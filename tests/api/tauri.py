"""The SGP desktop app on the wire: its origin, headers and preflights, and the payloads its mappers build.

Payloads follow contract/pedidos.md and contract/pricing-dates.md (strings for
quantities, pt-BR and dot-decimal money mixed in one item, defaults of the
types that do not apply, `null` kept); `needs_upload` is the app's
`needsUpload()` rule (contract/images.md §2).
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from tests.support import ServerProcess

ORIGIN = "http://tauri.localhost"
# What the app's axios adapter sends on every call (CLIENT_CONTRACT.md 0.3).
_SENT_HEADERS = "authorization,content-type,ngrok-skip-browser-warning"

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(2048)


class Tauri:
    """Each call is preceded by its CORS preflight and carries the app's origin and headers."""

    def __init__(self, server: ServerProcess, token: str | None = None) -> None:
        self.token = token or server.token
        self.http = httpx.Client(base_url=server.base_url, timeout=30)

    def close(self) -> None:
        self.http.close()

    def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        pre = self.http.options(
            path,
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": _SENT_HEADERS,
            },
        )
        assert pre.status_code == 200, (method, path, pre.status_code, pre.text)
        assert pre.headers["access-control-allow-origin"] == ORIGIN
        assert method in pre.headers["access-control-allow-methods"]
        headers = {
            "Origin": ORIGIN,
            "Authorization": f"Bearer {self.token}",
            "ngrok-skip-browser-warning": "any",
            **kwargs.pop("headers", {}),
        }
        r = self.http.request(method, path, headers=headers, **kwargs)
        assert r.headers.get("access-control-allow-origin") == ORIGIN, (method, path, r.headers)
        return r

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        r = self(method, path, **kwargs)
        assert r.status_code == 200, (method, path, r.status_code, r.text)
        return r.json()


def needs_upload(ref: str | None) -> bool:
    """The desktop app's `needsUpload()`: True makes it read a local file, and abort the save when it cannot."""
    if not ref:
        return False
    if ref.startswith(("data:image/", "http://", "https://")):
        return False
    normalized = ref.replace("\\", "/").strip()
    if normalized.startswith(("pedidos/", "/pedidos/")):
        return False
    return "/" in ref or "\\" in ref


def _not_applicable() -> dict[str, Any]:
    """Defaults the mapper sends for the types an item is not (order-item-display.ts)."""
    return {
        "acabamento_lona": "refilar", "quantidade_lona": "1", "valor_lona": "0,00",
        "quantidade_totem": "1", "valor_totem": "0,00", "acabamento_totem": "com_pe",
        "quantidade_adesivo": "1", "valor_adesivo": "0,00", "tipo_adesivo": "",
    }  # fmt: skip


def _common(tipo: str, **fields: Any) -> dict[str, Any]:
    return {  # fields last: they override the defaults
        "tipo_producao": tipo, "descricao": "Item", "largura": "3,00", "altura": "1,50", "metro_quadrado": "4,50",
        "vendedor": "Ana", "designer": "Beto", "tecido": "Oxford",
        "acabamento": {"overloque": True, "elastico": False, "ilhos": True},
        "emenda": "sem-emenda", "observacao": "", "imagem": None, "legenda_imagem": None,
        "terceirizado": False, "ziper": False, "cordinha_extra": False, "alcinha": False, "toalha_pronta": False,
        "rip_maquina": None, "data_impressao": None, "perfil_cor": None, "tecido_fornecedor": None, "machine_id": None,
        **_not_applicable(), **fields,
    }  # fmt: skip


def painel(**fields: Any) -> dict[str, Any]:
    """A painel as the mapper builds it: valor_unitario = valor_painel (extras excluded)."""
    defaults = dict(
        valor_painel="1000.00", valores_adicionais="20.00", valor_unitario="1000.00",
        tipo_acabamento="ilhos", quantidade_ilhos="10", valor_ilhos="1,50", espaco_ilhos="20",
        quantidade_cordinha="", valor_cordinha="0,00", quantidade_paineis="2",
    )  # fmt: skip
    return _common("painel", **{**defaults, **fields})


def lona(**fields: Any) -> dict[str, Any]:
    return _common("lona", **{"valor_lona": "50.00", "valor_unitario": "50.00", "quantidade_lona": "3", **fields})


def totem(**fields: Any) -> dict[str, Any]:
    return _common("totem", **{"valor_totem": "30.00", "valor_unitario": "30.00", "quantidade_totem": "1", **fields})


def create_payload(cliente: str, items: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """`buildPedidoCreatePayload`: every key the form sends, `numero` never."""
    return {
        "cliente": cliente, "telefone_cliente": "27999990000", "cidade_cliente": "Vitória", "estado_cliente": "ES",
        "data_entrada": "2026-11-29", "data_entrega": None, "observacao": "", "prioridade": "NORMAL",
        "status": "pendente", "valor_frete": "15.00", "valor_itens": "480.00", "valor_total": "495.00",
        "tipo_pagamento": "2", "forma_envio": "Correios", "forma_envio_id": 0,
        "financeiro": False, "conferencia": False, "sublimacao": False, "costura": False, "expedicao": False,
        "items": items, **fields,
    }  # fmt: skip


def login_user(server: ServerProcess, username: str) -> str:
    """A token of a new non-admin user."""
    with server.client() as admin:
        r = admin.post("/users", json={"username": username, "password": "senha-forte-1"})
        assert r.status_code == 201, r.text
    return server.login(username, "senha-forte-1")
