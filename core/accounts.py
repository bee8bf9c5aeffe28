"""The user as clients see it: one definition for the writer's replies and the API's answers."""

from __future__ import annotations

import msgspec

__all__ = ["UserPublic", "DEFAULT_SETOR", "SETORES", "DELETED_KEY_PREFIX", "INACTIVE_VALID_AFTER", "user_public"]

# The setor the desktop client assumes when none is stored (GestaoUsuarios.tsx, Login.tsx).
DEFAULT_SETOR = "geral"
# The setores the desktop client offers; others are stored as sent (the client shows them verbatim).
SETORES = ("admin", "financeiro", "conferencia", "impressao", "costura", "expedicao", "designer", "vendas", "geral")
# A deleted user's `username_key` starts with this: the name is free again, the row stays for history.
# Usernames cannot contain "#" (api/routes/users.py), so no live key ever starts with it.
DELETED_KEY_PREFIX = "#deleted#"
# `tokens_valid_after` of a deactivated or deleted user: no token is ever that new, and
# workers tell a deactivation (close reason `user_inactive`) from a revocation by it.
INACTIVE_VALID_AFTER = 1e18


class UserPublic(msgspec.Struct):
    """A user without secrets (never the password hash).

    `is_active` is the name the SGP desktop client reads, `active` ours (same value);
    `password_plain` is always null: the old server kept plaintext copies, we never do
    (the client then shows "********").
    """

    id: int
    username: str
    is_admin: bool
    is_active: bool
    active: bool
    setor: str
    created_at: str
    updated_at: str
    password_plain: None = None


def user_public(
    id: int, username: str, is_admin: bool, active: bool, setor: str | None, created_at: str, updated_at: str
) -> UserPublic:
    """A UserPublic from a users row's columns."""
    return UserPublic(
        id=id,
        username=username,
        is_admin=is_admin,
        is_active=active,
        active=active,
        setor=setor or DEFAULT_SETOR,
        created_at=created_at,
        updated_at=updated_at,
    )
