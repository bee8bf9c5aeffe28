"""Authentication in one API worker: token checks in memory, revocations pushed by the writer.

A request's token is verified with HMAC alone (no database round trip). What
can end a session before its expiry, logout, a password or role change, a
deactivation, is committed by the writer, pushed to every worker
(`AuthChanged`), and reloaded from the database whenever the worker
reconnects to the writer, so a worker never misses one for long.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable

import msgspec

from core.accounts import INACTIVE_VALID_AFTER
from core.ratelimit import LoginLimiter
from core.settings import Settings
from core.tokens import TokenClaims, TokenError, issue_token, verify_token
from ipc.protocol import Actor, AuthChanged
from readers.pool import ReaderPool
from readers.users import load_revocations

from .errors import ApiError

__all__ = ["Principal", "Authenticator", "LoginThrottle", "unauthorized", "SessionWatcher"]

log = logging.getLogger("sgp.api.auth")

# Seconds past `exp` a token is still accepted (clock skew between hosts; verify_token's default).
TOKEN_LEEWAY_S = 30
# Verified tokens remembered per worker. Verifying (two base64 and JSON decodes plus
# an HMAC) cost more than the rest of a small GET's auth; a hit only re-checks the
# expiry, and revocations are checked on every request either way. The bound keeps
# memory small; only correctly signed tokens get in, so it cannot be flooded.
_VERIFIED_CACHE_SIZE = 4096

_ENDED: dict[str, str] = {
    "token_revoked": "Sessão encerrada. Faça login novamente.",
    "user_inactive": "Usuário inativo.",
    "token_expired": "Sessão expirada. Faça login novamente.",
}

# Called after revocations change; feed sockets use it to close ended sessions at once.
SessionWatcher = Callable[[], None]


class Principal(msgspec.Struct, frozen=True):
    """The authenticated caller of a request."""

    id: int
    username: str
    is_admin: bool
    jti: str
    expires_at: int
    issued_at: float = 0.0

    @property
    def actor(self) -> Actor:
        """Who the writer records in events."""
        return Actor(id=self.id, username=self.username)


def unauthorized(detail: str = "Autenticação necessária.", code: str = "not_authenticated") -> ApiError:
    """401 with the bearer challenge."""
    return ApiError(401, code, detail, headers={"WWW-Authenticate": "Bearer"})


class LoginThrottle:
    """Limits password checks per username and, more loosely, per client address.

    Each attempt is counted when it starts, before the ~50 ms hash, so a burst of
    concurrent attempts cannot all get in before the first failure is recorded; a
    success clears the username and gives the address its attempt back. Every
    worker keeps its own counts, so the budget is split by the number of workers:
    however the attempts spread, the server as a whole checks no more passwords
    than the configured limit before delays start.
    The address limit is looser because a whole shop may sit behind one address.
    """

    def __init__(self, max_failures: int = 5, max_per_address: int = 30, workers: int = 1) -> None:
        self._users = LoginLimiter(max_failures=max(1, max_failures // workers))
        self._addresses = LoginLimiter(max_failures=max(1, max_per_address // workers))

    def begin(self, username: str, address: str | None) -> float:
        """Count this attempt now; a positive result is the wait (the attempt is refused, not counted)."""
        by_address = self._addresses.delay_for(f"@{address}", None) if address else 0.0
        delay = max(self._users.delay_for(username, None), by_address)
        if delay > 0:
            return delay
        self._users.record_failure(username, None)
        if address:
            self._addresses.record_failure(f"@{address}", None)
        return 0.0

    def succeeded(self, username: str, address: str | None) -> None:
        """The password was right: forget the username's attempts, give the address its one back."""
        self._users.record_success(username, None)
        if address:
            self._addresses.forgive(f"@{address}", None)

    def retry_after(self, delay: float) -> str:
        """The Retry-After header value for a wait."""
        return str(max(1, math.ceil(delay)))


class Authenticator:
    """Issues and checks tokens for one worker; keeps the revocations it has been told about."""

    def __init__(self, settings: Settings, secret: bytes) -> None:
        self._secret = secret
        self._ttl = settings.token_ttl_s
        self.valid_after: dict[int, float] = {}
        self.revoked: dict[str, float] = {}
        self.limiter = LoginThrottle(
            settings.login_max_failures, settings.login_max_failures_per_address, settings.workers
        )
        self.watchers: set[SessionWatcher] = set()
        self._reload_task: asyncio.Task[None] | None = None
        # Token string -> principal of tokens whose signature checked out.
        self._verified: dict[str, Principal] = {}

    def issue(self, user_id: int, username: str, is_admin: bool) -> tuple[str, TokenClaims]:
        """A fresh signed token and its claims."""
        token = issue_token(self._secret, user_id=user_id, username=username, is_admin=is_admin, ttl_seconds=self._ttl)
        return token, verify_token(self._secret, token)

    def authenticate(self, token: str) -> Principal:
        """The caller behind `token`; raises a 401 ApiError for a bad, expired or revoked one."""
        principal = self._verified.get(token)
        if principal is None or time.time() >= principal.expires_at + TOKEN_LEEWAY_S:
            principal = self._verify(token)
        # Checked on every request, cached or not: a revocation takes effect at once.
        ended = self.ended(principal)
        if ended is not None:
            raise unauthorized(_ENDED[ended], ended)
        return principal

    def ended(self, principal: Principal, now: float | None = None) -> str | None:
        """Why this session is over (`token_revoked`, `user_inactive`, `token_expired`), or None."""
        after = self.valid_after.get(principal.id, 0.0)
        if after >= INACTIVE_VALID_AFTER:
            return "user_inactive"
        if principal.jti in self.revoked or principal.issued_at < after:
            return "token_revoked"
        if (time.time() if now is None else now) >= principal.expires_at + TOKEN_LEEWAY_S:
            return "token_expired"
        return None

    def _verify(self, token: str) -> Principal:
        """Check the signature and expiry, and remember the result for this exact token string."""
        self._verified.pop(token, None)
        try:
            claims = verify_token(self._secret, token, leeway=TOKEN_LEEWAY_S)
        except TokenError as exc:
            raise unauthorized(exc.detail, exc.code) from None
        principal = Principal(
            claims.user_id, claims.username, claims.is_admin, claims.jti, claims.expires_at, claims.issued_at
        )
        if len(self._verified) >= _VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]  # the oldest entry (dicts keep insertion order)
        self._verified[token] = principal
        return principal

    def apply(self, change: AuthChanged) -> None:
        """Take a change pushed by the writer (merging: pushes and reloads may interleave)."""
        for user in change.users:
            self.valid_after[user.user_id] = user.valid_after
        now = time.time()
        for token in change.revoked:
            if token.expires_at > now:
                self.revoked[token.jti] = token.expires_at
        self._notify()

    def _notify(self) -> None:
        for watcher in list(self.watchers):
            try:
                watcher()
            except Exception:
                log.exception("session watcher failed")

    def schedule_reload(self, readers: ReaderPool) -> None:
        """Reload revocations from the database in the background (after a writer reconnect)."""
        if self._reload_task is None or self._reload_task.done():
            self._reload_task = asyncio.get_running_loop().create_task(self.reload(readers))

    async def reload(self, readers: ReaderPool) -> None:
        """Read every current revocation; expired entries are dropped."""
        try:
            users, revoked = await load_revocations(readers)
        except Exception:
            log.exception("could not reload session revocations; keeping the ones in memory")
            return
        for user_id, after in users.items():
            # The database is the later truth for users: a reactivation lowers valid_after.
            self.valid_after[user_id] = after
        now = time.time()
        self.revoked = {jti: exp for jti, exp in {**self.revoked, **revoked}.items() if exp > now}
        self._notify()
