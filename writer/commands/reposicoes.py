"""Reposição commands: create (numbered REP-<id>, for an existing pedido), partial update, delete."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import date
from typing import Any

import msgspec
from msgspec import UNSET

from core.reposicoes import Reposicao, ReposicaoDeleted, numero_of
from ipc.errors import CommandError
from ipc.protocol import CreateReposicao, DeleteReposicao, PatchReposicao

from .context import Context, Outcome

__all__ = ["create_reposicao", "patch_reposicao", "delete_reposicao", "insert_reposicao"]

_json = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Reposicao)


def _not_found(reposicao_id: int) -> CommandError:
    return CommandError("not_found", f"Reposição {reposicao_id} não encontrada.")


def insert_reposicao(conn: sqlite3.Connection, fields: dict[str, Any], *, now: str, id: int | None = None) -> bytes:
    """Store one reposição (with `id` and its old `numero` when importing); returns its JSON."""
    cursor = conn.execute(
        "INSERT INTO reposicoes (id, numero, order_id, status, data_solicitacao, created_at, updated_at, doc) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, x'7b7d')",
        # A unique placeholder until the id is known (numero is REP-<id>); commands of one batch share `now`.
        (id, fields.get("numero") or f"pendente-{uuid.uuid4().hex}", fields["order_id"], fields["status"],
         str(fields["data_solicitacao"]), fields.get("created_at") or now, fields.get("updated_at") or now),
    )  # fmt: skip
    new_id = int(cursor.lastrowid or 0)
    reposicao = Reposicao(
        **{**fields, "id": new_id, "numero": fields.get("numero") or numero_of(new_id),
           "created_at": fields.get("created_at") or now, "updated_at": fields.get("updated_at") or now},
    )  # fmt: skip
    doc = _json.encode(reposicao)
    conn.execute("UPDATE reposicoes SET numero = ?, doc = ? WHERE id = ?", (reposicao.numero, doc, new_id))
    return doc


def _event(ctx: Context, type_: str, body: bytes) -> int:
    # Not an order event: no top-level order id, or every client would refetch and toast the pedido.
    return ctx.emit_message(type_, None, {"reposicao": msgspec.Raw(body)})


def create_reposicao(ctx: Context, cmd: CreateReposicao) -> Outcome:
    """Insert a reposição of an existing pedido (404 naming `order_id` otherwise)."""
    if ctx.conn.execute("SELECT 1 FROM pedidos WHERE id = ?", (cmd.data.order_id,)).fetchone() is None:
        raise CommandError("not_found", f"Pedido {cmd.data.order_id} não encontrado.", field="order_id")
    fields = msgspec.structs.asdict(cmd.data)
    fields["data_solicitacao"] = fields["data_solicitacao"] or date.fromisoformat(ctx.now[:10])
    fields["motivo"] = fields["motivo"].strip()
    body = insert_reposicao(ctx.conn, fields, now=ctx.now)
    return Outcome(201, body, _event(ctx, "reposicao_created", body))


def patch_reposicao(ctx: Context, cmd: PatchReposicao) -> Outcome:
    """Change the fields sent."""
    row = ctx.conn.execute("SELECT doc FROM reposicoes WHERE id = ?", (cmd.id,)).fetchone()
    if row is None:
        raise _not_found(cmd.id)
    changes = {k: v for k, v in msgspec.structs.asdict(cmd.patch).items() if v is not UNSET}
    current = _decoder.decode(row[0])
    new = msgspec.structs.replace(current, **changes, updated_at=ctx.now)
    body = _json.encode(new)
    ctx.conn.execute(
        "UPDATE reposicoes SET status = ?, data_solicitacao = ?, updated_at = ?, doc = ? WHERE id = ?",
        (new.status, str(new.data_solicitacao), ctx.now, body, cmd.id),
    )
    return Outcome(200, body, _event(ctx, "reposicao_updated", body))


def delete_reposicao(ctx: Context, cmd: DeleteReposicao) -> Outcome:
    """Delete a reposição; a second delete is 404."""
    if ctx.conn.execute("DELETE FROM reposicoes WHERE id = ?", (cmd.id,)).rowcount == 0:
        raise _not_found(cmd.id)
    body = _json.encode(ReposicaoDeleted(id=cmd.id, deleted=True))
    return Outcome(200, body, _event(ctx, "reposicao_deleted", body))
