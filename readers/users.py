"""User reads: login lookups, the users list, and the session revocations workers keep in memory."""

from __future__ import annotations

import time
from typing import Any

from core.accounts import DEFAULT_SETOR, DELETED_KEY_PREFIX

from .pool import ReaderPool

__all__ = ["UserRow", "get_user_for_login", "get_user", "list_users", "load_revocations"]

_COLUMNS = "id, username, is_admin, active, setor, created_at, updated_at"
# Deleted users keep their row (events name them) under a key no username can have.
_LIVE = f"substr(username_key, 1, {len(DELETED_KEY_PREFIX)}) != '{DELETED_KEY_PREFIX}'"

UserRow = dict[str, Any]


def _row(r: Any) -> UserRow:
    active = bool(r[3])
    return {
        "id": r[0],
        "username": r[1],
        "is_admin": bool(r[2]),
        "is_active": active,
        "active": active,
        "setor": r[4] or DEFAULT_SETOR,
        "created_at": r[5],
        "updated_at": r[6],
        "password_plain": None,
    }


async def get_user_for_login(pool: ReaderPool, username: str) -> tuple[UserRow, str] | None:
    """A user (active or not, never a deleted one) by case-insensitive username, with its password hash."""
    key = username.casefold()
    if key.startswith(DELETED_KEY_PREFIX):
        return None
    r = await pool.fetchone(f"SELECT {_COLUMNS}, password_hash FROM users WHERE username_key = ?", (key,))
    return None if r is None else (_row(r), r[7])


async def get_user(pool: ReaderPool, user_id: int) -> tuple[UserRow, str] | None:
    """A user by id, with its password hash."""
    r = await pool.fetchone(f"SELECT {_COLUMNS}, password_hash FROM users WHERE id = ? AND {_LIVE}", (user_id,))
    return None if r is None else (_row(r), r[7])


async def list_users(pool: ReaderPool) -> list[UserRow]:
    """Every user not deleted, by username."""
    return [_row(r) for r in await pool.fetchall(f"SELECT {_COLUMNS} FROM users WHERE {_LIVE} ORDER BY username_key")]


async def load_revocations(pool: ReaderPool) -> tuple[dict[int, float], dict[str, float]]:
    """user id -> tokens_valid_after (only users with one) and unexpired revoked jti -> expiry."""
    users = await pool.fetchall("SELECT id, tokens_valid_after FROM users WHERE tokens_valid_after > 0")
    revoked = await pool.fetchall("SELECT jti, expires_at FROM revoked_tokens WHERE expires_at > ?", (time.time(),))
    return {r[0]: r[1] for r in users}, {r[0]: r[1] for r in revoked}
