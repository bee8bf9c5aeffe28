"""Drafts (rascunhos): saved loosely typed in their own table, promoted to a pedido with the same id.

A draft takes its id from the pedido sequence (the client opens it at
`/pedidos/{id}` and promotes it with `POST /pedidos/{id}/promover`) but gets no
`numero` until it is promoted: an abandoned draft never burns an OS number,
so the printed numbers stay consecutive. Drafts live outside `pedidos`, so
every list, count, summary and report leaves them out without knowing of them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import msgspec

from core.domain import build_pedido, pedido_to_json
from core.pricing import totals
from ipc.errors import CommandError
from ipc.protocol import ItemImage, PromoverRascunho, SaveRascunho

from . import media_refs
from .context import Context, Outcome
from .pedidos import insert_pedido, next_numero

__all__ = ["promover_rascunho", "save_rascunho"]

_json = msgspec.json.Encoder()
_decode = msgspec.json.Decoder(dict[str, Any])

# What a draft answers besides what the client sent: the order object's shape, with no numero yet.
_DRAFT_DEFAULTS: dict[str, Any] = {
    "numero": None,
    "status": "pendente",
    "prioridade": "NORMAL",
    "cliente": "",
    "telefone_cliente": "",
    "cidade_cliente": "",
    "estado_cliente": "",
    "observacao": "",
    "forma_envio": "",
    "forma_envio_id": 0,
    "tipo_pagamento": "",
    "valor_frete": "0.00",
    "financeiro": False,
    "conferencia": False,
    "sublimacao": False,
    "costura": False,
    "expedicao": False,
    "pronto": False,
    "items": [],
}
# The server owns these; a client cannot set them on a draft.
_SERVER_FIELDS = (
    "id",
    "numero",
    "rascunho",
    "version",
    "data_criacao",
    "ultima_atualizacao",
    "valor_itens",
    "valor_total",
    "financeiro",
    "financeiro_liberado_em",  # released by an admin on the pedido, never on a draft
)


def _not_found(draft_id: int) -> CommandError:
    return CommandError("not_found", f"Rascunho {draft_id} não encontrado.")


def _estimate(doc: dict[str, Any]) -> dict[str, str]:
    """Totals of a draft when its items can be priced; a draft's raw form tabs may not be."""
    items = doc.get("items")
    try:
        return totals(items if isinstance(items, list) else [], doc.get("valor_frete"))
    except (ValueError, TypeError, AttributeError):
        return {"valor_itens": "0.00", "valor_total": "0.00"}


def _record_images(conn: sqlite3.Connection, draft_id: int, images: Sequence[ItemImage], now: str) -> None:
    conn.execute("DELETE FROM rascunho_imagens WHERE rascunho_id = ?", (draft_id,))
    conn.executemany(
        "INSERT INTO rascunho_imagens (rascunho_id, item_index, sha256, mime, size, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(draft_id, i.index, i.image.sha256, i.image.mime, i.image.size, now) for i in images],
    )


def save_rascunho(ctx: Context, cmd: SaveRascunho) -> Outcome:
    """Create a draft, or merge the sent fields over a stored one (items, when sent, replace the list)."""
    conn = ctx.conn
    fields = {k: v for k, v in cmd.fields.items() if k not in _SERVER_FIELDS}
    if "items" in fields:
        media_refs.check_item_images(fields["items"], cmd.images)
    if cmd.id is None:
        draft_id = ctx.seqs.last_pedido_id + 1
        ctx.seqs.last_pedido_id = draft_id
        doc = {**_DRAFT_DEFAULTS, **fields}
        version, created = 1, ctx.now
    else:
        draft_id = cmd.id
        row = conn.execute("SELECT doc, version FROM pedido_rascunhos WHERE id = ?", (draft_id,)).fetchone()
        if row is None:
            raise _not_found(draft_id)
        stored = _decode.decode(row[0])
        doc = {**stored, **fields}
        version, created = row[1] + 1, stored.get("data_criacao", ctx.now)
    doc.update(
        id=draft_id, rascunho=True, numero=None, **_estimate(doc),
        data_criacao=created, ultima_atualizacao=ctx.now, version=version,
    )  # fmt: skip
    body = _json.encode(doc)
    conn.execute(
        "INSERT INTO pedido_rascunhos (id, ultima_atualizacao, version, doc) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET ultima_atualizacao = excluded.ultima_atualizacao, "
        "version = excluded.version, doc = excluded.doc",
        (draft_id, ctx.now, version, body),
    )
    if "items" in fields:
        _record_images(conn, draft_id, cmd.images, ctx.now)
    # No order id in the event: the desktop app toasts "pedido atualizado" on every client for
    # any typed event carrying one (contract feed.md), and drafts auto-save every 25 s.
    seq = ctx.emit("rascunho_salvo", None, None)
    return Outcome(200, body, seq)


def promover_rascunho(ctx: Context, cmd: PromoverRascunho) -> Outcome:
    """Insert the validated draft as a pedido with the same id and the next numero; drop the draft."""
    conn = ctx.conn
    row = conn.execute("SELECT version FROM pedido_rascunhos WHERE id = ?", (cmd.id,)).fetchone()
    if row is None:
        done = conn.execute("SELECT doc FROM pedidos WHERE id = ?", (cmd.id,)).fetchone()
        if done is not None:  # promoted already (a second click): answer the pedido
            return Outcome(200, done[0], None)
        raise _not_found(cmd.id)
    if row[0] != cmd.if_version:
        raise CommandError("version_conflict", "O rascunho mudou enquanto era publicado; tente de novo.")
    media_refs.check_item_images(cmd.data.items, cmd.images)
    numero = str(cmd.data.numero) if cmd.data.numero else next_numero(conn)  # decoding normalised it to str
    pedido = build_pedido(cmd.data, id=cmd.id, numero=numero, now=ctx.now)
    doc = pedido_to_json(pedido)
    conn.execute("DELETE FROM pedido_rascunhos WHERE id = ?", (cmd.id,))  # cascades to its image rows
    insert_pedido(conn, pedido, doc)
    media_refs.record_pedido_images(conn, cmd.id, cmd.images, ctx.now)
    seq = ctx.emit("order_created", cmd.id, doc)
    return Outcome(200, doc, seq)
