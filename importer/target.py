"""The target data directory: refuse a running server, decide new / merge / resume, open it as the one writer."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import Settings
from ipc import probe
from writer import schema
from writer.imports import target_counts

from .errors import TargetError

__all__ = ["TargetState", "inspect_target", "open_target", "IMPORT_STATE_KEY"]

# meta key holding {"source": ..., "finished": bool} while an import runs: a rerun resumes it.
IMPORT_STATE_KEY = "import_sgp"


@dataclass
class TargetState:
    """What the target holds before the import."""

    mode: str  # new | merge | resume
    pedido_ids: set[int] = field(default_factory=set)
    numeros: dict[int, str] = field(default_factory=dict)
    user_ids: set[int] = field(default_factory=set)
    username_keys: set[str] = field(default_factory=set)
    ficha_ids: set[int] = field(default_factory=set)
    numero_counter: int = 0
    replace_first_admin: bool = False


def _refuse_running_server(settings: Settings) -> None:
    if probe.ping(settings.writer_address_file, timeout=2.0) is not None:
        raise TargetError(
            f"a server is running on {settings.data_dir} (its writer answers at {settings.writer_address_file}). "
            "Stop it first: the import must be the only writer of that database."
        )


def inspect_target(settings: Settings, source: Path, *, merge: bool) -> TargetState:
    """Read the target (read-only) and decide the mode; raise TargetError when it must not be written."""
    _refuse_running_server(settings)
    db = settings.db_path
    if not db.exists():
        return TargetState("new")
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"pedidos", "users", "fichas", "meta"} <= tables:
            return TargetState("new")  # created but never migrated to this schema: nothing in it
        counts = target_counts(conn)
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        state = _read_state(conn, meta)
        users = conn.execute("SELECT id, username_key FROM users").fetchall()
    except sqlite3.DatabaseError as exc:
        raise TargetError(f"the target database {db} cannot be read ({exc}); choose another --data-dir") from None
    finally:
        conn.close()
    previous = json.loads(meta.get(IMPORT_STATE_KEY, "null") or "null")
    only_first_admin = counts["pedidos"] == 0 and counts["fichas"] == 0 and [u[1] for u in users] in ([], ["admin"])
    if previous and previous.get("source") == str(source.resolve()) and not previous.get("finished"):
        state.mode = "resume"
    elif only_first_admin:
        state.mode = "new"
        state.replace_first_admin = bool(users)
    elif merge:
        state.mode = "merge"
    else:
        raise TargetError(
            f"the target {settings.data_dir} already holds data ({counts['pedidos']} pedidos, {counts['users']} users, "
            f"{counts['fichas']} fichas). Import into a new --data-dir, or pass --merge to add the old rows "
            "(rows whose id already exists are skipped and reported)."
        )
    return state


def _read_state(conn: sqlite3.Connection, meta: dict[str, str]) -> TargetState:
    state = TargetState("new")
    for pedido_id, numero in conn.execute("SELECT id, numero FROM pedidos"):
        state.pedido_ids.add(pedido_id)
        state.numeros[pedido_id] = numero
    for user_id, key in conn.execute("SELECT id, username_key FROM users"):
        state.user_ids.add(user_id)
        state.username_keys.add(key)
    state.ficha_ids = {row[0] for row in conn.execute("SELECT id FROM fichas")}
    counter = meta.get("numero_counter", "0")
    state.numero_counter = int(counter) if counter.isdigit() else 0
    return state


def open_target(settings: Settings, source: Path) -> sqlite3.Connection:
    """Open (creating and migrating) the target database as its only writer, and mark the import as running."""
    _refuse_running_server(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    conn = schema.open_write_connection(
        settings.db_path, synchronous=settings.synchronous, journal_size_limit=settings.journal_size_limit_bytes
    )
    schema.migrate(conn)
    schema.ensure_indexes(conn)
    # A server started meanwhile would wait on this lock instead of interleaving its writes with ours.
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        (IMPORT_STATE_KEY, json.dumps({"source": str(source.resolve()), "finished": False})),
    )
    return conn
