"""Old rows to our structures: pure functions, no I/O (images are resolved in importer.images).

Each mapper returns the new value and appends to `notes` what it had to
change, so the report can say so. Rules follow sqlite-import.md ("Import
notes") and the old server's own read behaviour.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from core.domain import Pedido, format_money, parse_money
from core.status import normalize_status

__all__ = [
    "MappedPedido",
    "flag",
    "legacy_status",
    "map_pedido",
    "moment",
    "parse_items",
    "plan_numeros",
    "split_city",
]

_BR_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
# Whether Pedido keeps business dates as text (then a stored date-and-time is kept as sent) or as a date.
_DATES_AS_TEXT = {f.name: f.type for f in msgspec.structs.fields(Pedido)}["data_entrada"] is str


class MappedPedido:
    """A pedido ready to store, minus its images (the caller resolves and fills them)."""

    __slots__ = ("pedido", "original_ids")

    def __init__(self, pedido: Pedido, original_ids: list[Any]) -> None:
        self.pedido = pedido
        self.original_ids = original_ids  # each item's id before the import (None when it had none)


def legacy_status(value: Any, notes: list[str]) -> str:
    """The old server's read rule: lowercase/trim, known spellings, anything else `pendente`."""
    text = str(value or "").strip().lower()
    if text in ("penden", "pendente"):
        return "pendente"
    if text in ("concluido", "concluído", "concluida", "concluída"):
        return "entregue"  # the old server's meaning, not ours ("pronto")
    try:
        return normalize_status(text)
    except ValueError:
        notes.append(f"status {value!r} read as 'pendente' (as the old server did)")
        return "pendente"


def flag(value: Any) -> bool:
    """A BOOLEAN column: 0/1, '0'/'1', 'true'/'false', NULL (pre-baseline rows) as false."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "t", "yes", "sim")
    return bool(value)


def split_city(value: Any) -> tuple[str | None, str | None]:
    """`"Cidade||UF"` (or `"Cidade - UF"`) into city and state; a bare city keeps no state."""
    if value is None:
        return None, None
    text = str(value)
    for separator in ("||", " - "):
        if separator in text:
            city, _, state = text.partition(separator)
            state = state.strip()
            if separator == " - " and not (len(state) == 2 and state.isalpha()):
                continue  # "Rio - Centro" is a place name, not a state
            return city.strip() or None, state.upper() or None
    return text, None


def moment(value: Any) -> str | None:
    """A stored DATETIME (`YYYY-MM-DD HH:MM:SS[.ffffff]`, ISO with offset, epoch seconds) as ISO UTC with Z."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and re.fullmatch(r"\d{9,11}(\.\d+)?", value)):
        return datetime.fromtimestamp(float(value), UTC).replace(tzinfo=None).isoformat() + "Z"
    text = str(value).strip().replace(" ", "T", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.isoformat() + "Z"


def _day(value: Any) -> date | None:
    if value is None:
        return None
    text = str(value).strip()
    if match := _BR_DATE.fullmatch(text[:10]):
        text = f"{match.group(3)}-{match.group(2)}-{match.group(1)}"
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _money(value: Any, name: str, notes: list[str]) -> str | None:
    if value is None or value == "":
        return None
    try:
        return format_money(parse_money(value))
    except ValueError:
        notes.append(f"{name} {value!r} is not an amount; read as 0.00")
        return "0.00"


def parse_items(raw: Any, notes: list[str]) -> list[dict[str, Any]]:
    """`pedidos.items` JSON: NULL/empty is no items; unreadable JSON is reported (the old server showed none)."""
    if raw is None or (isinstance(raw, (str, bytes)) and not raw.strip()):
        return []
    try:
        items = json.loads(raw)
    except (ValueError, TypeError):
        shown = raw if len(raw) <= 200 else raw[:200] + "..."
        notes.append(f"items column is not JSON; imported without items (it held {shown!r})")
        return []
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        notes.append("items column is not a JSON array; imported without items")
        return []
    kept = [item for item in items if isinstance(item, dict)]
    if len(kept) != len(items):
        notes.append(f"{len(items) - len(kept)} item(s) that are not JSON objects dropped")
    return kept


def plan_numeros(
    rows: list[tuple[int, str | None]], taken: set[str], counter: int
) -> tuple[dict[int, str], list[str], int]:
    """Keep each numero once (lowest id), renumber duplicates and empty ones after the highest.

    Returns (id -> numero for every row, one line per renumbering, the highest numeric numero).
    """
    kept: dict[int, str] = {}
    renumber: list[tuple[int, str | None, str]] = []
    seen = set(taken)
    highest = counter
    for pedido_id, numero in rows:
        text = str(numero).strip() if numero is not None else ""
        if text.isdigit() and len(text) <= 18:
            highest = max(highest, int(text))
        if not text:
            renumber.append((pedido_id, numero, "empty numero"))
        elif text in seen:
            renumber.append((pedido_id, numero, "duplicate numero"))
        else:
            seen.add(text)
            kept[pedido_id] = text
    lines = []
    for pedido_id, old, reason in renumber:
        while f"{highest + 1:010d}" in seen:
            highest += 1
        highest += 1
        new = f"{highest:010d}"
        seen.add(new)
        kept[pedido_id] = new
        lines.append(f"pedido {pedido_id}: numero {old!r} -> {new!r} ({reason})")
    return kept, lines, highest


def map_pedido(row: dict[str, Any], numero: str, notes: list[str]) -> MappedPedido:
    """An old `pedidos` row as our Pedido (items keep every key; images are filled by the caller)."""
    pedido_id = int(row["id"])
    criado = moment(row["data_criacao"])
    entrada = _day(row["data_entrada"])
    if entrada is None:
        entrada = _day(criado) or datetime.now(UTC).date()
        notes.append(f"data_entrada {row['data_entrada']!r} unreadable; set to {entrada.isoformat()}")
    elif len(str(row["data_entrada"]).strip()) > 10 and not _DATES_AS_TEXT:
        notes.append(f"data_entrada {row['data_entrada']!r} kept as its date {entrada.isoformat()}")
    entrega = _day(row["data_entrega"])
    if row["data_entrega"] not in (None, "") and entrega is None:
        notes.append(f"data_entrega {row['data_entrega']!r} unreadable; left empty")
    if criado is None:
        # The old list skipped such rows silently; the contract says fill it from data_entrada.
        criado = f"{entrada.isoformat()}T00:00:00Z"
    prioridade = str(row["prioridade"] or "NORMAL").strip().upper()
    if prioridade not in ("NORMAL", "ALTA"):
        notes.append(f"prioridade {row['prioridade']!r} read as NORMAL")
        prioridade = "NORMAL"
    cidade, estado = split_city(row["cidade_cliente"])
    items = parse_items(row["items"], notes)
    original_ids = [item.get("id") for item in items]
    for index, item in enumerate(items):
        value = item.get("id")
        if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 18:
            item["id"] = value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            if value is not None:
                item["id_original"] = value
            # The id the client and print_logs already use for an item without one.
            item["id"] = pedido_id * 1000 + index
    frete = _money(row["valor_frete"], "valor_frete", notes) or "0.00"
    itens = _money(row["valor_itens"], "valor_itens", notes)
    total = _money(row["valor_total"], "valor_total", notes)
    if itens is None:
        itens = format_money(sum((parse_money(_safe(i.get("valor_unitario"))) for i in items), parse_money(0)))
    if total is None:
        total = format_money(parse_money(itens) + parse_money(frete))
    cliente = str(row["cliente"] or "").strip()
    if not cliente:
        notes.append("cliente empty; kept empty")
    forma_envio_id = row["forma_envio_id"]
    liberado = moment(row["financeiro_liberado_em"])
    if liberado is None and row["financeiro_liberado_em"] not in (None, ""):
        notes.append(f"financeiro_liberado_em {row['financeiro_liberado_em']!r} unreadable; left empty")
    pedido = Pedido(
        id=pedido_id,
        numero=numero,
        data_entrada=_as_stored(row["data_entrada"], entrada),  # type: ignore[arg-type]  # entrada is a date here
        data_entrega=_as_stored(row["data_entrega"], entrega),
        observacao=row["observacao"],
        prioridade=prioridade,  # type: ignore[arg-type]
        status=legacy_status(row["status"], notes),  # type: ignore[arg-type]
        cliente=cliente,
        telefone_cliente=row["telefone_cliente"],
        cidade_cliente=cidade,
        estado_cliente=estado,
        valor_total=total,
        valor_frete=frete,
        valor_itens=itens,
        tipo_pagamento=None if row["tipo_pagamento"] is None else str(row["tipo_pagamento"]),
        obs_pagamento=row["obs_pagamento"],
        forma_envio=row["forma_envio"],
        forma_envio_id=int(forma_envio_id) if str(forma_envio_id or "").lstrip("-").isdigit() else 0,
        financeiro=flag(row["financeiro"]),
        conferencia=flag(row["conferencia"]),
        sublimacao=flag(row["sublimacao"]),
        costura=flag(row["costura"]),
        expedicao=flag(row["expedicao"]),
        pronto=flag(row["pronto"]),
        sublimacao_maquina=row["sublimacao_maquina"],
        sublimacao_data_impressao=None
        if row["sublimacao_data_impressao"] is None
        else str(row["sublimacao_data_impressao"]),
        financeiro_liberado_em=liberado,
        items=items,
        data_criacao=criado,
        ultima_atualizacao=moment(row["ultima_atualizacao"]) or criado,
        version=1,
    )
    return MappedPedido(pedido, original_ids)


def _as_stored(raw: Any, day: date | None) -> str | None:
    """The business date as ISO text (the stored text itself when Pedido keeps dates as text)."""
    if day is None:
        return None
    text = str(raw).strip() if raw is not None else ""
    if _DATES_AS_TEXT and text[:10] == day.isoformat() and moment(text) is not None:
        return text  # e.g. "2026-11-29T10:11:12", kept as the old server stored it
    return day.isoformat()


def _safe(value: Any) -> Any:
    try:
        parse_money(value)
    except ValueError:
        return None
    return value
