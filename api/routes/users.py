"""/users: user management (the desktop client's admin page GestaoUsuarios), admins only.

The old server left these routes open; the client reaches them only from its admin-only
menu, so requiring an admin token changes nothing for it and stops a normal user from
making itself admin. Writes go through the writer like every write.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated

import msgspec
from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from core.accounts import DEFAULT_SETOR
from core.passwords import hash_password, validate_new_password
from ipc.protocol import CreateUser, UpdateUser
from readers.users import list_users

from ..body import read_body
from ..commands import Caller
from ..deps import AdminUser, ReaderDep, WriterDep
from ..errors import ApiError
from ..json_body import decode_json
from ..responses import json_content, json_response, ref

__all__ = ["router", "UserCreateIn", "UserUpdateIn", "SCHEMAS"]

router = APIRouter(prefix="/users", tags=["users"])

UserId = Annotated[int, Path(ge=1, le=2**62)]
# Letters (any alphabet), digits, space and . _ @ -: the old server took any name, shops use
# plain first names ("joão", "Maria Silva"). "#" stays out: deleted users' keys start with it.
_USERNAME = re.compile(r"^[\w.@ -]{1,64}$")
_MAX_BODY = 16 * 1024
Setor = Annotated[str, msgspec.Meta(max_length=100)]


class UserCreateIn(msgspec.Struct):
    """A new user (the client sends `is_active: true`; false creates it deactivated)."""

    username: str
    password: str
    is_admin: bool = False
    is_active: bool = True
    setor: Setor | None = None


class UserUpdateIn(msgspec.Struct):
    """Fields to change; absent fields stay. `active` is accepted as an alias of `is_active`."""

    username: str | msgspec.UnsetType = msgspec.UNSET
    is_admin: bool | msgspec.UnsetType = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    setor: Setor | None | msgspec.UnsetType = msgspec.UNSET
    password: str | None | msgspec.UnsetType = msgspec.UNSET


def _check_password(password: str) -> None:
    try:
        validate_new_password(password)
    except ValueError as exc:
        raise ApiError(422, "weak_password", str(exc), field="password") from None


def _check_username(username: str) -> str:
    if not _USERNAME.match(username) or username != username.strip():
        raise ApiError(
            422,
            "validation_error",
            "Nome de usuário deve ter 1 a 64 caracteres: letras, números, espaço, . _ @ -.",
            field="username",
        )
    return username


def _check_setor(setor: str | None) -> str:
    """The setor as sent; null or empty is the client's default, "geral".

    The client offers the values of core.accounts.SETORES, but setores of imported or
    older data may differ, and the client shows any string: none is refused.
    """
    return (setor or "").strip() or DEFAULT_SETOR


@router.get(
    "",
    summary="Listar usuários",
    response_class=Response,
    responses={"200": json_content({"type": "array", "items": ref("UserPublic")})},
)
async def get_users(_: AdminUser, readers: ReaderDep) -> Response:
    """Every user (without password hashes)."""
    return json_response(msgspec.json.encode(await list_users(readers)))


@router.post(
    "",
    summary="Criar usuário",
    status_code=201,
    response_class=Response,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": ref("UserCreateIn")}}}},
    responses={"201": json_content(ref("UserPublic")), "409": json_content(ref("Error"))},
)
async def create_user(request: Request, _: AdminUser, writer: WriterDep) -> Response:
    """Add a user; the username is unique regardless of case."""
    body = await read_body(request, _MAX_BODY)
    data = decode_json(body, UserCreateIn)
    _check_username(data.username)
    setor = _check_setor(data.setor)
    _check_password(data.password)
    caller = Caller.of(request, body)
    password_hash = await asyncio.to_thread(hash_password, data.password)
    command = CreateUser(
        username=data.username, password_hash=password_hash, is_admin=data.is_admin, setor=setor, active=data.is_active
    )
    return await caller.send(writer, command)


@router.patch(
    "/{user_id:int}",
    summary="Alterar usuário",
    response_class=Response,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": ref("UserUpdateIn")}}}},
    responses={
        "200": json_content(ref("UserPublic")),
        "404": json_content(ref("Error")),
        "409": json_content(ref("Error")),
    },
)
async def update_user(user_id: UserId, request: Request, _: AdminUser, writer: WriterDep) -> Response:
    """Change name, admin flag, activation, setor or reset the password (the last three end sessions)."""
    body = await read_body(request, _MAX_BODY)
    data = decode_json(body, UserUpdateIn)
    username = _check_username(data.username) if isinstance(data.username, str) else msgspec.UNSET
    setor = msgspec.UNSET if data.setor is msgspec.UNSET else _check_setor(data.setor)
    active = data.is_active if data.is_active is not msgspec.UNSET else data.active
    password_hash: str | msgspec.UnsetType = msgspec.UNSET
    # The client sends `password` only when the admin typed one; an empty one means "unchanged".
    if data.password:
        _check_password(data.password)
        password_hash = await asyncio.to_thread(hash_password, data.password)
    command = UpdateUser(
        id=user_id, username=username, is_admin=data.is_admin, active=active, setor=setor, password_hash=password_hash
    )
    # No Idempotency-Key here (as before): a repeated change is harmless.
    return await Caller.of(request, idempotent=False).send(writer, command)


@router.delete(
    "/{user_id:int}",
    summary="Excluir usuário",
    status_code=204,
    response_class=Response,
    responses={
        "204": {"description": "Excluído"},
        "404": json_content(ref("Error")),
        "409": json_content(ref("Error")),
    },
)
async def delete_user(user_id: UserId, request: Request, _: AdminUser, writer: WriterDep) -> Response:
    """Delete: sessions end at once, the name is free again; the row is kept for history."""
    await Caller.of(request, idempotent=False).call(writer, UpdateUser(id=user_id, deleted=True))
    return Response(status_code=204)


SCHEMAS = (UserCreateIn, UserUpdateIn)
