"""Money: lenient parsing into Decimal cents, canonical 2-place strings on the wire."""

import re
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["MONEY_LIMIT", "format_money", "parse_money"]

MONEY_LIMIT = Decimal(10) ** 12
_CENT = Decimal("0.01")
_ZERO = Decimal("0.00")
_MAX_TEXT = 64  # longest amount text worth parsing; far above any real price

_CURRENCY = re.compile(r"^R\$\s*", re.IGNORECASE)
# Tried in order; the first that matches the whole text decides how to read it.
_FORMATS: tuple[tuple[re.Pattern[str], dict[int, str]], ...] = (
    (re.compile(r"[0-9]+(?:\.[0-9]+)?"), str.maketrans({})),  # 1234.56 (wire format)
    (
        re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?|[0-9]+,[0-9]+"),
        str.maketrans({".": "", ",": "."}),
    ),  # 1.234,56 and 1234,56 (pt-BR)
    (re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?"), str.maketrans({",": ""})),  # 1,234.56
)


def parse_money(value: object) -> Decimal:
    """Parse an amount (number, Decimal, pt-BR or en text, ``R$`` prefix) into Decimal cents."""
    if value is None:
        return _ZERO
    if isinstance(value, bool):
        raise ValueError("valor monetário inválido: booleano não é um valor")
    if isinstance(value, str):
        amount = _parse_text(value)
    elif isinstance(value, int | Decimal):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(str(value))  # shortest repr: 2.675 stays 2.675, not 2.67499...
    else:
        raise ValueError(f"valor monetário inválido: {value!r}")
    if not amount.is_finite():
        raise ValueError(f"valor monetário inválido: {value!r}")
    if amount < 0:
        raise ValueError(f"valor monetário não pode ser negativo: {value!r}")
    if amount >= MONEY_LIMIT:  # before quantize: a huge exponent would overflow the context
        raise _too_large(value)
    amount = amount.quantize(_CENT, ROUND_HALF_UP)
    if amount >= MONEY_LIMIT:  # 999999999999.995 rounds up to the limit
        raise _too_large(value)
    return amount.copy_abs()  # turns -0.00 into 0.00


def format_money(amount: Decimal) -> str:
    """Render an amount as the wire's 2-place decimal string (``"450.00"``)."""
    return str(amount.quantize(_CENT, ROUND_HALF_UP))


def _too_large(value: object) -> ValueError:
    return ValueError(f"valor monetário alto demais (máximo {MONEY_LIMIT - _CENT}): {value!r}")


def _parse_text(text: str) -> Decimal:
    cleaned = _CURRENCY.sub("", text.strip())
    if not cleaned:
        return _ZERO
    number = cleaned.removeprefix("-").lstrip()
    if len(number) <= _MAX_TEXT:
        for pattern, table in _FORMATS:
            if pattern.fullmatch(number):
                amount = Decimal(number.translate(table))
                return -amount if cleaned.startswith("-") else amount
    raise ValueError(f"valor monetário inválido: {text[:40]!r}")
