"""The grouped closing report (`GET /relatorios-fechamentos/pedidos/relatorio`), from pedido JSON (pure).

Each pedido is split into its items ("units"); an item's service value is
its unit price times its units, and the pedido's freight goes either whole to
its first item (`por_pedido`: counted once per pedido) or split in
proportion to the items' values (`proporcional`). Groups are by a pedido
field (cliente, forma de envio, a date) or an item field (designer, vendedor).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from .domain import item_quantity
from .money import format_money, parse_money
from .text import fold

__all__ = ["REPORT_TYPES", "build_report"]

REPORT_TYPES: dict[str, tuple[str, ...]] = {
    "analitico_designer_cliente": ("designer", "cliente"),
    "analitico_cliente_designer": ("cliente", "designer"),
    "analitico_vendedor_designer": ("vendedor", "designer"),
    "analitico_designer_vendedor": ("designer", "vendedor"),
    "analitico_cliente_painel": ("cliente", "painel"),
    "analitico_designer_painel": ("designer", "painel"),
    "analitico_entrega_painel": ("entrega", "painel"),
    "sintetico_data": ("data",),
    "sintetico_data_entrada": ("data_entrada",),
    "sintetico_data_entrega": ("data_entrega",),
    "sintetico_designer": ("designer",),
    "sintetico_vendedor": ("vendedor",),
    "sintetico_vendedor_designer": ("vendedor", "designer"),
    "sintetico_cliente": ("cliente",),
    "sintetico_entrega": ("entrega",),
}
_EMPTY_LABEL = {"designer": "Sem designer", "vendedor": "Sem vendedor", "entrega": "Sem forma de envio"}
_ZERO = Decimal(0)
Unit = tuple[dict[str, Any], dict[str, Any] | None, Decimal, Decimal]  # pedido, item, frete, serviço


def _units(pedido: dict[str, Any], proportional: bool) -> list[Unit]:
    items = [i for i in pedido.get("items") or [] if isinstance(i, dict)]
    frete = parse_money(pedido.get("valor_frete"))
    if not items:
        return [(pedido, None, frete, _ZERO)]
    values = [parse_money(i.get("valor_unitario")) * item_quantity(i) for i in items]
    total = sum(values, _ZERO)
    shares = [_ZERO] * len(items)
    if not proportional:
        shares[0] = frete
    else:
        for n, value in enumerate(values[:-1]):
            shares[n] = (frete * value / total if total else frete / len(items)).quantize(Decimal("0.01"))
        shares[-1] = frete - sum(shares[:-1], _ZERO)  # the rounding remainder: shares add up to the freight
    return [(pedido, item, share, value) for item, share, value in zip(items, shares, values, strict=True)]


def _key(unit: Unit, dim: str, date_mode: str) -> str:
    pedido, item = unit[0], unit[1] or {}
    if dim in ("designer", "vendedor"):
        return str(item.get(dim) or "").strip()
    if dim == "cliente":
        return str(pedido.get("cliente") or "").strip()
    if dim == "entrega":
        return str(pedido.get("forma_envio") or "").strip()
    column = "data_entrega" if dim == "data_entrega" or (dim == "data" and date_mode == "entrega") else "data_entrada"
    return str(pedido.get(column) or "")[:10]


def _label(dim: str, key: str) -> str:
    if not key:
        return _EMPTY_LABEL.get(dim, "Não informado")
    if dim.startswith("data"):
        return f"{key[8:10]}/{key[5:7]}/{key[0:4]}" if len(key) == 10 else key
    return key


def _sum(units: list[Unit]) -> dict[str, str]:
    return {
        "valor_frete": format_money(sum((u[2] for u in units), _ZERO)),
        "valor_servico": format_money(sum((u[3] for u in units), _ZERO)),
    }


def _rows(units: list[Unit], per_item: bool) -> list[dict[str, Any]]:
    if per_item:
        return [
            {"ficha": u[0].get("numero"), "descricao": (u[1] or {}).get("descricao") or (u[1] or {}).get("tipo_producao") or "", **_sum([u])}
            for u in units
        ]
    by_pedido: dict[Any, list[Unit]] = defaultdict(list)
    for unit in units:
        by_pedido[unit[0].get("id")].append(unit)
    return [{"ficha": g[0][0].get("numero"), "descricao": g[0][0].get("cliente"), **_sum(g)} for g in by_pedido.values()]


def _group(units: list[Unit], dims: tuple[str, ...], date_mode: str) -> list[dict[str, Any]]:
    dim, rest = dims[0], dims[1:]
    buckets: dict[str, list[Unit]] = defaultdict(list)
    labels: dict[str, str] = {}
    for unit in units:
        key = _key(unit, dim, date_mode)
        folded = key if dim.startswith("data") else fold(key)
        buckets[folded].append(unit)
        labels.setdefault(folded, key)
    groups = []
    for folded in sorted(buckets, key=lambda k: (k == "", k)):
        members = buckets[folded]
        group: dict[str, Any] = {"key": labels[folded], "label": _label(dim, labels[folded])}
        if rest and rest[0] != "painel":
            group["rows"] = []
            group["subgroups"] = _group(members, rest, date_mode)
        else:
            group["rows"] = _rows(members, per_item=bool(rest))
        group["subtotal"] = _sum(members)
        groups.append(group)
    return groups


def build_report(
    pedidos: list[dict[str, Any]], report_type: str, start: str, end: str, *, date_mode: str, status: str | None,
    frete_distribution: str, now: datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The report's JSON: title, labels, `groups` (with `subgroups` for two-level types) and `total`."""
    dims = REPORT_TYPES[report_type]
    units = [u for p in pedidos for u in _units(p, frete_distribution == "proporcional")]
    moment = now or datetime.now()
    kind = "Analítico" if report_type.startswith("analitico") else "Sintético"
    period = f"{_label('data', start)} a {_label('data', end)}" if start and end else "Todo o período"
    return {
        "title": f"Relatório {kind} — " + " / ".join(d.replace("_", " ").title() for d in dims),
        "period_label": f"Período ({date_mode}): {period}",
        "status_label": f"Status: {status or 'Todos'}",
        "page": 1,
        "generated_at": moment.strftime("%d/%m/%Y, %H:%M:%S"),
        "report_type": report_type,
        "groups": _group(units, dims, date_mode) if units else [],
        "total": _sum(units),
    }
