"""Normalisers of single pedido fields as the desktop client sends them (pure, no I/O).

Each takes the decoded value and returns the stored one, or raises ValueError
with a Portuguese message (the caller names the field). They are idempotent:
structs are re-validated when decoded again from the writer channel.
"""

import re
from datetime import UTC, date, datetime

from .money import format_money, parse_money
from .pricing import parse_quantity
from .text import fold

__all__ = [
    "normalize_business_date",
    "normalize_cliente",
    "normalize_entrada",
    "normalize_moment",
    "normalize_money",
    "normalize_numero",
    "normalize_prioridade",
    "normalize_quantity",
    "normalize_tipo",
    "normalize_uf",
    "split_cidade",
    "today_utc",
]

_UF_SUFFIX = re.compile(r"^(?P<cidade>.*?)\s+-\s+(?P<uf>[A-Za-z]{2})$")
_NUMERO_DIGITS = 10
_TYPE_SEPARATORS = re.compile(r"[\s-]+")
_PRIORIDADES = ("NORMAL", "ALTA")


def normalize_money(value: object) -> str:
    """Any accepted amount as the wire's "X.XX" string."""
    return format_money(parse_money(value))


def normalize_quantity(value: object) -> object:
    """A quantity kept as sent, once it is known to parse."""
    parse_quantity(value)  # refuses garbage; the value itself is kept as the client sent it
    return value.strip() if isinstance(value, str) else value


def normalize_tipo(value: str | None) -> str | None:
    """`tipo_producao` lowercased, accents folded, separators as `_`; None stays None."""
    # An item without a type stays without one: it keeps the price it was sent.
    return _TYPE_SEPARATORS.sub("_", fold(value or "")) or None


def normalize_numero(value: str | int | None) -> str | None:
    """The OS number's 10-digit form (`"123"` → `"0000000123"`); empty means "assign one"."""
    if value is None or not (numero := str(value).strip()):
        return None
    if not (numero.isascii() and numero.isdigit() and len(numero) <= _NUMERO_DIGITS and int(numero) > 0):
        raise ValueError(f"numero deve ter de 1 a {_NUMERO_DIGITS} dígitos (ex.: 0000000123)")
    return numero.zfill(_NUMERO_DIGITS)


def today_utc() -> str:
    """Today's date in UTC, as the client's default `data_entrada` (YYYY-MM-DD)."""
    return datetime.now(UTC).date().isoformat()


def normalize_business_date(value: str | None) -> str | None:
    """`YYYY-MM-DD` or an ISO datetime, kept as sent (the client shows its first 10 characters)."""
    if value is None or not (text := value.strip()):
        return None
    try:
        if len(text) == 10:
            date.fromisoformat(text)
        else:
            datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"data inválida: {value[:40]!r}; use AAAA-MM-DD") from None
    return text


def normalize_entrada(value: str | None) -> str:
    """`data_entrada`: empty means today (UTC), as the client's own default."""
    return normalize_business_date(value) or today_utc()


def normalize_uf(value: str | None) -> str | None:
    """The state as its uppercase UF."""
    return value.strip().upper() if value is not None else None


def split_cidade(cidade: str | None, estado: str | None) -> tuple[str | None, str | None]:
    """Store city and state apart: `"Vitória||ES"` and `"Vitória - ES"` give ("Vitória", "ES")."""
    if cidade is None:
        return None, estado
    uf: str | None = None
    if "||" in cidade:
        cidade, _, uf = cidade.partition("||")
    elif match := _UF_SUFFIX.match(cidade.strip()):
        cidade, uf = match["cidade"], match["uf"]
    uf = (uf or "").strip().upper() or None
    return cidade.strip(), (estado or uf or estado)


def normalize_cliente(value: str) -> str:
    """The customer name, trimmed and required."""
    if not (cliente := value.strip()):
        raise ValueError("cliente é obrigatório e não pode ficar vazio")
    return cliente


def normalize_prioridade(value: str) -> str:
    """NORMAL or ALTA, any case."""
    prioridade = value.strip().upper()
    if prioridade not in _PRIORIDADES:
        raise ValueError(f"prioridade inválida: {value!r}; valores aceitos: NORMAL, ALTA")
    return prioridade


def normalize_moment(value: str | None) -> str | None:
    """An ISO datetime, stored as naive UTC."""
    if value is None or not (moment := value.strip()):
        return None
    try:
        parsed = datetime.fromisoformat(moment)  # also accepts plain dates and a trailing Z
    except ValueError:
        message = f"data/hora inválida: {value!r}; use ISO 8601 (2024-05-31T14:30:00Z)"
        raise ValueError(message) from None
    if parsed.tzinfo is not None:  # stored as naive UTC, as the old server did
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.isoformat()
