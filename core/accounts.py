"""The user as clients see it: one definition for the writer's replies and the API's answers."""

from __future__ import annotations

import msgspec

__all__ = ["UserPublic"]


class UserPublic(msgspec.Struct):
    """A user without secrets (never the password hash)."""

    id: int
    username: str
    is_admin: bool
    active: bool
    setor: str | None
    created_at: str
    updated_at: str
