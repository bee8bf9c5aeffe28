"""The writer's channel carries pedidos the API already normalised: decoding them runs no normaliser."""

from __future__ import annotations

from core.domain import NormalizedCreate, NormalizedPatch, decode_create, decode_patch
from ipc.protocol import Call, CreatePedido, PatchPedido, decode, encode

BODY = (
    b'{"cliente":"  Ana  ","data_entrada":"2026-11-29","valor_frete":"12,50","prioridade":"alta","estado_cliente":"es"}'
)


def _through_channel(command: CreatePedido | PatchPedido) -> CreatePedido | PatchPedido:
    call = decode(encode(Call(id=1, command=command, deadline=0.0)))
    assert isinstance(call, Call)
    return call.command  # type: ignore[return-value]


def test_decode_create_gives_the_normalised_type_with_normalised_fields() -> None:
    data = decode_create(BODY)
    assert type(data) is NormalizedCreate
    assert (data.cliente, data.valor_frete, data.prioridade, data.estado_cliente) == ("Ana", "12.50", "ALTA", "ES")
    received = _through_channel(CreatePedido(data=data))
    assert isinstance(received, CreatePedido) and type(received.data) is NormalizedCreate
    assert received.data == data


def test_the_writer_decodes_without_normalising_again() -> None:
    # Values no normaliser would leave as they are: a decode that ran them would change or reject them.
    raw = NormalizedCreate(cliente="  x  ", data_entrada="2026-11-29", valor_frete="12,50", prioridade="alta")
    received = _through_channel(CreatePedido(data=raw))
    assert isinstance(received, CreatePedido)
    assert (received.data.cliente, received.data.valor_frete, received.data.prioridade) == ("  x  ", "12,50", "alta")
    patch = _through_channel(PatchPedido(id=3, patch=NormalizedPatch(valor_frete="1,5")))
    assert isinstance(patch, PatchPedido) and patch.patch.valor_frete == "1,5"


def test_decode_patch_gives_the_normalised_type() -> None:
    patch = decode_patch(b'{"valor_frete":"3,5","status":"Pronto"}')
    assert type(patch) is NormalizedPatch and patch.valor_frete == "3.50" and patch.status == "pronto"
