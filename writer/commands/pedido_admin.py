"""Admin resets of the pedidos: delete them all, restart the id and numero sequences.

Both run only right after an online backup the API asked the writer for, and
only if nothing was committed since that backup's snapshot (`backup_seq`):
whatever they remove is in the backup they name.
"""

from __future__ import annotations

import msgspec

from ipc.errors import CommandError
from ipc.protocol import DeleteAllPedidos, ResetIds

from .. import event_log
from .context import Context, Outcome

__all__ = ["delete_all_pedidos", "reset_ids"]

_json = msgspec.json.Encoder()


def _check_backup_current(ctx: Context, backup_seq: int) -> None:
    last = event_log.last_seq(ctx.conn)
    if last != backup_seq:
        raise CommandError(
            "changed_during_backup",
            "Houve alterações durante o backup; nada foi apagado. Tente de novo.",
        )


def delete_all_pedidos(ctx: Context, cmd: DeleteAllPedidos) -> Outcome:
    """Delete every pedido, draft and their image references (the files go to the sweeper)."""
    _check_backup_current(ctx, cmd.backup_seq)
    conn = ctx.conn
    conn.execute("DELETE FROM pedido_imagens")
    # The report index at once (its delete trigger then finds nothing to remove per pedido).
    conn.execute("DELETE FROM report_itens")
    conn.execute("DELETE FROM report_pedidos")
    pedidos = conn.execute("DELETE FROM pedidos").rowcount
    rascunhos = conn.execute("DELETE FROM pedido_rascunhos").rowcount  # their image rows cascade
    # One event without an order id: feed clients reload instead of 50 000 order_deleted toasts.
    seq = ctx.emit("orders_cleared", None, None)
    body = {
        "message": f"{pedidos} pedidos e {rascunhos} rascunhos apagados; backup em {cmd.backup}",
        "deleted": pedidos,
        "rascunhos": rascunhos,
        "backup": cmd.backup,
        "seq": seq,
    }
    return Outcome(200, _json.encode(body), seq)


def reset_ids(ctx: Context, cmd: ResetIds) -> Outcome:
    """Restart ids after the highest pedido or draft id left, and numeros after the highest numero left."""
    _check_backup_current(ctx, cmd.backup_seq)
    conn = ctx.conn
    last_id = max(
        conn.execute("SELECT coalesce(max(id), 0) FROM pedidos").fetchone()[0],
        conn.execute("SELECT coalesce(max(id), 0) FROM pedido_rascunhos").fetchone()[0],
    )
    counter = int(conn.execute("SELECT value FROM meta WHERE key = 'numero_counter'").fetchone()[0])
    # Only numbers the sequence itself reached: an explicit 9999999999 must not become its restart point.
    last_numero = conn.execute(
        "SELECT coalesce(max(CAST(numero AS INTEGER)), 0) FROM pedidos "
        "WHERE numero GLOB '[0-9]*' AND CAST(numero AS INTEGER) <= ?",
        (counter,),
    ).fetchone()[0]
    conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'pedidos'", (last_id,))
    conn.execute("UPDATE meta SET value = ? WHERE key = 'numero_counter'", (str(last_numero),))
    ctx.seqs.last_pedido_id = last_id
    seq = ctx.emit("ids_reset", None, None)
    body = {
        "message": f"Sequências reiniciadas; backup em {cmd.backup}",
        "next_id": last_id + 1,
        "next_numero": f"{last_numero + 1:010d}",
        "backup": cmd.backup,
        "seq": seq,
    }
    return Outcome(200, _json.encode(body), seq)
