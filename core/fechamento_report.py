"""The grouped closing report (`GET /relatorios-fechamentos/pedidos/relatorio`), from report rows (pure).

Each pedido is split into its items ("units"); an item's service value is
its unit price times its units, and the pedido's freight goes either whole to
its first item (`por_pedido`: counted once per pedido) or split in
proportion to the items' values (`proporcional`). Groups are by a pedido
field (cliente, forma de envio, a date) or an item field (designer, vendedor).
Amounts are integer cents throughout, formatted once at the end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from typing import Any

from .money import format_money
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
# A report row of readers.reports.report_units, by position.
_PEDIDO, _NUMERO, _CLIENTE, _ENVIO, _ENTRADA, _ENTREGA, _FRETE, _IDX, _DESCRICAO, _TIPO, _DESIGNER, _VENDEDOR, _VALOR = (
    range(13)
)
_COLUMN = {"cliente": _CLIENTE, "entrega": _ENVIO, "designer": _DESIGNER, "vendedor": _VENDEDOR,
           "data_entrada": _ENTRADA, "data_entrega": _ENTREGA}  # fmt: skip
Unit = tuple[Sequence[Any], int, int]  # the row, its freight share (cents), its service value (cents)


def _units(rows: Sequence[Sequence[Any]], proportional: bool) -> list[Unit]:
    units: list[Unit] = []
    for _, group in groupby(rows, key=lambda r: r[_PEDIDO]):
        items = list(group)
        frete = int(items[0][_FRETE] or 0)
        values = [int(r[_VALOR] or 0) for r in items]
        shares = [0] * len(items)
        if not proportional:
            shares[0] = frete
        else:
            total = sum(values)
            for n, value in enumerate(values[:-1]):  # rounded half up, in cents
                shares[n] = (2 * frete * value + total) // (2 * total) if total else frete // len(items)
            shares[-1] = frete - sum(shares[:-1])  # the remainder: shares add up to the freight
        units.extend(zip(items, shares, values, strict=True))
    return units


def _key(unit: Unit, dim: str, date_mode: str) -> str:
    if dim == "data":
        dim = "data_entrega" if date_mode == "entrega" else "data_entrada"
    value = unit[0][_COLUMN[dim]]
    return str(value or "").strip()[: 10 if dim.startswith("data") else None]


def _label(dim: str, key: str) -> str:
    if not key:
        return _EMPTY_LABEL.get(dim, "Não informado")
    if dim.startswith("data"):
        return f"{key[8:10]}/{key[5:7]}/{key[0:4]}" if len(key) == 10 else key
    return key


def _money(cents: int) -> str:
    return format_money(Decimal(cents).scaleb(-2))


def _sum(units: list[Unit]) -> dict[str, str]:
    return {"valor_frete": _money(sum(u[1] for u in units)), "valor_servico": _money(sum(u[2] for u in units))}


def _rows(units: list[Unit], per_item: bool) -> list[dict[str, Any]]:
    if per_item:
        return [
            {"ficha": u[0][_NUMERO], "descricao": u[0][_DESCRICAO] or u[0][_TIPO] or "", **_sum([u])} for u in units
        ]
    by_pedido: dict[Any, list[Unit]] = defaultdict(list)
    for unit in units:
        by_pedido[unit[0][_PEDIDO]].append(unit)
    return [{"ficha": g[0][0][_NUMERO], "descricao": g[0][0][_CLIENTE], **_sum(g)} for g in by_pedido.values()]


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
    rows: Sequence[Sequence[Any]], report_type: str, start: str, end: str, *, date_mode: str, status: str | None,
    frete_distribution: str, now: datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The report's JSON from report rows (one per item, pedido-ordered): title, labels, groups, total."""
    dims = REPORT_TYPES[report_type]
    units = _units(rows, frete_distribution == "proporcional")
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
