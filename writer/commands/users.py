"""User commands: accounts live in the database, so their writes go through the writer too.

Passwords arrive hashed (hashing is heavy work the API worker does). Any change
that should end a user's sessions (role, name, activation, deletion, password) moves the
user's `tokens_valid_after`, and the change is pushed to every worker.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from core.accounts import DELETED_KEY_PREFIX, INACTIVE_VALID_AFTER, UserPublic, user_public
from ipc.errors import CommandError
from ipc.protocol import (
    ChangePassword,
    CreateUser,
    RehashPassword,
    RevokedToken,
    RevokeToken,
    UpdateUser,
    UserValidity,
)

from .context import Context, Outcome

__all__ = [
    "create_user",
    "update_user",
    "change_password",
    "rehash_password",
    "revoke_token",
    "bootstrap_admin",
    "INACTIVE",
]

# tokens_valid_after of a deactivated user: no token is ever that new.
INACTIVE = INACTIVE_VALID_AFTER

_json = msgspec.json.Encoder()


_COLUMNS = "id, username, is_admin, active, setor, created_at, updated_at"


def _user(conn: sqlite3.Connection, user_id: int) -> UserPublic:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM users WHERE id = ? AND substr(username_key, 1, ?) != ?",
        (user_id, len(DELETED_KEY_PREFIX), DELETED_KEY_PREFIX),
    ).fetchone()
    if row is None:
        raise CommandError("not_found", "Usuário não encontrado.")
    return user_public(row[0], row[1], bool(row[2]), bool(row[3]), row[4], row[5], row[6])


def _taken(username: str) -> CommandError:
    return CommandError("username_taken", "Nome de usuário já está em uso.", field="username")


def _end_sessions(ctx: Context, user_id: int, valid_after: float) -> None:
    ctx.conn.execute("UPDATE users SET tokens_valid_after = ? WHERE id = ?", (valid_after, user_id))
    ctx.auth_users.append(UserValidity(user_id=user_id, valid_after=valid_after))


def insert_user(conn: sqlite3.Connection, cmd: CreateUser, now: str) -> int:
    """Insert a user row; a taken username (any case) is username_taken."""
    try:
        cur = conn.execute(
            "INSERT INTO users (username, username_key, password_hash, is_admin, active, setor, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cmd.username,
                cmd.username.casefold(),
                cmd.password_hash,
                int(cmd.is_admin),
                int(cmd.active),
                cmd.setor,
                now,
                now,
            ),
        )
    except sqlite3.IntegrityError:
        raise _taken(cmd.username) from None
    assert cur.lastrowid is not None
    return cur.lastrowid


def create_user(ctx: Context, cmd: CreateUser) -> Outcome:
    """Add a user."""
    user_id = insert_user(ctx.conn, cmd, ctx.now)
    return Outcome(201, _json.encode(_user(ctx.conn, user_id)), None)


def _other_active_admins(conn: sqlite3.Connection, user_id: int) -> int:
    return int(
        conn.execute("SELECT count(*) FROM users WHERE is_admin = 1 AND active = 1 AND id != ?", (user_id,)).fetchone()[
            0
        ]
    )


def update_user(ctx: Context, cmd: UpdateUser) -> Outcome:
    """Change name, role, activation, setor or password, or delete; the last active admin stays."""
    current = _user(ctx.conn, cmd.id)
    demoting = cmd.is_admin is False and current.is_admin
    deactivating = (cmd.active is False or cmd.deleted) and current.active
    if (
        (demoting or deactivating)
        and current.is_admin
        and current.active
        and _other_active_admins(ctx.conn, cmd.id) == 0
    ):
        raise CommandError("last_admin", "Não é possível remover ou rebaixar o último administrador ativo.")
    if cmd.deleted:
        # The row stays so events and history keep naming who did what; the name is free again.
        ctx.conn.execute(
            "UPDATE users SET active = 0, username_key = ?, updated_at = ? WHERE id = ?",
            (f"{DELETED_KEY_PREFIX}{cmd.id}", ctx.now, cmd.id),
        )
        _end_sessions(ctx, cmd.id, INACTIVE)
        return Outcome(204, b"", None)
    changes: dict[str, Any] = {}
    for name in ("username", "is_admin", "active", "setor", "password_hash"):
        value = getattr(cmd, name)
        if value is not msgspec.UNSET:
            changes[name] = int(value) if isinstance(value, bool) else value
    renamed = cmd.username is not msgspec.UNSET and cmd.username != current.username
    if renamed:
        changes["username_key"] = cmd.username.casefold()  # type: ignore[union-attr]
    if changes:
        changes["updated_at"] = ctx.now
        assignments = ", ".join(f"{name} = ?" for name in changes)
        try:
            ctx.conn.execute(f"UPDATE users SET {assignments} WHERE id = ?", (*changes.values(), cmd.id))
        except sqlite3.IntegrityError:
            raise _taken(str(cmd.username)) from None
    role_changed = cmd.is_admin is not msgspec.UNSET and cmd.is_admin != current.is_admin
    if cmd.active is False:
        _end_sessions(ctx, cmd.id, INACTIVE)
    elif (
        role_changed
        or renamed  # tokens carry the name events record
        or cmd.password_hash is not msgspec.UNSET
        or (cmd.active is True and not current.active)
    ):
        _end_sessions(ctx, cmd.id, ctx.now_ts)
    return Outcome(200, _json.encode(_user(ctx.conn, cmd.id)), None)


def change_password(ctx: Context, cmd: ChangePassword) -> Outcome:
    """Set a new password if the old one is still current; ends the user's other sessions."""
    row = ctx.conn.execute("SELECT password_hash FROM users WHERE id = ? AND active = 1", (cmd.id,)).fetchone()
    if row is None:
        raise CommandError("not_found", "Usuário não encontrado.")
    if row[0] != cmd.expected_hash:
        raise CommandError("password_changed", "A senha foi alterada por outra sessão; tente de novo.")
    ctx.conn.execute(
        "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", (cmd.password_hash, ctx.now, cmd.id)
    )
    _end_sessions(ctx, cmd.id, ctx.now_ts)
    return Outcome(200, _json.encode(_user(ctx.conn, cmd.id)), None)


def rehash_password(ctx: Context, cmd: RehashPassword) -> Outcome:
    """Upgrade a stored hash after a successful login; a hash changed meanwhile is left alone."""
    cursor = ctx.conn.execute(
        "UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?",
        (cmd.password_hash, cmd.id, cmd.expected_hash),
    )
    return Outcome(200, b'{"rehashed":true}' if cursor.rowcount else b'{"rehashed":false}', None)


def revoke_token(ctx: Context, cmd: RevokeToken) -> Outcome:
    """Record a logged-out token until its natural expiry."""
    ctx.conn.execute(
        "INSERT OR IGNORE INTO revoked_tokens (jti, user_id, expires_at) VALUES (?, ?, ?)",
        (cmd.jti, cmd.user_id, cmd.expires_at),
    )
    ctx.auth_revoked.append(RevokedToken(jti=cmd.jti, expires_at=cmd.expires_at))
    return Outcome(200, b'{"detail":"Sess\\u00e3o encerrada."}', None)


def has_users(conn: sqlite3.Connection) -> bool:
    """True once any user exists."""
    return conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None


def bootstrap_admin(conn: sqlite3.Connection, password_hash: str, now: str) -> None:
    """Create `admin` (called at first start, in its own transaction)."""
    insert_user(conn, CreateUser(username="admin", password_hash=password_hash, is_admin=True), now)
