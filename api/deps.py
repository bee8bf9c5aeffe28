"""FastAPI dependencies as Annotated aliases.

Access rules (README "Accounts"): every write needs a token; reads need one
unless `SGP_OPEN_READS` is on; admins alone delete pedidos, change
`financeiro`, manage users and take backups; ops endpoints take a token or
the ops token.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from core.settings import Settings
from ipc.client import WriterClient
from media import MediaStore
from readers.pool import ReaderPool

from .auth import Principal, unauthorized
from .errors import ApiError
from .state import WorkerState

__all__ = [
    "StateDep",
    "SettingsDep",
    "ReaderDep",
    "WriterDep",
    "MediaDep",
    "CurrentUser",
    "AdminUser",
    "ReadAccess",
    "OpsAccess",
    "pedidos_access",
    "fichas_access",
    "records_access",
    "principal_of",
]

# Declares the bearer scheme in OpenAPI, so /docs "Authorize" logs in with the password flow.
_bearer = OAuth2PasswordBearer(tokenUrl="/auth/login", auto_error=False)

# Every dependency below is `async def` although none awaits: FastAPI runs a plain
# `def` dependency in the anyio thread pool, a thread hop (and GIL hand-off) per
# dependency per request; that was over a tenth of a worker's CPU under load.


async def _state(request: Request) -> WorkerState:
    value: WorkerState = request.app.state.sgp
    return value


async def _settings(request: Request) -> Settings:
    value: Settings = request.app.state.sgp.settings
    return value


async def _readers(request: Request) -> ReaderPool:
    value: ReaderPool = request.app.state.sgp.readers
    return value


async def _writer(request: Request) -> WriterClient:
    value: WriterClient = request.app.state.sgp.writer
    return value


async def _media(request: Request) -> MediaStore:
    value: MediaStore = request.app.state.sgp.media
    return value


StateDep = Annotated[WorkerState, Depends(_state)]
SettingsDep = Annotated[Settings, Depends(_settings)]
ReaderDep = Annotated[ReaderPool, Depends(_readers)]
WriterDep = Annotated[WriterClient, Depends(_writer)]
MediaDep = Annotated[MediaStore, Depends(_media)]


def _authenticate(request: Request, token: str | None) -> Principal:
    if not token:
        raise unauthorized()
    principal: Principal = request.app.state.sgp.auth.authenticate(token)
    request.state.principal = principal
    return principal


async def current_user(request: Request, token: Annotated[str | None, Depends(_bearer)]) -> Principal:
    """The caller; 401 without a valid token."""
    return _authenticate(request, token)


async def admin_user(user: Annotated[Principal, Depends(current_user)]) -> Principal:
    """The caller, who must be an admin (403 otherwise)."""
    if not user.is_admin:
        raise ApiError(403, "forbidden", "Apenas administradores podem fazer isto.")
    return user


async def read_access(request: Request, token: Annotated[str | None, Depends(_bearer)]) -> Principal | None:
    """Readers: a token, unless SGP_OPEN_READS opens reads to the trusted LAN."""
    if request.app.state.sgp.settings.open_reads and not token:
        return None
    return _authenticate(request, token)


async def ops_access(request: Request, token: Annotated[str | None, Depends(_bearer)]) -> Principal | None:
    """Ops endpoints: a user token, or the ops token (SGP_OPS_TOKEN) for monitoring systems."""
    ops_token = request.app.state.sgp.settings.ops_token
    if ops_token and token and hmac.compare_digest(token.encode(), ops_token.encode()):
        return None
    return _authenticate(request, token)


def _resource_access(plural: str) -> Callable[..., Awaitable[Principal | None]]:
    """Router-wide rule: reads per read_access, writes need a user, DELETE an admin."""

    async def access(request: Request, token: Annotated[str | None, Depends(_bearer)]) -> Principal | None:
        if request.method in ("GET", "HEAD"):
            return await read_access(request, token)
        user = _authenticate(request, token)
        if request.method == "DELETE" and not user.is_admin:
            raise ApiError(403, "forbidden", f"Apenas administradores podem excluir {plural}.")
        return user

    return access


pedidos_access = _resource_access("pedidos")
fichas_access = _resource_access("fichas")


async def records_access(request: Request, token: Annotated[str | None, Depends(_bearer)]) -> Principal | None:
    """Catalogs: reads per read_access, every write (delete too) any user.

    The old server left them open and the client's admin pages are their only
    writers; demanding admin would only show the client's confusing 403 toast.
    """
    if request.method in ("GET", "HEAD"):
        return await read_access(request, token)
    return _authenticate(request, token)


def principal_of(request: Request) -> Principal | None:
    """The principal a dependency authenticated for this request, if any."""
    return getattr(request.state, "principal", None)


CurrentUser = Annotated[Principal, Depends(current_user)]
AdminUser = Annotated[Principal, Depends(admin_user)]
ReadAccess = Annotated[Principal | None, Depends(read_access)]
OpsAccess = Annotated[Principal | None, Depends(ops_access)]
