"""Storage for `run_server.py import-sgp`: rows with the ids they had on the old server.

The importer runs with the server stopped, so it is the one writer: it opens
the database with `schema.open_write_connection`, runs the migrations, and
stores rows through these functions inside its own transactions (one per
batch). They write the same columns the command handlers write, so an
imported pedido is indistinguishable from one created through the API, except
that it keeps its old id and emits no event: the import ends by starting a
new event-log epoch instead (`finish`), which makes every feed client and the
export refetch.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence

from core.domain import Pedido, pedido_to_json
from ipc.protocol import ItemImage

from .commands.pedidos import write_pedido_row
from .commands.users import INACTIVE

__all__ = ["insert_pedido", "insert_user", "insert_ficha", "target_counts", "finish"]


def insert_pedido(conn: sqlite3.Connection, pedido: Pedido, images: Sequence[ItemImage], created_at: str) -> None:
    """Insert a pedido with its id and numero as given, its report index rows and its item image references."""
    # The same row and report rows the create handler writes; a taken id or numero raises IntegrityError.
    write_pedido_row(conn, pedido, pedido_to_json(pedido))
    conn.executemany(
        "INSERT INTO pedido_imagens (pedido_id, item_index, sha256, mime, size, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(pedido.id, i.index, i.image.sha256, i.image.mime, i.image.size, created_at) for i in images],
    )


def insert_user(
    conn: sqlite3.Connection,
    *,
    id: int,
    username: str,
    username_key: str,
    password_hash: str,
    is_admin: bool,
    active: bool,
    setor: str | None,
    created_at: str,
    updated_at: str,
) -> None:
    """Insert a user with its id; an inactive one can hold no session (as after a deactivation)."""
    conn.execute(
        "INSERT INTO users (id, username, username_key, password_hash, is_admin, active, setor, created_at,"
        " updated_at, tokens_valid_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            id,
            username,
            username_key,
            password_hash,
            int(is_admin),
            int(active),
            setor,
            created_at,
            updated_at,
            0 if active else INACTIVE,
        ),
    )


def insert_ficha(
    conn: sqlite3.Connection,
    *,
    id: int,
    client_id: int | None,
    nome: str,
    descricao: str | None,
    image: tuple[str, str, int] | None,
    data_criacao: str,
    ultima_atualizacao: str,
) -> None:
    """Insert a ficha with its id and image reference (sha256, mime, size)."""
    sha, mime, size = image if image is not None else (None, None, None)
    conn.execute(
        "INSERT INTO fichas (id, client_id, nome, descricao, imagem_sha256, imagem_mime, imagem_size,"
        " data_criacao, ultima_atualizacao, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
        (id, client_id, nome, descricao, sha, mime, size, data_criacao, ultima_atualizacao),
    )


def target_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows already in the tables an import writes."""
    return {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ("pedidos", "users", "fichas")
    }


def finish(conn: sqlite3.Connection, highest_numero: int) -> str:
    """Continue automatic numbering after `highest_numero` and start a new epoch; returns the epoch."""
    conn.execute(
        "UPDATE meta SET value = ? WHERE key = 'numero_counter' AND CAST(value AS INTEGER) < ?",
        (str(highest_numero), highest_numero),
    )
    epoch = secrets.token_hex(8)
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('epoch', ?)", (epoch,))
    return epoch
