"""Bodies exactly as the desktop app's mappers build them (contract/pedidos.md "Item payload")."""

from __future__ import annotations

from typing import Any


def client_item(**fields: Any) -> dict[str, Any]:
    """A painel item as `buildItemPayloadFromRequest` sends it: strings for sizes and quantities, mixed money."""
    return {
        "tipo_producao": "painel",
        "descricao": "Painel de fundo",
        "largura": "3,00",
        "altura": "2,00",
        "metro_quadrado": "6,00",
        "vendedor": "Carlos",
        "designer": "Júlia",
        "tecido": "Oxford",
        "acabamento": {"overloque": True, "elastico": False, "ilhos": True},
        "emenda": "sem-emenda",
        "observacao": "",
        "valor_unitario": "100.00",
        "valor_painel": "100.00",
        "valores_adicionais": "0.00",
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
        "quantidade_paineis": "1",
        "quantidade_ilhos": "4",
        "espaco_ilhos": "50",
        "valor_ilhos": "1,50",
        "tipo_acabamento": "ilhos",
        "quantidade_lona": "1",
        "valor_lona": "0,00",
        "acabamento_lona": "refilar",
        "quantidade_totem": "1",
        "valor_totem": "0,00",
        "acabamento_totem": "com_pe",
        "quantidade_adesivo": "1",
        **fields,
    }


def client_pedido(cliente: str, items: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A POST /pedidos/ body as the order form sends it."""
    return {
        "cliente": cliente,
        "telefone_cliente": "27999990000",
        "cidade_cliente": "Vitória",
        "estado_cliente": "ES",
        "data_entrada": "2026-11-20",
        "data_entrega": "2026-11-27",
        "observacao": "",
        "prioridade": "NORMAL",
        "status": "pendente",
        "valor_frete": "15.00",
        "valor_itens": "0.00",
        "valor_total": "0.00",
        "tipo_pagamento": "",
        "forma_envio": "Correios",
        "forma_envio_id": 0,
        "financeiro": False,
        "conferencia": False,
        "sublimacao": False,
        "costura": False,
        "expedicao": False,
        "items": items,
        **fields,
    }
