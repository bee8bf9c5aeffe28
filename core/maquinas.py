"""The production queue per machine (GET /maquinas/dashboard/overview), computed from pedido docs (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

__all__ = ["QUEUE_STATUSES", "MachineQueueItem", "MachineOverview", "machine_overview"]

# The old server's queue: pedidos not yet ready.
QUEUE_STATUSES = ("pendente", "em_producao")


class MachineQueueItem(msgspec.Struct, kw_only=True):
    """One item waiting on a machine (field names the client's machine panel reads)."""

    order_id: int
    order_number: str | None = None
    item_index: int
    item_name: str | None = None  # descricao, else tipo_producao
    dimensions: str | None = None  # "<largura>x<altura>"
    material: str | None = None  # tecido
    date_due: str | None = None
    preview_url: str | None = None  # the item's imagem as stored
    status: str
    priority: str


class MachineOverview(msgspec.Struct, kw_only=True):
    """One active machine and its queue."""

    machine_id: int
    machine_name: str
    total_items: int = 0
    total_area: float = 0.0
    queue: list[MachineQueueItem] = msgspec.field(default_factory=list)


def _machine_id(value: Any) -> int | None:
    """Items carry machine_id as a number or numeric text (older clients); anything else is no machine."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _area(value: Any) -> float:
    """metro_quadrado as written by the client: "10,50" or "10.50"; unreadable counts as 0."""
    try:
        return float(str(value).replace(",", ".")) if value not in (None, "") else 0.0
    except ValueError:
        return 0.0


def machine_overview(machines: Iterable[tuple[int, str]], pedidos: Iterable[dict[str, Any]]) -> list[MachineOverview]:
    """Active machines (id, name) by name, each with the items of open pedidos assigned to it."""
    board = {machine_id: MachineOverview(machine_id=machine_id, machine_name=name) for machine_id, name in machines}
    for pedido in pedidos:
        for index, item in enumerate(pedido.get("items") or []):
            entry = board.get(_machine_id(item.get("machine_id")))  # type: ignore[arg-type]
            if entry is None:  # no machine, or an inactive or deleted one
                continue
            largura, altura = item.get("largura"), item.get("altura")
            entry.queue.append(
                MachineQueueItem(
                    order_id=pedido["id"],
                    order_number=pedido.get("numero"),
                    item_index=index,
                    item_name=item.get("descricao") or item.get("tipo_producao"),
                    dimensions=f"{largura or ''}x{altura or ''}" if largura or altura else None,
                    material=item.get("tecido"),
                    date_due=pedido.get("data_entrega"),
                    preview_url=item.get("imagem"),
                    status=pedido.get("status") or "pendente",
                    priority=pedido.get("prioridade") or "NORMAL",
                )
            )
            entry.total_items += 1
            entry.total_area += _area(item.get("metro_quadrado"))
    for entry in board.values():
        entry.total_area = round(entry.total_area, 4)  # sums of decimal text: drop float noise
    return sorted(board.values(), key=lambda entry: entry.machine_name)
