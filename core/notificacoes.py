"""Designer notifications ("art ready"): the stored row as served and the message texts (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from msgspec import Struct

from .text import fold

__all__ = [
    "ART_READY",
    "NOTIFICACAO_COLUMNS",
    "Notificacao",
    "art_ready_texts",
    "designer_recipients",
    "notificacao_from_row",
]

ART_READY = "designer_art_ready"

NOTIFICACAO_COLUMNS = (
    "id, notification_id, user_id, order_id, art_id, tipo, titulo, mensagem, visualizada, created_at, read_at"
)


class Notificacao(Struct, kw_only=True):
    """GET /api/notificacoes/designer element, every field the client reads."""

    id: int
    notification_id: str
    user_id: int
    order_id: int
    art_id: int | None = None
    tipo: str
    titulo: str
    mensagem: str
    visualizada: bool
    created_at: str
    read_at: str | None = None


def notificacao_from_row(row: Sequence[Any]) -> Notificacao:
    """Build a Notificacao from a row of NOTIFICACAO_COLUMNS."""
    id_, uuid, user_id, order_id, art_id, tipo, titulo, mensagem, vista, created, read_at = row
    return Notificacao(
        id=id_, notification_id=uuid, user_id=user_id, order_id=order_id, art_id=art_id, tipo=tipo,
        titulo=titulo, mensagem=mensagem, visualizada=bool(vista), created_at=created, read_at=read_at,
    )  # fmt: skip


def designer_recipients(items: Sequence[Mapping[str, Any]], users: Sequence[tuple[int, str]]) -> list[tuple[int, int]]:
    """(user id, item index) for each item whose `designer` names an active user.

    Orders store the designer's *name*; a user receives the item when its
    username equals that name ignoring case, accents and extra spaces.
    """
    by_name: dict[str, list[int]] = {}
    for user_id, username in users:
        by_name.setdefault(fold(username), []).append(user_id)
    out: list[tuple[int, int]] = []
    for index, item in enumerate(items):
        designer = item.get("designer")
        if isinstance(designer, str) and designer.strip():
            out.extend((user_id, index) for user_id in by_name.get(fold(designer), []))
    return out


def art_ready_texts(numero: str, cliente: str, item: Mapping[str, Any]) -> tuple[str, str]:
    """(title, message) of an art-ready notification."""
    what = item.get("descricao") or item.get("tipo_producao") or "item"
    return (
        f"Pedido {numero} liberado para arte",
        f'O financeiro liberou o pedido {numero} de {cliente}: a arte de "{what}" pode começar.',
    )
