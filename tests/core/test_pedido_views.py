"""The three pedido views come from one field definition (core/pedido_views.py) and keep the wire as it was."""

from __future__ import annotations

import msgspec
from msgspec import UNSET

from core.domain import Pedido, PedidoCreate, PedidoPatch, build_pedido, decode_create, decode_patch, pedido_to_json
from core.pedido_views import PedidoFields

SERVER_FIELDS = ("id", "valor_total", "valor_itens", "data_criacao", "ultima_atualizacao", "version", "rascunho")

# What clients have always read, key for key and in this order (tests/api/test_client_pedidos*.py read these).
WIRE_ORDER = [
    "id",
    "numero",
    "data_entrada",
    "data_entrega",
    "observacao",
    "prioridade",
    "status",
    "cliente",
    "telefone_cliente",
    "cidade_cliente",
    "estado_cliente",
    "valor_total",
    "valor_frete",
    "valor_itens",
    "tipo_pagamento",
    "obs_pagamento",
    "forma_envio",
    "forma_envio_id",
    "financeiro",
    "conferencia",
    "sublimacao",
    "costura",
    "expedicao",
    "pronto",
    "sublimacao_maquina",
    "sublimacao_data_impressao",
    "financeiro_liberado_em",
    "items",
    "data_criacao",
    "ultima_atualizacao",
    "version",
    "rascunho",
]


def test_create_and_patch_have_exactly_the_defined_fields() -> None:
    assert PedidoCreate.__struct_fields__ == PedidoFields.__struct_fields__
    assert PedidoPatch.__struct_fields__ == PedidoFields.__struct_fields__
    create = {f.name: f for f in msgspec.structs.fields(PedidoCreate)}
    for f in msgspec.structs.fields(PedidoPatch):
        assert f.default is UNSET and f.type == create[f.name].type | msgspec.UnsetType, f.name


def test_the_stored_view_is_the_defined_fields_plus_the_servers_in_wire_order() -> None:
    assert list(Pedido.__struct_fields__) == WIRE_ORDER
    assert set(Pedido.__struct_fields__) == set(PedidoFields.__struct_fields__) | set(SERVER_FIELDS)


def test_stored_types_have_no_input_limits() -> None:
    # An imported pedido may hold a longer observacao than clients may send; it must still load.
    long = "x" * 6000
    pedido = Pedido(id=1, numero="0000000001", data_entrada="2026-01-01", cliente="Ana", observacao=long,
                    data_criacao="t", ultima_atualizacao="t")  # fmt: skip
    assert msgspec.json.decode(pedido_to_json(pedido), type=Pedido).observacao == long


def test_a_created_pedido_encodes_in_wire_order() -> None:
    data = decode_create(b'{"cliente": "Ana", "data_entrada": "2026-01-02", "valor_frete": "1,5"}')
    doc = pedido_to_json(build_pedido(data, id=7, numero="0000000007", now="2026-01-02T10:00:00"))
    assert list(msgspec.json.decode(doc)) == WIRE_ORDER
    assert b'"estado_cliente":null,"valor_total":"1.50","valor_frete":"1.50","valor_itens":"0.00"' in doc


def test_the_patch_view_normalises_what_was_sent_only() -> None:
    patch = decode_patch(b'{"prioridade": "alta", "cidade_cliente": "Serra - es"}')
    assert (patch.prioridade, patch.cidade_cliente, patch.estado_cliente) == ("ALTA", "Serra", "ES")
    assert patch.status is UNSET and patch.items is UNSET
    assert PedidoPatch(status="Pronto").status == "pronto"
