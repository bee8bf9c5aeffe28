"""Safira, the shop's keyword assistant: which question was asked and how to phrase the answer (pure)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

from .decoding import decode_body
from .text import fold

__all__ = ["INTENTS", "SafiraAnswer", "SafiraQuestion", "answer_text", "decode_question", "detect_intent"]


class SafiraQuestion(Struct, kw_only=True):
    """POST /safira/ask body."""

    question: Annotated[str, Meta(max_length=1000)]


class SafiraAnswer(Struct, kw_only=True):
    """The client reads `answer`; the rest tells what was understood."""

    recognized: bool
    intent: str
    answer: str
    meta: dict[str, Any] = {}


# First match wins: more specific phrases before the words they contain.
INTENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("entregas_hoje", ("entrega hoje", "entregas hoje", "entregar hoje", "para hoje")),
    ("atrasados", ("atrasad", "em atraso", "vencid")),
    ("pedidos_hoje", ("pedidos hoje", "pedido hoje", "entraram hoje", "hoje")),
    ("material_mais_usado", ("material", "tecido")),
    ("em_producao", ("producao", "produzindo")),
    ("prontos", ("pronto",)),
    ("pendentes", ("pendente",)),
    ("ajuda", ("ajuda", "o que voce sabe", "comandos")),
)
HELP = (
    "Posso responder: pedidos de hoje, entregas de hoje, pedidos atrasados, pedidos pendentes, "
    "em produção ou prontos, e o material mais usado nos últimos 30 dias."
)


def detect_intent(question: str) -> str | None:
    """The intent of a question (accents and case ignored), or None."""
    text = fold(question)
    for intent, keys in INTENTS:
        if any(key in text for key in keys):
            return intent
    return None


def answer_text(intent: str, figures: dict[str, Any]) -> str:
    """The Portuguese answer for an intent from the figures the server read."""
    n = figures.get("count", 0)
    match intent:
        case "pedidos_hoje":
            return f"Hoje entraram {n} pedido(s)."
        case "entregas_hoje":
            return f"Há {n} pedido(s) em aberto com entrega para hoje."
        case "atrasados":
            return f"Há {n} pedido(s) atrasado(s) (entrega vencida e ainda não entregues)."
        case "pendentes" | "em_producao" | "prontos":
            label = {"pendentes": "pendente(s)", "em_producao": "em produção", "prontos": "pronto(s)"}[intent]
            return f"Há {n} pedido(s) {label}."
        case "material_mais_usado":
            nome = figures.get("nome")
            if not nome:
                return "Nenhum material foi usado nos últimos 30 dias."
            return f"O material mais usado nos últimos 30 dias foi {nome} ({figures.get('area_m2', 0)} m²)."
    return HELP


_decoder = msgspec.json.Decoder(SafiraQuestion)


def decode_question(body: bytes) -> SafiraQuestion:
    """Validate the body, or raise DomainError naming the field."""
    return decode_body(_decoder, body)
