"""Server-side pricing of pedido items and totals, as the SGP client relies on it (contract pricing-dates.md).

The client's own totals are estimates: for painel-like items it sends
`valor_unitario = valor_painel` without the extras, and the server computes the
real unit price; every other item (and one without `tipo_producao`) keeps the
price it was sent. Quantities travel as strings (`"2"`, `"2,5"`, `""`).
"""

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .money import format_money, parse_money
from .text import fold

__all__ = [
    "COMPOSED_TYPES",
    "composed_price",
    "item_quantity",
    "parse_quantity",
    "totals",
]

# Types whose unit price the server composes from valor_painel and the extras.
COMPOSED_TYPES = frozenset({"painel", "generica", "mesa_babado"})
_QUANTITY_FIELD_BY_TYPE = {
    "painel": "quantidade_paineis",
    "generica": "quantidade_paineis",
    "mesa_babado": "quantidade_paineis",
    "totem": "quantidade_totem",
    "lona": "quantidade_lona",
    "adesivo": "quantidade_adesivo",
    "canga": "quantidade_canga",
    "impressao_3d": "quantidade_impressao_3d",
    "mochilinha": "quantidade_mochilinha",
    "bolsinha": "quantidade_mochilinha",
}
_MAX_QUANTITY = 1_000_000  # bounded so totals stay exact in Decimal


def parse_quantity(value: object) -> int | None:
    """A quantity as an integer (``"2,5"`` rounds half-up to 3); None when empty; ValueError when not a number."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError("quantidade inválida: booleano não é uma quantidade")
        return None
    text = str(value).strip().replace(",", ".")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"quantidade inválida: {str(value)[:40]!r}") from None
    if not amount.is_finite() or amount < 0 or amount > _MAX_QUANTITY:
        raise ValueError(f"quantidade inválida: {str(value)[:40]!r} (de 0 a {_MAX_QUANTITY})")
    return int(amount.quantize(Decimal(1), ROUND_HALF_UP))


def _units(value: object) -> int:
    """Pricing quantity: at least 1 (an empty or zero quantity still counts one unit, as the old server did)."""
    try:
        return max(parse_quantity(value) or 0, 1)
    except ValueError:
        return 1


def composed_price(item: Mapping[str, Any]) -> Decimal:
    """Unit price of a painel-like item: valor_painel + valores_adicionais + eyelets + cord."""
    finish = fold(str(item.get("tipo_acabamento") or ""))
    price = parse_money(item.get("valor_painel")) + parse_money(item.get("valores_adicionais"))
    if "ilho" in finish:
        price += _units(item.get("quantidade_ilhos")) * parse_money(item.get("valor_ilhos"))
    if "cordinha" in finish:
        price += _units(item.get("quantidade_cordinha")) * parse_money(item.get("valor_cordinha"))
    return price


def item_quantity(item: Mapping[str, Any]) -> int:
    """Units an item counts for: its type's quantity field, else quantidade_paineis, at least 1."""
    field = _QUANTITY_FIELD_BY_TYPE.get(item.get("tipo_producao") or "", "quantidade_paineis")
    value = item.get(field)
    if value in (None, ""):
        value = item.get("quantidade_paineis")
    return _units(value)


def totals(items: list[dict[str, Any]], valor_frete: object) -> dict[str, str]:
    """`valor_itens` (Σ unit price × quantity) and `valor_total` (+ freight) as "X.XX" strings."""
    valor_itens = sum(
        (parse_money(item.get("valor_unitario")) * item_quantity(item) for item in items),
        Decimal(0),
    )
    return {
        "valor_itens": format_money(valor_itens),
        "valor_total": format_money(valor_itens + parse_money(valor_frete)),
    }
