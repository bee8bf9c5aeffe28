"""/auth: login (JSON or OAuth2 form), me, logout, change-password, in the SGP desktop client's shapes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from fastapi import APIRouter, Request
from starlette.responses import Response

from core.accounts import UserPublic
from core.passwords import DUMMY_HASH, hash_password, needs_rehash, validate_new_password, verify_password
from ipc.protocol import ChangePassword, RehashPassword, RevokeToken
from readers.users import get_user, get_user_for_login

from ..body import read_body
from ..commands import SYSTEM, Caller
from ..deps import CurrentUser, ReaderDep, StateDep, WriterDep
from ..errors import ApiError
from ..json_body import decode_json
from ..responses import json_content, json_response, ref
from ..state import WorkerState

__all__ = ["router", "LoginIn", "ChangePasswordIn", "LoginOut", "LogoutOut", "SCHEMAS"]

log = logging.getLogger("sgp.api.auth")

router = APIRouter(prefix="/auth", tags=["auth"])

# Longer passwords are cut before hashing: the hash cost must not grow with hostile input.
_MAX_PASSWORD_CHECKED = 1024


class LoginIn(msgspec.Struct, forbid_unknown_fields=False):
    """Credentials."""

    username: str
    password: str


class ChangePasswordIn(msgspec.Struct, forbid_unknown_fields=False):
    """Current and new password; the desktop client names the first `current_password`, ours `old_password`."""

    new_password: str
    current_password: str | None = None
    old_password: str | None = None


class LoginOut(msgspec.Struct):
    """A session: the desktop client reads the flat fields (`success` ... `message`), ours `access_token` and `user`.

    `session_token` and `access_token` are the same token.
    """

    success: bool
    user_id: int
    username: str
    is_admin: bool
    setor: str
    session_token: str
    message: str
    access_token: str
    token_type: str
    expires_in: int
    user: UserPublic


class LogoutOut(msgspec.Struct):
    """What the old server answered on logout and password change (the client ignores it)."""

    success: bool
    message: str


_encoder = msgspec.json.Encoder()


def _invalid_credentials() -> ApiError:
    return ApiError(401, "invalid_credentials", "Usuário ou senha inválidos.", headers={"WWW-Authenticate": "Bearer"})


def _form_credentials(fields: dict[str, str]) -> LoginIn:
    username, password = fields.get("username"), fields.get("password")
    if not isinstance(username, str) or not username:
        raise ApiError(422, "validation_error", "Informe o usuário.", field="username")
    if not isinstance(password, str) or not password:
        raise ApiError(422, "validation_error", "Informe a senha.", field="password")
    return LoginIn(username=username, password=password)


async def _credentials(request: Request, limit: int) -> LoginIn:
    """The login body, refused (413) past `limit` bytes before any parsing, JSON or form."""
    body = await read_body(request, limit)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "invalid_form", "Formulário inválido.") from None
        return _form_credentials(dict(pairs))
    if content_type.startswith("multipart/form-data"):
        # Starlette parses the body it already holds (Request.stream() yields `_body` when set),
        # so the multipart parser never reads past the limit checked above.
        request._body = body
        form = await request.form(max_files=0, max_fields=20)
        return _form_credentials({k: v for k, v in form.items() if isinstance(v, str)})
    return decode_json(body, LoginIn)


def session(state: WorkerState, user: dict[str, Any], message: str = "Login realizado com sucesso") -> bytes:
    """A login answer for `user` (a readers.users row)."""
    token, claims = state.auth.issue(user["id"], user["username"], user["is_admin"])
    public = msgspec.convert(user, UserPublic)
    out = LoginOut(
        success=True,
        user_id=public.id,
        username=public.username,
        is_admin=public.is_admin,
        setor=public.setor,
        session_token=token,
        message=message,
        access_token=token,
        token_type="bearer",
        expires_in=claims.expires_at - int(claims.issued_at),
        user=public,
    )
    return _encoder.encode(out)


@router.post(
    "/login",
    summary="Entrar (JSON ou formulário OAuth2)",
    response_class=Response,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": ref("LoginIn")},
                "application/x-www-form-urlencoded": {"schema": ref("LoginIn")},
            },
        }
    },
    responses={
        "200": json_content(ref("LoginOut")),
        "401": json_content(ref("Error")),
        "403": json_content(ref("Error"), "Usuário inativo (só depois da senha certa)"),
        "429": json_content(ref("Error")),
    },
)
async def login(request: Request, state: StateDep) -> Response:
    """Check the password; wrong user and wrong password give the same 401 after the same work.

    An inactive user gets 403 only after the right password: without it nobody learns
    whether an account exists or is inactive.
    """
    creds = await _credentials(request, state.settings.login_max_bytes)
    address = request.client.host if request.client else None
    limiter = state.auth.limiter
    # Counted now, before the hash: concurrent attempts see each other at once.
    delay = limiter.begin(creds.username, address)
    if delay > 0:
        raise ApiError(
            429,
            "too_many_attempts",
            "Muitas tentativas de login; aguarde e tente de novo.",
            headers={"Retry-After": limiter.retry_after(delay)},
        )
    found = await get_user_for_login(state.readers, creds.username) if len(creds.username) <= 64 else None
    stored = found[1] if found else DUMMY_HASH
    # Hashing takes ~50 ms of CPU: off the event loop, and for unknown users too.
    valid = await asyncio.to_thread(verify_password, creds.password[:_MAX_PASSWORD_CHECKED], stored)
    if found is None or not valid:
        raise _invalid_credentials()
    limiter.succeeded(creds.username, address)
    if not found[0]["active"]:
        raise ApiError(403, "user_inactive", "Usuário inativo")
    if needs_rehash(stored):  # an imported (bcrypt) or older (scrypt) hash: store argon2id now
        await _rehash(state, found[0]["id"], creds.password[:_MAX_PASSWORD_CHECKED], stored)
    return json_response(session(state, found[0]))


async def _rehash(state, user_id: int, password: str, stored: str) -> None:  # type: ignore[no-untyped-def]
    """Best effort: a failed upgrade is retried at the next login, never fails this one."""
    try:
        new_hash = await asyncio.to_thread(hash_password, password)
        await SYSTEM.call(state.writer, RehashPassword(id=user_id, expected_hash=stored, password_hash=new_hash))
    except Exception as exc:  # noqa: BLE001 - the login itself succeeded
        log.warning("could not upgrade the password hash of user %d: %s", user_id, exc)


@router.get(
    "/me", summary="Usuário da sessão", response_class=Response, responses={"200": json_content(ref("UserPublic"))}
)
async def me(user: CurrentUser, readers: ReaderDep) -> Response:
    """The logged-in user, as stored now."""
    found = await get_user(readers, user.id)
    if found is None:
        raise ApiError(404, "not_found", "Usuário não encontrado.")
    return json_response(_encoder.encode(msgspec.convert(found[0], UserPublic)))


@router.post(
    "/logout",
    summary="Sair (revoga este token)",
    response_class=Response,
    responses={"200": json_content(ref("LogoutOut"))},
)
async def logout(request: Request, user: CurrentUser, state: StateDep, writer: WriterDep) -> Response:
    """Revoke the token of this request in every worker (its feed sockets close with 1008 too)."""
    command = RevokeToken(jti=user.jti, expires_at=float(user.expires_at), user_id=user.id)
    await Caller.of(request, idempotent=False).call(writer, command)
    state.auth.revoked[user.jti] = float(user.expires_at)
    return json_response(_encoder.encode(LogoutOut(success=True, message="Logout realizado com sucesso")))


@router.post(
    "/change-password",
    summary="Trocar a própria senha",
    response_class=Response,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": ref("ChangePasswordIn")}}}
    },
    responses={"200": json_content(ref("LoginOut"), "Nova sessão; todas as sessões anteriores são encerradas")},
)
async def change_password(request: Request, user: CurrentUser, state: StateDep, writer: WriterDep) -> Response:
    """Needs the current password; ends every session of the user (this one too) and answers a new one."""
    data = decode_json(await read_body(request, state.settings.login_max_bytes), ChangePasswordIn)
    current = data.current_password if data.current_password is not None else data.old_password
    field = "current_password" if data.current_password is not None else "old_password"
    if current is None:
        raise ApiError(422, "validation_error", "Informe a senha atual.", field="current_password")
    try:
        validate_new_password(data.new_password)
    except ValueError as exc:
        raise ApiError(422, "weak_password", str(exc), field="new_password") from None
    found = await get_user(state.readers, user.id)
    if found is None:
        raise ApiError(404, "not_found", "Usuário não encontrado.")
    row, stored = found
    if not await asyncio.to_thread(verify_password, current[:_MAX_PASSWORD_CHECKED], stored):
        raise ApiError(400, "wrong_password", "Senha atual incorreta", field=field)
    new_hash = await asyncio.to_thread(hash_password, data.new_password)
    command = ChangePassword(id=user.id, expected_hash=stored, password_hash=new_hash)
    await Caller.of(request, idempotent=False).call(writer, command)
    return json_response(session(state, row, "Senha alterada com sucesso"))


SCHEMAS = (LoginIn, ChangePasswordIn, LoginOut, LogoutOut, UserPublic)
