"""/api/v1/users: user management, admins only. Writes go through the writer like every write."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated

import msgspec
from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from core.passwords import hash_password, validate_new_password
from readers.users import list_users
from writer.protocol import CreateUser, UpdateUser

from ..body import idempotency, read_body
from ..deps import AdminUser, ReaderDep, WriterDep
from ..errors import ApiError
from ..responses import committed, json_content, json_response, ref

__all__ = ["router", "UserCreateIn", "UserUpdateIn", "SCHEMAS"]

router = APIRouter(prefix="/users", tags=["users"])

UserId = Annotated[int, Path(ge=1, le=2**62)]
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{3,64}$")
_MAX_BODY = 16 * 1024


class UserCreateIn(msgspec.Struct):
    """A new user."""

    username: str
    password: str
    is_admin: bool = False
    setor: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class UserUpdateIn(msgspec.Struct):
    """Fields to change; absent fields stay."""

    is_admin: bool | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
    setor: Annotated[str, msgspec.Meta(max_length=100)] | None | msgspec.UnsetType = msgspec.UNSET
    password: str | msgspec.UnsetType = msgspec.UNSET


def _decode(body: bytes, type_: type) -> msgspec.Struct:
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.ValidationError as exc:
        text = str(exc)
        field = text.rsplit("`$.", 1)[-1].rstrip("`") if "`$." in text else None
        raise ApiError(422, "validation_error", f"Dados inválidos: {text}", field=field) from None
    except msgspec.DecodeError:
        raise ApiError(400, "invalid_json", "JSON inválido.") from None


def _check_password(password: str) -> None:
    try:
        validate_new_password(password)
    except ValueError as exc:
        raise ApiError(422, "weak_password", str(exc), field="password") from None


@router.get("", summary="Listar usuários", response_class=Response,
            responses={"200": json_content({"type": "array", "items": ref("UserPublic")})})
async def get_users(_: AdminUser, readers: ReaderDep) -> Response:
    """Every user (without password hashes)."""
    return json_response(msgspec.json.encode(await list_users(readers)))


@router.post("", summary="Criar usuário", status_code=201, response_class=Response,
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": ref("UserCreateIn")}}}},
             responses={"201": json_content(ref("UserPublic")), "409": json_content(ref("Error"))})
async def create_user(request: Request, admin: AdminUser, writer: WriterDep) -> Response:
    """Add a user; the username is unique regardless of case."""
    body = await read_body(request, _MAX_BODY)
    data = _decode(body, UserCreateIn)
    assert isinstance(data, UserCreateIn)
    if not _USERNAME.match(data.username):
        raise ApiError(422, "validation_error", "Usuário deve ter 3 a 64 caracteres: letras, números, . _ @ -.",
                       field="username")
    _check_password(data.password)
    key, request_hash = idempotency(request, body, f"u{admin.id}")
    password_hash = await asyncio.to_thread(hash_password, data.password)
    ok = await writer.call(
        CreateUser(username=data.username, password_hash=password_hash, is_admin=data.is_admin, setor=data.setor),
        actor=admin.actor, idempotency_key=key, request_hash=request_hash,
    )
    return committed(ok)


@router.patch("/{user_id}", summary="Alterar usuário", response_class=Response,
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": ref("UserUpdateIn")}}}},
              responses={"200": json_content(ref("UserPublic")), "404": json_content(ref("Error")), "409": json_content(ref("Error"))})
async def update_user(user_id: UserId, request: Request, admin: AdminUser, writer: WriterDep) -> Response:
    """Change admin flag, activation, setor or reset the password (ends the user's sessions)."""
    body = await read_body(request, _MAX_BODY)
    data = _decode(body, UserUpdateIn)
    assert isinstance(data, UserUpdateIn)
    password_hash: str | msgspec.UnsetType = msgspec.UNSET
    if data.password is not msgspec.UNSET:
        _check_password(data.password)
        password_hash = await asyncio.to_thread(hash_password, data.password)
    ok = await writer.call(
        UpdateUser(id=user_id, is_admin=data.is_admin, active=data.active, setor=data.setor, password_hash=password_hash),
        actor=admin.actor,
    )
    return committed(ok)


@router.delete("/{user_id}", summary="Desativar usuário", response_class=Response,
               responses={"200": json_content(ref("UserPublic")), "404": json_content(ref("Error")), "409": json_content(ref("Error"))})
async def deactivate_user(user_id: UserId, admin: AdminUser, writer: WriterDep) -> Response:
    """Deactivate (users are kept for the history of who changed what)."""
    ok = await writer.call(UpdateUser(id=user_id, active=False), actor=admin.actor)
    return committed(ok)


SCHEMAS = (UserCreateIn, UserUpdateIn)
