"""The report index rows of a pedido, written by the writer from the Pedido it stores (migration #8).

Migrations 6 and 7 kept `report_pedidos` / `report_itens` with triggers that
parsed each stored document again with ~20 `json_extract` calls per item
(+450 µs of writer CPU per create, bench/report_triggers.py). The writer
already holds the pedido as a struct, so it binds each value the triggers
extracted (as `json_extract` would return it) to the very same SQL
expressions (core.report_sql, with each `json_extract(item, '$.f')` replaced
by a parameter `:f`): the same rows, computed by the same SQL, without parsing
JSON. Items of the shapes the API stores take a cheaper path (the plain path
below: Python computes what SQLite would). On an update only the rows and
columns whose inputs changed are written. Deletes keep migration 6's
`report_pedidos_delete` trigger (no JSON in it). The definition of the rows
stays migration 6's backfill; tests/writer/test_report_index*.py hold this
module to it.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Mapping
from typing import Any

import msgspec

from core.domain import Pedido
from core.report_sql import cents, consumption_m2, item_quantity

__all__ = ["insert_report_rows", "update_report_rows", "delete_report_rows"]

_encode = msgspec.json.Encoder().encode
_ITEM = "ITEM"
_PATH = re.compile(r"json_extract\(ITEM, '\$\.([a-z_]+(?:\.[a-z_]+)?)'\)")
_CASE_PATH = re.compile(r"json_extract\(ITEM, (CASE :tipo_producao [^()]*? END)\)")


def _bind(expr: str) -> str:
    """The trigger's expression over item JSON, reading parameters instead (`:acabamento_ilhos` for its path)."""
    expr = _PATH.sub(lambda m: ":" + m[1].replace(".", "_"), expr)
    # item_quantity reads a path chosen by the item's type: choose the parameter instead.
    expr = _CASE_PATH.sub(lambda m: "(" + re.sub(r"'\$\.([a-z_]+)'", r":\1", m[1]) + ")", expr)
    if "json_extract" in expr or _ITEM in expr:
        raise RuntimeError(f"report expression left unbound: {expr[:80]}")
    return expr


def _x(field: str) -> str:
    return f"json_extract({_ITEM}, '$.{field}')"


def _text(field: str) -> str:
    return f"nullif(trim({_x(field)}), '')"


def _flag(field: str) -> str:
    return f"coalesce({_x('acabamento.' + field)}, 0) = 1"


_SHARED = ("data_entrega", "status", "cliente_busca")  # columns every item row copies from its pedido
# Column -> SQL over parameters, exactly as migration 6's _fill (writer/report_index.py) computes it.
_ITEM_EXPR: dict[str, str] = {name: f":{name}" for name in _SHARED} | {
    name: _bind(expr)
    for name, expr in {
        **{f: _text(f) for f in ("tipo_producao", "designer", "vendedor", "tecido", "descricao")},
        "valor_cents": f"{cents(_x('valor_unitario'))} * {item_quantity(_ITEM)}",
        "consumo_m2": consumption_m2(_ITEM),
        **{f: _flag(f) for f in ("overloque", "elastico", "ilhos")},
        "emenda": f"coalesce({_x('emenda')}, '') NOT IN ('', 'sem-emenda')",
        "qtd_ilhos": f"max(coalesce(CAST({_x('quantidade_ilhos')} AS INTEGER), 0), 0)",
    }.items()
}
_PEDIDO_EXPR: dict[str, str] = {name: f":{name}" for name in (*_SHARED, "numero", "cliente", "n_itens")} | {
    "forma_envio": "nullif(trim(:forma_envio), '')",
    "total_cents": cents(":valor_total"),
    "frete_cents": cents(":valor_frete"),
    "itens_cents": cents(":valor_itens"),
}
_PARAM = re.compile(r":([a-z_]+)")
# Parameter -> the item path it stands for.
_ITEM_PATHS: dict[str, tuple[str, ...]] = {
    name: tuple(name.split("_", 1)) if name.startswith("acabamento_") else (name,)
    for expr in _ITEM_EXPR.values()
    for name in _PARAM.findall(expr)
    if name not in _SHARED
}
# Column -> the parameters it reads: an update rewrites a column only when one of them changed.
_ITEM_USES = {column: frozenset(_PARAM.findall(expr)) for column, expr in _ITEM_EXPR.items()}
_PEDIDO_USES = {column: frozenset(_PARAM.findall(expr)) for column, expr in _PEDIDO_EXPR.items()}


def _insert(table: str, exprs: Mapping[str, str], key: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join((*key, *exprs))}) VALUES ({', '.join(f':{k}' for k in key)}, {', '.join(exprs.values())})"


_INSERT_PEDIDO = _insert("report_pedidos", _PEDIDO_EXPR, ("data_entrada", "pedido_id"))
_INSERT_ITEM = _insert("report_itens", _ITEM_EXPR, ("data_entrada", "pedido_id", "idx"))
_KEY = "data_entrada = :data_entrada AND pedido_id = :pedido_id"
_INT64 = range(-(2**63), 2**63)


def _sql_value(value: Any) -> Any:
    """What `json_extract` returns for this JSON value: booleans as 0/1, objects and arrays as JSON text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value if value in _INT64 else float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None  # the JSON encoder writes NaN and infinities as null
    return _encode(value).decode()


_TOP = tuple(name for name, path in _ITEM_PATHS.items() if len(path) == 1)
_ACABAMENTO = tuple((name, path[1]) for name, path in _ITEM_PATHS.items() if path[0] == "acabamento")


# The plain path: most items hold only the value shapes the API stores (text or null names, a
# "12.34" price, integer quantities, boolean flags). For those the writer computes every column
# but consumo_m2 in Python, exactly as SQLite does (each rule below says why it is exact), and
# binds them as they are; consumo_m2 (a REAL whose text-to-float conversion only SQLite can
# reproduce bit for bit) stays in SQL. Any other shape takes the full SQL above.
_CONSUMO = ("metro_quadrado", "largura", "altura", "quantidade_paineis", "quantidade_lona", "quantidade_adesivo",
            "quantidade_totem")  # fmt: skip
# The order of _plain_row's values.
_FAST_COLUMNS = (*_SHARED, "tipo_producao", "designer", "vendedor", "tecido", "descricao", "valor_cents",
                 "overloque", "elastico", "ilhos", "emenda", "qtd_ilhos")  # fmt: skip
if {*_FAST_COLUMNS, "consumo_m2"} != set(_ITEM_EXPR) or not set(_CONSUMO) <= set(_ITEM_PATHS):
    raise RuntimeError("the plain path's columns no longer match report_itens")
_CONSUMO_SQL = _PARAM.sub(lambda m: f"?{len(_FAST_COLUMNS) + 4 + _CONSUMO.index(m[1])}", _ITEM_EXPR["consumo_m2"])
_INSERT_ITEM_PLAIN = (
    f"INSERT INTO report_itens (data_entrada, pedido_id, idx, {', '.join(_FAST_COLUMNS)}, consumo_m2) "
    f"VALUES ({', '.join(f'?{i}' for i in range(1, len(_FAST_COLUMNS) + 4))}, {_CONSUMO_SQL})"
)
_QUANTITY_OF = {"painel": "quantidade_paineis", "generica": "quantidade_paineis", "mesa_babado": "quantidade_paineis",
                "totem": "quantidade_totem", "lona": "quantidade_lona", "adesivo": "quantidade_adesivo"}  # fmt: skip
# A normalised price: round(x * 100) is its digits (x is within far less than 0.005 of them).
# Bounded with the quantities below so price x units stays an int64 (SQLite would go REAL).
_MONEY = re.compile(r"-?[0-9]{1,10}\.[0-9]{2}")
_DIGITS = re.compile(r"[0-9]{1,6}")  # CAST(text AS INTEGER) of plain digits is their value


class _NotPlain(Exception):
    """A value whose SQL semantics the plain path does not reproduce: use the full SQL."""


def _whole(value: Any, default: int) -> int:
    """CAST(value AS INTEGER), or `default` for null, for plain shapes."""
    if value is None:
        return default
    if value.__class__ is int or value.__class__ is bool:  # json_extract gives true as 1
        if -(10**6) < value < 10**6:
            return int(value)
    elif value.__class__ is str and _DIGITS.fullmatch(value):
        return int(value)
    raise _NotPlain


def _text_column(value: Any) -> str | None:
    """nullif(trim(value), ''): SQLite's trim() removes spaces only."""
    if value is None:
        return None
    if value.__class__ is not str:
        raise _NotPlain
    return value.strip(" ") or None


def _plain_row(head: dict[str, Any], idx: int, item: Any) -> tuple[Any, ...]:
    if item.__class__ is not dict:
        raise _NotPlain
    get = item.get
    price = get("valor_unitario")
    if price is None:
        cents_ = 0  # num(NULL) is 0
    elif price.__class__ is str and _MONEY.fullmatch(price):
        cents_ = int(price.replace(".", ""))
    else:
        raise _NotPlain
    tipo = get("tipo_producao")
    field = _QUANTITY_OF.get(tipo) if tipo.__class__ is str else None  # CASE: text equals text only
    units = max(_whole(get(field) if field else None, 1), 1)
    acabamento = get("acabamento")
    flags = acabamento if acabamento.__class__ is dict else {}
    emenda = get("emenda")
    if emenda is not None and emenda.__class__ is not str:
        raise _NotPlain
    return (
        head["data_entrada"], head["pedido_id"], idx, head["data_entrega"], head["status"], head["cliente_busca"],
        *(_text_column(get(f)) for f in ("tipo_producao", "designer", "vendedor", "tecido", "descricao")),
        cents_ * units,
        # coalesce(x, 0) = 1: a number equal to 1 (true is 1); text never equals a number.
        *(int(v.__class__ in (int, bool, float) and v == 1) for v in map(flags.get, ("overloque", "elastico", "ilhos"))),
        int(emenda is not None and emenda not in ("", "sem-emenda")),
        max(_whole(get("quantidade_ilhos"), 0), 0),
        *(_sql_value(get(f)) for f in _CONSUMO),
    )  # fmt: skip


def _insert_items(conn: sqlite3.Connection, head: dict[str, Any], items: list[Any], first: int = 0) -> None:
    """Insert item rows `first`...: the plain path for the items that allow it, the full SQL for the rest."""
    plain: list[tuple[Any, ...]] = []
    full: list[dict[str, Any]] = []
    for idx in range(first, len(items)):
        try:
            plain.append(_plain_row(head, idx, items[idx]))
        except _NotPlain:
            full.append(_item(head, idx, items[idx]))
    if plain:
        conn.executemany(_INSERT_ITEM_PLAIN, plain)
    if full:
        conn.executemany(_INSERT_ITEM, full)


def _item(head: dict[str, Any], idx: int, item: Any) -> dict[str, Any]:
    """Parameters of one item row: the pedido's own columns, its index and each path's value."""
    params = head | {"idx": idx}
    if item.__class__ is not dict:  # json_extract finds no path in a non-object
        return params | dict.fromkeys(_ITEM_PATHS)
    get = item.get
    for name in _TOP:
        value = get(name)
        params[name] = value if value is None or value.__class__ is str else _sql_value(value)
    acabamento = get("acabamento")
    for name, key in _ACABAMENTO:
        params[name] = _sql_value(acabamento.get(key)) if acabamento.__class__ is dict else None
    return params


def _head(p: Pedido, columns: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters of the pedido's row; `columns` are its `pedidos` columns as stored."""
    return {
        "pedido_id": p.id,
        "data_entrada": columns["data_entrada"],
        "data_entrega": columns["data_entrega"],
        "status": columns["status"],
        "cliente_busca": columns["cliente_busca"],
        "numero": columns["numero"],
        "cliente": columns["cliente"],
        "n_itens": len(p.items),
        "forma_envio": _sql_value(p.forma_envio),
        "valor_total": _sql_value(p.valor_total),
        "valor_frete": _sql_value(p.valor_frete),
        "valor_itens": _sql_value(p.valor_itens),
    }


def insert_report_rows(conn: sqlite3.Connection, p: Pedido, columns: Mapping[str, Any]) -> None:
    """Write a new pedido's report rows (`columns`: its `pedidos` row, column name -> value)."""
    head = _head(p, columns)
    conn.execute(_INSERT_PEDIDO, head)
    _insert_items(conn, head, p.items)


def delete_report_rows(conn: sqlite3.Connection, pedido_id: int, data_entrada: str) -> None:
    """Remove a pedido's report rows (by their key: the `data_entrada` column they were written with)."""
    key = {"data_entrada": data_entrada, "pedido_id": pedido_id}
    conn.execute(f"DELETE FROM report_itens WHERE {_KEY}", key)
    conn.execute(f"DELETE FROM report_pedidos WHERE {_KEY}", key)


def _changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> set[str]:
    # By type too: 1, 1.0, True and "1" are different SQL values.
    return {k for k, v in new.items() if type(v) is not type(old.get(k)) or v != old.get(k)}


def _same_json(old: Any, new: Any) -> bool:
    """Equal JSON: every value the rows read from it is the same (1, 1.0 and true differ here too)."""
    return old is new or _encode(old) == _encode(new)


_UPDATES: dict[tuple[str, tuple[str, ...], str], str] = {}


def _update(conn: sqlite3.Connection, table: str, columns: tuple[str, ...], where: str, params: Any) -> None:
    """UPDATE only `columns`: an unchanged column touches none of the table's indexes."""
    sql = _UPDATES.get((table, columns, where))
    if sql is None:
        exprs = _ITEM_EXPR if table == "report_itens" else _PEDIDO_EXPR
        sets = ", ".join(f"{c} = {exprs[c]}" for c in columns)
        sql = _UPDATES.setdefault((table, columns, where), f"UPDATE {table} SET {sets} WHERE {where}")
    conn.execute(sql, params)


def update_report_rows(
    conn: sqlite3.Connection, old: Pedido, old_columns: Mapping[str, Any], new: Pedido, columns: Mapping[str, Any]
) -> None:
    """Bring the report rows of `old` (as stored) to `new`, writing only what changed."""
    old_head, head = _head(old, old_columns), _head(new, columns)
    if (old_head["data_entrada"], old_head["pedido_id"]) != (head["data_entrada"], head["pedido_id"]):
        delete_report_rows(conn, old_head["pedido_id"], old_head["data_entrada"])
        insert_report_rows(conn, new, columns)
        return
    changed = _changed(old_head, head)
    if cols := tuple(c for c, uses in _PEDIDO_USES.items() if uses & changed):
        _update(conn, "report_pedidos", cols, _KEY, head)
    # The pedido's own columns on every item row: one statement for all of them.
    if shared := tuple(c for c in _SHARED if c in changed):
        _update(conn, "report_itens", shared, _KEY, head)
    if _same_json(old.items, new.items):  # most patches: status, flags, notes
        return
    for idx, (before, after) in enumerate(zip(old.items, new.items, strict=False)):
        if _same_json(before, after):
            continue
        new_params = _item(head, idx, after)
        own = _changed(_item(head, idx, before), new_params)  # the same head: only the item's own paths
        if cols := tuple(c for c, uses in _ITEM_USES.items() if uses & own):
            _update(conn, "report_itens", cols, f"{_KEY} AND idx = :idx", new_params)
    if len(new.items) > len(old.items):
        _insert_items(conn, head, new.items, len(old.items))
    elif len(new.items) < len(old.items):
        conn.execute(f"DELETE FROM report_itens WHERE {_KEY} AND idx >= :n_itens", head)
