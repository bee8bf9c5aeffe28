"""Batch-status request decoding and the public surface of core.pedido_ops."""

from __future__ import annotations

import pytest

from core import pedido_ops
from core.pedido_ops import MAX_BATCH_IDS, decode_batch_status
from core.validation import DomainError


def test_decodes_and_normalises_the_status() -> None:
    request = decode_batch_status(b'{"id_pedidos": [3, "4"], "status": "Em Produ\\u00e7\\u00e3o"}')
    assert (request.id_pedidos, request.status) == ([3, 4], "em_producao")


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (b'{"id_pedidos": [], "status": "pronto"}', "id_pedidos", "validation_error"),
        (b'{"id_pedidos": [0], "status": "pronto"}', "id_pedidos[0]", "validation_error"),
        (b'{"id_pedidos": [1], "status": "voando"}', "status", "validation_error"),
        (b'{"id_pedidos": [1]}', "status", "validation_error"),
        (b'{"id_pedidos": [1', None, "invalid_json"),
        (b'{"id_pedidos": [1], "status": "\xff"}', None, "invalid_json"),
        (b'{"x": ' + b"[" * 100_000, None, "invalid_json"),
    ],
)
def test_rejects_with_the_field(body: bytes, field: str | None, code: str) -> None:
    with pytest.raises(DomainError) as info:
        decode_batch_status(body)
    assert (info.value.field, info.value.code) == (field, code)


def test_batch_limit() -> None:
    ids = ",".join(map(str, range(1, MAX_BATCH_IDS + 1))).encode()
    assert len(decode_batch_status(b'{"id_pedidos": [' + ids + b'], "status": "pronto"}').id_pedidos) == MAX_BATCH_IDS
    with pytest.raises(DomainError):
        decode_batch_status(b'{"id_pedidos": [' + ids + b', 9999], "status": "pronto"}')


def test_public_surface() -> None:
    for name in pedido_ops.__all__:
        assert hasattr(pedido_ops, name), name
