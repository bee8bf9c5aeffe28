"""The report index: narrow copies of each pedido's totals and items, kept with every write to `pedidos`.

Reports over a year of pedidos cannot parse every pedido's JSON on each
request (~0.7 s just to read 50 000 documents). These two tables hold what
reports aggregate, as numbers, with their own indexes, kept current in the
same transaction as every write to `pedidos` (the writer's commands, an
importer's inserts), so they never disagree with the documents. `REPORT_INDEX_DDL` is part of migration #6 (it also fills the
tables from the pedidos already stored, and `_fill` stays the definition of
the rows). Since migration #8 the writer writes the rows itself
(writer/report_rows.py, the same SQL over bound values instead of parsed
JSON); only the delete trigger remains.
"""

from __future__ import annotations

from core.report_sql import cents, consumption_m2, item_quantity

__all__ = ["REPORT_INDEX_DDL", "REPORT_INDEX_UPDATE_DDL", "REPORT_ROWS_BY_WRITER_DDL", "REPORT_INDEXES"]


def _fill(ref: str, where: str = "") -> str:
    """INSERTs of one pedido's rows (`ref` is NEW in a trigger, the table alias in the backfill)."""
    doc = f"CAST({ref}.doc AS TEXT)"
    item = "j.value"

    def money(json: str, field: str) -> str:
        return cents(f"json_extract({json}, '$.{field}')")

    def text(field: str) -> str:
        return f"nullif(trim(json_extract({item}, '$.{field}')), '')"

    def flag(field: str) -> str:
        return f"coalesce(json_extract({item}, '$.acabamento.{field}'), 0) = 1"

    pedido = (
        "INSERT INTO report_pedidos (pedido_id, data_entrada, data_entrega, status, numero, cliente, cliente_busca, "
        "forma_envio, total_cents, frete_cents, itens_cents, n_itens) "
        f"SELECT {ref}.id, {ref}.data_entrada, {ref}.data_entrega, {ref}.status, {ref}.numero, {ref}.cliente, "
        f"{ref}.cliente_busca, nullif(trim(json_extract({doc}, '$.forma_envio')), ''), "
        f"{money(doc, 'valor_total')}, {money(doc, 'valor_frete')}, {money(doc, 'valor_itens')}, "
        f"coalesce(json_array_length({doc}, '$.items'), 0)"
    )
    items = (
        "INSERT INTO report_itens (pedido_id, idx, data_entrada, data_entrega, status, cliente_busca, tipo_producao, "
        "designer, vendedor, tecido, descricao, valor_cents, consumo_m2, overloque, elastico, ilhos, emenda, "
        "qtd_ilhos) "
        f"SELECT {ref}.id, j.key, {ref}.data_entrada, {ref}.data_entrega, {ref}.status, {ref}.cliente_busca, "
        f"{text('tipo_producao')}, {text('designer')}, {text('vendedor')}, {text('tecido')}, {text('descricao')}, "
        f"{money(item, 'valor_unitario')} * {item_quantity(item)}, "
        f"{consumption_m2(item)}, {flag('overloque')}, {flag('elastico')}, {flag('ilhos')}, "
        f"coalesce(json_extract({item}, '$.emenda'), '') NOT IN ('', 'sem-emenda'), "
        f"max(coalesce(CAST(json_extract({item}, '$.quantidade_ilhos') AS INTEGER), 0), 0) "
    )
    if where:  # backfill: every stored pedido
        return f"{pedido} FROM pedidos AS {ref};\n{items} FROM pedidos AS {ref}, json_each({doc}, '$.items') AS j;\n"
    return f"{pedido};\n{items} FROM json_each({doc}, '$.items') AS j;\n"


# By primary key: the rows were written with the pedido's data_entrada of that time, OLD's.
_CLEAR = (
    "DELETE FROM report_itens WHERE data_entrada = OLD.data_entrada AND pedido_id = OLD.id;\n"
    "DELETE FROM report_pedidos WHERE data_entrada = OLD.data_entrada AND pedido_id = OLD.id;\n"
)

REPORT_INDEX_DDL = f"""
    CREATE TABLE report_pedidos (
        data_entrada  TEXT NOT NULL,        -- first in the key: a date range is one contiguous read
        pedido_id     INTEGER NOT NULL,
        data_entrega  TEXT,
        status        TEXT NOT NULL,
        numero        TEXT NOT NULL,
        cliente       TEXT NOT NULL,
        cliente_busca TEXT NOT NULL,
        forma_envio   TEXT,
        total_cents   INTEGER NOT NULL,
        frete_cents   INTEGER NOT NULL,
        itens_cents   INTEGER NOT NULL,
        n_itens       INTEGER NOT NULL,
        PRIMARY KEY (data_entrada, pedido_id)
    ) WITHOUT ROWID;

    CREATE TABLE report_itens (
        data_entrada  TEXT NOT NULL,        -- first in the key: a date range is one contiguous read
        pedido_id     INTEGER NOT NULL,
        idx           INTEGER NOT NULL,
        data_entrega  TEXT,
        status        TEXT NOT NULL,
        cliente_busca TEXT NOT NULL,
        tipo_producao TEXT,
        designer      TEXT,
        vendedor      TEXT,
        tecido        TEXT,
        descricao     TEXT,
        valor_cents   INTEGER NOT NULL,
        consumo_m2    REAL NOT NULL,
        overloque     INTEGER NOT NULL,
        elastico      INTEGER NOT NULL,
        ilhos         INTEGER NOT NULL,
        emenda        INTEGER NOT NULL,
        qtd_ilhos     INTEGER NOT NULL,
        PRIMARY KEY (data_entrada, pedido_id, idx)
    ) WITHOUT ROWID;

    {_fill("p", where="all")}
    CREATE TRIGGER report_pedidos_insert AFTER INSERT ON pedidos BEGIN
    {_fill("NEW")}END;

    CREATE TRIGGER report_pedidos_update AFTER UPDATE ON pedidos BEGIN
    {_CLEAR}{_fill("NEW")}END;

    CREATE TRIGGER report_pedidos_delete AFTER DELETE ON pedidos BEGIN
    {_CLEAR}END;
"""

# What of a pedido's document its report rows use, as one JSON array (one json_extract per document).
_DOC_VALUES = (
    "json_extract(CAST({}.doc AS TEXT), '$.items', '$.valor_total', '$.valor_frete', '$.valor_itens', '$.forma_envio')"
)

# Everything of the pedido's rows that comes from its document is unchanged: the same items
# (json_extract gives them back minified, so equal text means equal item values), the same
# money fields and shipping method, and the same key. True for status changes, production
# flags, notes: most patches and every batch status change.
_DOC_UNCHANGED = f"NEW.id IS OLD.id AND NEW.data_entrada IS OLD.data_entrada AND {_DOC_VALUES.format('NEW')} IS {_DOC_VALUES.format('OLD')}"
_KEY = "data_entrada = OLD.data_entrada AND pedido_id = OLD.id"


def _set_if_changed(table: str, *columns: str) -> str:
    """An UPDATE of `columns` that does nothing (and touches no index) unless one of them changed."""
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
    assignments = ", ".join(f"{c} = NEW.{c}" for c in columns)
    return f"UPDATE {table} SET {assignments} WHERE {_KEY} AND ({changed});\n"


# Migration #7: an update that leaves the document's report values alone rewrites only the
# row columns that changed (status, delivery date, names) in place; any other update rebuilds
# the rows as before. Measured with bench/report_triggers.py: the rebuild (delete, re-extract
# every item field, reinsert into six indexes) was most of a patch's SQL time. Same rows either way.
REPORT_INDEX_UPDATE_DDL = f"""
    DROP TRIGGER report_pedidos_update;

    CREATE TRIGGER report_pedidos_update AFTER UPDATE ON pedidos WHEN NOT ({_DOC_UNCHANGED}) BEGIN
    {_CLEAR}{_fill("NEW")}END;

    CREATE TRIGGER report_pedidos_update_columns AFTER UPDATE ON pedidos WHEN {_DOC_UNCHANGED} BEGIN
    {_set_if_changed("report_pedidos", "status")}{_set_if_changed("report_pedidos", "data_entrega")}{
    _set_if_changed("report_pedidos", "numero", "cliente", "cliente_busca")
}{_set_if_changed("report_itens", "status")}{_set_if_changed("report_itens", "data_entrega")}{
    _set_if_changed("report_itens", "cliente_busca")
}END;
"""

# Migration #8: the writer computes and writes the rows (writer/report_rows.py) in the same
# transaction as the pedido; the triggers parsed each document again (+450 µs of CPU per create,
# bench/report_triggers.py). The delete trigger stays: it reads no JSON, and every delete of a
# pedido (one, or all of them) keeps its rows in step without the deleting code knowing of them.
REPORT_ROWS_BY_WRITER_DDL = """
    DROP TRIGGER report_pedidos_insert;
    DROP TRIGGER report_pedidos_update;
    DROP TRIGGER report_pedidos_update_columns;
"""

REPORT_INDEXES: dict[str, str] = {
    # date_mode=entrega reads by delivery date: covering, so no lookup into the table per pedido.
    "idx_report_pedidos_entrega": (
        "CREATE INDEX idx_report_pedidos_entrega ON report_pedidos "
        "(data_entrega, status, total_cents, frete_cents, itens_cents, n_itens)"
    ),
    # The name filters: `pedido_id IN (items of that name)`.
    "idx_report_pedidos_id": "CREATE INDEX idx_report_pedidos_id ON report_pedidos (pedido_id)",
    "idx_report_itens_entrega": "CREATE INDEX idx_report_itens_entrega ON report_itens (data_entrega)",
    # The art panel: a designer's items by date; the distinct names of the name filters.
    "idx_report_itens_designer": "CREATE INDEX idx_report_itens_designer ON report_itens (designer, data_entrada)",
    "idx_report_itens_vendedor": "CREATE INDEX idx_report_itens_vendedor ON report_itens (vendedor, data_entrada)",
    # Materials report: covering, in group order, so a year is one index read without a sort.
    "idx_report_itens_materiais": (
        "CREATE INDEX idx_report_itens_materiais ON report_itens (data_entrada, tecido, tipo_producao, status, "
        "consumo_m2, overloque, elastico, ilhos, emenda, qtd_ilhos)"
    ),
}
