"""The writer's commands: the command type -> handler table, one handler module per family.

Every handler has one signature, `(ctx: Context, cmd) -> Outcome`: it runs SQL
on `ctx.conn`, emits events through `ctx`, and returns the answer.

Handlers run inside the batch transaction, under a SAVEPOINT the batcher
owns; raising CommandError rolls back that one command. They know nothing of
sockets, frames or asyncio.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ipc.protocol import (
    AddArtComment,
    BatchStatus,
    ChangePassword,
    CreateFicha,
    CreatePedido,
    CreatePrintLog,
    CreateRecord,
    CreateReposicao,
    CreateUser,
    DeleteAllPedidos,
    DeleteFicha,
    DeletePedido,
    DeleteRecord,
    DeleteReposicao,
    MarkAllNotificacoesRead,
    MarkNotificacaoRead,
    PatchFicha,
    PatchPedido,
    PatchPedidoItem,
    PatchRecord,
    PatchReposicao,
    PromoverRascunho,
    PutTemplates,
    RehashPassword,
    ResetIds,
    RevokeToken,
    SaveRascunho,
    SetArtStatus,
    UpdateUser,
)

from . import (
    art,
    fichas,
    notificacoes,
    pedido_admin,
    pedido_items,
    pedidos,
    print_logs,
    rascunhos,
    records,
    reposicoes,
    templates,
    users,
)
from .context import Context, Outcome, Sequences

# Context/Sequences/Outcome live in writer/commands/context.py (re-exported: every caller of `execute`
# builds one); the pedido storage helpers are in writer/commands/pedidos.py.
__all__ = ["Sequences", "Context", "Outcome", "execute"]

Handler = Callable[[Context, Any], Outcome]

# Command type -> its handler; one dict lookup per command instead of a chain of isinstance checks.
_HANDLERS: dict[type, Handler] = {
    CreatePedido: pedidos.create_pedido,
    PatchPedido: pedidos.patch_pedido,
    DeletePedido: pedidos.delete_pedido,
    BatchStatus: pedidos.batch_status,
    SaveRascunho: rascunhos.save_rascunho,
    PromoverRascunho: rascunhos.promover_rascunho,
    PatchPedidoItem: pedido_items.patch_pedido_item,
    DeleteAllPedidos: pedido_admin.delete_all_pedidos,
    ResetIds: pedido_admin.reset_ids,
    CreateFicha: fichas.create_ficha,
    PatchFicha: fichas.patch_ficha,
    DeleteFicha: fichas.delete_ficha,
    CreateRecord: records.create_record,
    PatchRecord: records.patch_record,
    DeleteRecord: records.delete_record,
    CreateUser: users.create_user,
    UpdateUser: users.update_user,
    ChangePassword: users.change_password,
    RehashPassword: users.rehash_password,
    RevokeToken: users.revoke_token,
    SetArtStatus: art.set_art_status,
    AddArtComment: art.add_art_comment,
    CreatePrintLog: print_logs.create_print_log,
    MarkNotificacaoRead: notificacoes.mark_read,
    MarkAllNotificacoesRead: notificacoes.mark_all_read,
    PutTemplates: templates.put_templates,
    CreateReposicao: reposicoes.create_reposicao,
    PatchReposicao: reposicoes.patch_reposicao,
    DeleteReposicao: reposicoes.delete_reposicao,
}


def execute(ctx: Context, command: Any) -> Outcome:
    """Run one transactional command on the context's connection."""
    handler = _HANDLERS.get(type(command))
    if handler is None:
        raise TypeError(f"not a transactional command: {type(command).__name__}")
    return handler(ctx, command)
