"""/auth: login (JSON or OAuth2 form), me, logout, change-password."""

from __future__ import annotations

import asyncio
import logging
import math

import msgspec
from fastapi import APIRouter, Request
from starlette.responses import Response

from core.accounts import UserPublic
from core.passwords import DUMMY_HASH, hash_password, needs_rehash, validate_new_password, verify_password
from readers.users import get_user, get_user_for_login
from writer.protocol import ChangePassword, RehashPassword, RevokeToken

from ..body import read_body
from ..deps import CurrentUser, ReaderDep, StateDep, WriterDep
from ..errors import ApiError
from ..responses import json_content, json_response, ref

__all__ = ["router", "LoginIn", "ChangePasswordIn", "LoginOut"]

log = logging.getLogger("sgp.api.auth")

router = APIRouter(prefix="/auth", tags=["auth"])

_MAX_AUTH_BODY = 16 * 1024


class LoginIn(msgspec.Struct, forbid_unknown_fields=False):
    """Credentials."""

    username: str
    password: str


class ChangePasswordIn(msgspec.Struct):
    """Old and new password."""

    old_password: str
    new_password: str


class LoginOut(msgspec.Struct):
    """A session: `session_token` repeats `access_token` (the name SGP clients read)."""

    access_token: str
    session_token: str
    token_type: str
    expires_in: int
    user: UserPublic


_encoder = msgspec.json.Encoder()


def _invalid_credentials() -> ApiError:
    return ApiError(401, "invalid_credentials", "Usuário ou senha inválidos.", headers={"WWW-Authenticate": "Bearer"})


async def _credentials(request: Request) -> LoginIn:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        username, password = form.get("username"), form.get("password")
        if not isinstance(username, str) or not username:
            raise ApiError(422, "validation_error", "Informe o usuário.", field="username")
        if not isinstance(password, str) or not password:
            raise ApiError(422, "validation_error", "Informe a senha.", field="password")
        return LoginIn(username=username, password=password)
    body = await read_body(request, _MAX_AUTH_BODY)
    return _decode(body, LoginIn)


def _decode(body: bytes, type_: type) -> msgspec.Struct:
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.ValidationError as exc:
        field = str(exc).rsplit("`$.", 1)[-1].rstrip("`") if "`$." in str(exc) else None
        raise ApiError(422, "validation_error", f"Dados inválidos: {exc}", field=field) from None
    except msgspec.DecodeError:
        raise ApiError(400, "invalid_json", "JSON inválido.") from None


def session(state, user: dict) -> bytes:  # type: ignore[no-untyped-def]
    """A login answer for `user` (a readers.users row)."""
    token, claims = state.auth.issue(user["id"], user["username"], user["is_admin"])
    out = LoginOut(
        access_token=token,
        session_token=token,
        token_type="bearer",
        expires_in=int(claims.expires_at - claims.issued_at),
        user=msgspec.convert(user, UserPublic),
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
    responses={"200": json_content(ref("LoginOut")), "401": json_content(ref("Error")), "429": json_content(ref("Error"))},
)
async def login(request: Request, state: StateDep) -> Response:
    """Check the password; wrong user and wrong password give the same 401 after the same work."""
    creds = await _credentials(request)
    address = request.client.host if request.client else None
    limiter = state.auth.limiter
    delay = limiter.delay_for(creds.username, address)
    if delay > 0:
        raise ApiError(
            429, "too_many_attempts", "Muitas tentativas de login; aguarde e tente de novo.",
            headers={"Retry-After": str(math.ceil(delay))},
        )
    found = await get_user_for_login(state.readers, creds.username) if len(creds.username) <= 64 else None
    stored = found[1] if found else DUMMY_HASH
    # scrypt takes ~50 ms of CPU: off the event loop, and for unknown users too.
    valid = await asyncio.to_thread(verify_password, creds.password[:1024], stored)
    if found is None or not valid:
        limiter.record_failure(creds.username, address)
        raise _invalid_credentials()
    limiter.record_success(creds.username, address)
    if needs_rehash(stored):  # an imported (bcrypt) or older (scrypt) hash: store argon2id now
        await _rehash(state, found[0]["id"], creds.password[:1024], stored)
    return json_response(session(state, found[0]))


async def _rehash(state, user_id: int, password: str, stored: str) -> None:  # type: ignore[no-untyped-def]
    """Best effort: a failed upgrade is retried at the next login, never fails this one."""
    try:
        new_hash = await asyncio.to_thread(hash_password, password)
        await state.writer.call(RehashPassword(id=user_id, expected_hash=stored, password_hash=new_hash))
    except Exception as exc:  # noqa: BLE001 - the login itself succeeded
        log.warning("could not upgrade the password hash of user %d: %s", user_id, exc)


@router.get("/me", summary="Usuário da sessão", response_class=Response, responses={"200": json_content(ref("UserPublic"))})
async def me(user: CurrentUser, readers: ReaderDep) -> Response:
    """The logged-in user, as stored now."""
    found = await get_user(readers, user.id)
    if found is None:
        raise ApiError(404, "not_found", "Usuário não encontrado.")
    return json_response(_encoder.encode(msgspec.convert(found[0], UserPublic)))


@router.post("/logout", summary="Sair (revoga este token)", response_class=Response)
async def logout(user: CurrentUser, state: StateDep, writer: WriterDep) -> Response:
    """Revoke the token of this request in every worker."""
    ok = await writer.call(
        RevokeToken(jti=user.jti, expires_at=float(user.expires_at), user_id=user.id), actor=user.actor
    )
    state.auth.revoked[user.jti] = float(user.expires_at)
    return json_response(ok.body)


@router.post(
    "/change-password",
    summary="Trocar a própria senha",
    response_class=Response,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": ref("ChangePasswordIn")}}}},
    responses={"200": json_content(ref("LoginOut"), "Nova sessão; as outras sessões são encerradas")},
)
async def change_password(request: Request, user: CurrentUser, state: StateDep, writer: WriterDep) -> Response:
    """Needs the old password; ends the user's other sessions and answers a new one."""
    data = _decode(await read_body(request, _MAX_AUTH_BODY), ChangePasswordIn)
    assert isinstance(data, ChangePasswordIn)
    try:
        validate_new_password(data.new_password)
    except ValueError as exc:
        raise ApiError(422, "weak_password", str(exc), field="new_password") from None
    found = await get_user(state.readers, user.id)
    if found is None:
        raise ApiError(404, "not_found", "Usuário não encontrado.")
    row, stored = found
    if not await asyncio.to_thread(verify_password, data.old_password[:1024], stored):
        raise ApiError(400, "wrong_password", "A senha atual não confere.", field="old_password")
    new_hash = await asyncio.to_thread(hash_password, data.new_password)
    await writer.call(ChangePassword(id=user.id, expected_hash=stored, password_hash=new_hash), actor=user.actor)
    return json_response(session(state, row))


SCHEMAS = (LoginIn, ChangePasswordIn, LoginOut, UserPublic)
