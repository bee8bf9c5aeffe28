"""SQL expressions over item and pedido JSON, shared by the report index triggers and the report reads.

Pure string builders: the writer's migration puts them in triggers, the
readers in queries, so both compute amounts the same way. Once a migration
has shipped with them, changing one changes only new databases: keep them stable.
"""

from __future__ import annotations

__all__ = ["num", "cents", "item_quantity", "consumption_m2"]


def num(expr: str) -> str:
    """A number from a JSON value that may be a number, `"3.5"`, `"3,5"` or `"1.234,5"` (else 0)."""
    return (
        f"(CASE WHEN typeof({expr}) IN ('integer', 'real') THEN {expr} "
        f"WHEN instr({expr}, ',') > 0 THEN CAST(replace(replace({expr}, '.', ''), ',', '.') AS REAL) "
        f"ELSE coalesce(CAST({expr} AS REAL), 0) END)"
    )


def cents(expr: str) -> str:
    """Integer cents of a stored money value ("12.34"): summed exactly, formatted with Decimal by the caller."""
    return f"CAST(round({num(expr)} * 100) AS INTEGER)"


def item_quantity(item: str) -> str:
    """Units of an item as core.domain.item_quantity counts them (the quantity field of its type, at least 1)."""
    field = (
        f"CASE json_extract({item}, '$.tipo_producao') "
        "WHEN 'painel' THEN '$.quantidade_paineis' WHEN 'generica' THEN '$.quantidade_paineis' "
        "WHEN 'mesa_babado' THEN '$.quantidade_paineis' WHEN 'totem' THEN '$.quantidade_totem' "
        "WHEN 'lona' THEN '$.quantidade_lona' WHEN 'adesivo' THEN '$.quantidade_adesivo' END"
    )
    return f"max(coalesce(CAST(json_extract({item}, {field}) AS INTEGER), 1), 1)"


def consumption_m2(item: str) -> str:
    """Material an item consumes, as the old materials report counted it.

    Its m² (else width x height, else 1) times its first positive quantity among
    paineis, lona, adesivo, totem (else 1).
    """
    m2, width, height = (f"json_extract({item}, '$.{f}')" for f in ("metro_quadrado", "largura", "altura"))
    area = (
        f"CASE WHEN {num(m2)} > 0 THEN {num(m2)} "
        f"WHEN {num(width)} * {num(height)} > 0 THEN {num(width)} * {num(height)} ELSE 1.0 END"
    )
    quantities = [
        f"json_extract({item}, '$.{f}')"
        for f in ("quantidade_paineis", "quantidade_lona", "quantidade_adesivo", "quantidade_totem")
    ]
    quantity = "CASE " + " ".join(f"WHEN {num(q)} > 0 THEN {num(q)}" for q in quantities) + " ELSE 1.0 END"
    return f"(({area}) * ({quantity}))"
