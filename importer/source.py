"""The old server's database, read-only: one snapshot (WAL included), whatever schema version it has.

The shop's file is opened with ``mode=ro``: SQLite then reads committed rows
still in ``banco.db-wal`` but never checkpoints, never writes the database
and never deletes the WAL, so this works while the old server still runs.
Every read happens inside one read transaction: one consistent snapshot,
however long the import takes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import OldDatabaseError

__all__ = ["OldDatabase", "KNOWN_TABLES"]

# Old tables this build reads, and where they go (None: no target table in this build).
KNOWN_TABLES: dict[str, str | None] = {
    "pedidos": "pedidos",
    "pedido_imagens": "pedido_imagens",
    "user": "users",
    "fichas": "fichas",
    "cliente": "clientes",
    "vendedor": "vendedores",
    "designer": "designers",
    "material": "materiais",
    "payment": "tipos_pagamentos",
    "envio": "tipos_envios",
    "producoes": "producoes",
    "machines": "maquinas",
    "print_logs": "print_logs",
    "ficha_templates": "templates",
    "relatorio_templates": "templates",
    "reposicoes": "reposicoes",
}
# Bookkeeping of the old server that clients never read (sqlite-import.md, import note 13).
NOT_NEEDED = frozenset({"revoked_tokens", "sync_outbox", "safira_logs", "_migrations", "alembic_version"})

# A batch of old rows stops growing past this much text (bounded memory).
_BATCH_BYTES = 64 * 1024 * 1024

# Columns the importer may read, per table. Anything else (password_plain above all) is never
# selected, so it cannot leak into the target, a log or the report.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "pedidos": (
        "id",
        "numero",
        "data_entrada",
        "data_entrega",
        "observacao",
        "prioridade",
        "status",
        "cliente",
        "telefone_cliente",
        "cidade_cliente",
        "valor_total",
        "valor_frete",
        "valor_itens",
        "tipo_pagamento",
        "obs_pagamento",
        "forma_envio",
        "forma_envio_id",
        "financeiro",
        "conferencia",
        "sublimacao",
        "costura",
        "expedicao",
        "pronto",
        "sublimacao_maquina",
        "sublimacao_data_impressao",
        "financeiro_liberado_em",
        "items",
        "data_criacao",
        "ultima_atualizacao",
    ),
    "pedido_imagens": (
        "id",
        "pedido_id",
        "item_index",
        "item_identificador",
        "filename",
        "mime_type",
        "path",
        "tamanho",
        "criado_em",
    ),
    "user": ("id", "username", "password_hash", "is_admin", "is_active", "setor", "created_at", "updated_at"),
    "fichas": ("id", "client_id", "nome", "descricao", "imagem_path", "data_criacao", "ultima_atualizacao"),
}


class OldDatabase:
    """A read-only snapshot of the old server's SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise OldDatabaseError(f"old database not found: {self.path}")
        try:
            self.conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
        except sqlite3.Error as exc:
            raise OldDatabaseError(f"cannot open {self.path}: {exc}") from None
        try:
            self.conn.execute("PRAGMA query_only=1")
            self.conn.execute("BEGIN")  # deferred: the first read pins the snapshot
            self.tables = {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            self._check()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise OldDatabaseError(
                f"{self.path} is not a readable SQLite database ({exc}); nothing was imported. "
                "If it was copied while the old server ran, copy banco.db together with banco.db-wal, "
                "or use the SQLite backup API."
            ) from None
        except OldDatabaseError:
            self.conn.close()
            raise

    def _check(self) -> None:
        rows = self.conn.execute("PRAGMA quick_check(20)").fetchall()
        problems = [row[0] for row in rows if row[0] != "ok"]
        if problems:
            raise OldDatabaseError(
                f"{self.path} is damaged (truncated or corrupt): {'; '.join(problems[:5])}. "
                "Nothing was imported; restore a good copy (the old server keeps backups in shared/backups)."
            )
        if "pedidos" not in self.tables:
            raise OldDatabaseError(f"{self.path} has no 'pedidos' table: it is not an SGP (api-sgp) database.")

    def columns(self, table: str) -> list[str]:
        """The columns of `table` this importer reads that this file has (older files lack late ones)."""
        present = {row[1] for row in self.conn.execute(f'PRAGMA table_info("{table}")')}
        return [name for name in _COLUMNS[table] if name in present]

    def extra_columns(self, table: str) -> list[str]:
        """Columns the file has that this importer does not read (e.g. `*_centavos`)."""
        present = [row[1] for row in self.conn.execute(f'PRAGMA table_info("{table}")')]
        return [name for name in present if name not in _COLUMNS.get(table, ())]

    def count(self, table: str) -> int:
        """Rows in `table` (0 when the table does not exist)."""
        if table not in self.tables:
            return 0
        return int(self.conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])

    def rows(self, table: str, *, batch: int = 500, max_bytes: int = _BATCH_BYTES) -> Iterator[list[dict[str, Any]]]:
        """The rows of `table` by id, in batches of dicts with every known column (absent ones None).

        A batch ends at `batch` rows or once its text passes `max_bytes` (old items may hold inline
        images of megabytes), so memory stays bounded whatever the rows hold.
        """
        if table not in self.tables:
            return
        present = self.columns(table)
        select = ", ".join(f'"{name}"' for name in present)
        cursor = self.conn.execute(f'SELECT {select} FROM "{table}" ORDER BY id')
        missing = {name: None for name in _COLUMNS[table] if name not in present}
        chunk: list[dict[str, Any]] = []
        size = 0
        for row in cursor:
            chunk.append(dict(zip(present, row, strict=True), **missing))
            size += sum(len(value) for value in row if isinstance(value, (str, bytes)))
            if len(chunk) >= batch or size >= max_bytes:
                yield chunk
                chunk, size = [], 0
        if chunk:
            yield chunk

    def all_rows(self, table: str, *, batch: int = 500) -> Iterator[list[dict[str, Any]]]:
        """Every column of `table`, by id: only for tables that hold no secret (the catalogs)."""
        if table not in self.tables:
            return
        cursor = self.conn.execute(f'SELECT * FROM "{table}" ORDER BY id')
        names = [d[0] for d in cursor.description]
        while chunk := cursor.fetchmany(batch):
            yield [dict(zip(names, row, strict=True)) for row in chunk]

    def image_rows_of(self, pedido_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """`pedido_imagens` rows of these pedidos, by pedido id, oldest first."""
        found: dict[int, list[dict[str, Any]]] = {pedido_id: [] for pedido_id in pedido_ids}
        if "pedido_imagens" not in self.tables or not pedido_ids:
            return found
        marks = ", ".join("?" * len(pedido_ids))
        for row in self._image_rows(f"WHERE pedido_id IN ({marks})", pedido_ids):
            found.setdefault(row["pedido_id"], []).append(row)
        return found

    def image_rows_by_id(self, row_ids: list[int]) -> dict[int, dict[str, Any]]:
        """`pedido_imagens` rows by their id (references copied between pedidos point at any row)."""
        if "pedido_imagens" not in self.tables or not row_ids:
            return {}
        marks = ", ".join("?" * len(row_ids))
        return {row["id"]: row for row in self._image_rows(f"WHERE id IN ({marks})", row_ids)}

    def _image_rows(self, where: str, params: list[int]) -> list[dict[str, Any]]:
        present = self.columns("pedido_imagens")
        select = ", ".join(f'"{name}"' for name in present)
        missing = {name: None for name in _COLUMNS["pedido_imagens"] if name not in present}
        cursor = self.conn.execute(f"SELECT {select} FROM pedido_imagens {where} ORDER BY id", params)
        return [dict(zip(present, row, strict=True), **missing) for row in cursor]

    def pedido_numeros(self) -> list[tuple[int, str | None]]:
        """(id, numero) of every pedido, by id: the numbering plan needs them all up front."""
        return [(row[0], row[1]) for row in self.conn.execute("SELECT id, numero FROM pedidos ORDER BY id")]

    def close(self) -> None:
        """End the snapshot (a read transaction: nothing to commit) and close."""
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        self.conn.close()
