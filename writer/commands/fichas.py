"""Ficha commands: insert, partial update and delete, each with its event (`ficha_*`) in the same transaction."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET

from core.fichas import FICHA_COLUMNS, FichaDeleted, ficha_from_row, ficha_to_json
from ipc.errors import CommandError
from ipc.protocol import CreateFicha, DeleteFicha, ImageRef, PatchFicha

from .context import Context, Outcome

__all__ = ["create_ficha", "patch_ficha", "delete_ficha"]

_json = msgspec.json.Encoder()


def _not_found(ficha_id: int) -> CommandError:
    return CommandError("not_found", f"Ficha {ficha_id} não encontrada.")


def _image_columns(image: ImageRef | None) -> tuple[str | None, str | None, int | None]:
    return (image.sha256, image.mime, image.size) if image is not None else (None, None, None)


def _refuse_inline_image(value: Any) -> None:
    # The API stores the image and sends only its reference; bytes here mean a caller bug.
    if value is not None and value is not UNSET:
        raise CommandError(
            "validation_error", "A imagem deve chegar ao escritor como referência.", field="imagem_base64"
        )


def _committed_json(ctx: Context, ficha_id: int) -> bytes:
    row = ctx.conn.execute(f"SELECT {FICHA_COLUMNS} FROM fichas WHERE id = ?", (ficha_id,)).fetchone()
    if row is None:
        raise _not_found(ficha_id)
    return ficha_to_json(ficha_from_row(row))


def create_ficha(ctx: Context, cmd: CreateFicha) -> Outcome:
    """Insert a ficha with its image reference, if any."""
    data = cmd.data
    _refuse_inline_image(data.imagem_base64)
    cursor = ctx.conn.execute(
        "INSERT INTO fichas (client_id, nome, descricao, imagem_sha256, imagem_mime, imagem_size, "
        "data_criacao, ultima_atualizacao, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
        (data.client_id, data.nome, data.descricao, *_image_columns(cmd.image), ctx.now, ctx.now),
    )
    ficha_id = int(cursor.lastrowid or 0)
    doc = _committed_json(ctx, ficha_id)
    seq = ctx.emit("ficha_created", None, None, ficha_id=ficha_id, ficha_json=doc)
    return Outcome(200, doc, seq)


def patch_ficha(ctx: Context, cmd: PatchFicha) -> Outcome:
    """Change the fields sent; `image` UNSET keeps the image, None removes it, a reference replaces it."""
    patch = cmd.patch
    _refuse_inline_image(patch.imagem_base64)
    changes: dict[str, Any] = {
        name: getattr(patch, name) for name in ("client_id", "nome", "descricao") if getattr(patch, name) is not UNSET
    }
    if cmd.image is not UNSET:
        changes.update(zip(("imagem_sha256", "imagem_mime", "imagem_size"), _image_columns(cmd.image), strict=True))
    changes["ultima_atualizacao"] = ctx.now
    # Column names come from the fixed lists above, never from the request.
    assignments = ", ".join(f"{name} = ?" for name in changes)
    cursor = ctx.conn.execute(
        f"UPDATE fichas SET {assignments}, version = version + 1 WHERE id = ?", (*changes.values(), cmd.id)
    )
    if cursor.rowcount == 0:
        raise _not_found(cmd.id)
    doc = _committed_json(ctx, cmd.id)
    seq = ctx.emit("ficha_updated", None, None, ficha_id=cmd.id, ficha_json=doc)
    return Outcome(200, doc, seq)


def delete_ficha(ctx: Context, cmd: DeleteFicha) -> Outcome:
    """Delete a ficha; its image file becomes the sweeper's once no one else references it."""
    if ctx.conn.execute("DELETE FROM fichas WHERE id = ?", (cmd.id,)).rowcount == 0:
        raise _not_found(cmd.id)
    seq = ctx.emit("ficha_deleted", None, None, ficha_id=cmd.id)
    return Outcome(200, _json.encode(FichaDeleted(id=cmd.id, deleted=True, seq=seq)), seq)
