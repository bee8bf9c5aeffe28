"""`run_server.py create-user NAME`: create a user, or reset its password, server running or not."""

from __future__ import annotations

import argparse
import getpass
import sqlite3
import sys
from typing import Any

import msgspec

from core.passwords import hash_password, validate_new_password
from core.settings import Settings
from ipc.errors import CommandError
from ipc.protocol import Command, CreateUser, UpdateUser

from .writes import run_command

__all__ = ["create_user", "upsert_user"]


def _user_id(settings: Settings, username: str) -> int | None:
    if not settings.db_path.exists():
        return None
    conn = sqlite3.connect(f"{settings.db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT id FROM users WHERE username_key = ?", (username.casefold(),)).fetchone()
    except sqlite3.OperationalError:  # no users table yet: a database never started
        return None
    finally:
        conn.close()
    return None if row is None else row[0]


def upsert_user(
    settings: Settings, username: str, password_hash: str, *, is_admin: bool, setor: str | None
) -> dict[str, Any]:
    """Create `username`, or reset its password (and reactivate it) when it exists."""
    user_id = _user_id(settings, username)
    command: Command
    if user_id is None:
        command = CreateUser(username=username, password_hash=password_hash, is_admin=is_admin, setor=setor)
    else:
        command = UpdateUser(
            id=user_id,
            password_hash=password_hash,
            active=True,
            is_admin=True if is_admin else msgspec.UNSET,
            setor=setor if setor is not None else msgspec.UNSET,
        )
    try:
        answer: dict[str, Any] = msgspec.json.decode(run_command(settings, command))
        return answer
    except CommandError as exc:
        raise SystemExit(f"error: {exc.message}") from None


def create_user(settings: Settings, args: argparse.Namespace) -> int:
    """`create-user NAME`: asks for the password (twice) unless --password-stdin."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password for {args.username}: ")
        if getpass.getpass("Repeat it: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 1
    try:
        validate_new_password(password)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    user = upsert_user(settings, args.username, hash_password(password), is_admin=args.admin, setor=args.setor)
    role = "admin" if user["is_admin"] else "user"
    print(f"{user['username']} (id {user['id']}, {role}) is ready; existing sessions of this user were ended.")
    return 0
