"""The sweep's read snapshot: every sha256 a pedido item, a draft or a ficha references.

The writer records references in the same transaction as the change
(writer/commands/media_refs.py); the sweep (media/sweep.py, run by the supervisor)
reads them here on its own read-only connection, never through the writer.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["read_referenced_shas", "referenced_shas"]

# One statement: SQLite reads it from one snapshot, so the three sources agree with each other.
_REFERENCED = (
    "SELECT sha256 FROM pedido_imagens UNION SELECT sha256 FROM rascunho_imagens "
    "UNION SELECT imagem_sha256 FROM fichas WHERE imagem_sha256 IS NOT NULL"
)
# Waits this long for the WAL index while the writer checkpoints; the sweep is in no hurry.
_BUSY_TIMEOUT_S = 5.0


def referenced_shas(conn: sqlite3.Connection) -> set[str]:
    """Every referenced sha256, from one snapshot of `conn`."""
    return {row[0] for row in conn.execute(_REFERENCED)}


def read_referenced_shas(db_path: Path) -> set[str]:
    """Every referenced sha256, from a read-only connection opened for this read (blocking; run off any loop)."""
    conn = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True, timeout=_BUSY_TIMEOUT_S)
    try:
        conn.execute("PRAGMA query_only=1")
        return referenced_shas(conn)
    finally:
        conn.close()
