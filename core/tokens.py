"""HS256 JSON Web Tokens (RFC 7519) through PyJWT, and the file holding their signing secret."""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import secrets
import stat
import time
from pathlib import Path
from typing import Any, Literal

import jwt
import msgspec

__all__ = [
    "TokenClaims",
    "TokenError",
    "TokenErrorCode",
    "issue_token",
    "load_or_create_secret",
    "verify_token",
]

logger = logging.getLogger(__name__)

TokenErrorCode = Literal["token_malformed", "token_bad_signature", "token_expired"]

_MESSAGES: dict[TokenErrorCode, str] = {
    "token_malformed": "Token de acesso inválido.",
    "token_bad_signature": "Token de acesso inválido.",
    "token_expired": "Sessão expirada. Faça login novamente.",
}

# Pinned: accepting the alg a token names is the classic JWT hole ("none", HS/RS confusion).
_ALG = "HS256"
_REQUIRED = ("sub", "name", "adm", "iat", "exp", "jti")
_SECRET_BYTES = 32
# Real tokens are ~250 characters; the cap keeps hostile input cheap to refuse.
_MAX_TOKEN_LENGTH = 4096
_B64URL = re.compile(r"[A-Za-z0-9_-]*", re.ASCII)
# How long a process that lost the creation race waits for the winner's write.
_SECRET_WAIT_SECONDS = 2.0


class TokenError(Exception):
    """A token was refused; ``code`` is a stable English code, ``detail`` a Portuguese message."""

    def __init__(self, code: TokenErrorCode) -> None:
        super().__init__(code)
        self.code: TokenErrorCode = code
        self.detail = _MESSAGES[code]


class TokenClaims(msgspec.Struct, frozen=True):
    """The verified identity a token carries."""

    user_id: int
    username: str
    is_admin: bool
    issued_at: float
    expires_at: int
    jti: str


def _check_secret(secret: bytes) -> None:
    if len(secret) < _SECRET_BYTES:
        raise ValueError(f"the token signing secret must be at least {_SECRET_BYTES} bytes")


def issue_token(
    secret: bytes,
    *,
    user_id: int,
    username: str,
    is_admin: bool,
    ttl_seconds: int,
    now: float | None = None,
) -> str:
    """Sign an HS256 token for a user, valid for ``ttl_seconds`` from ``now``."""
    _check_secret(secret)
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    # Milliseconds matter: a session ended at t refuses tokens issued before t.
    issued_at = round(time.time() if now is None else now, 3)
    payload = {
        "sub": str(user_id),
        "name": username,
        "adm": is_admin,
        "iat": issued_at,
        "exp": int(issued_at) + int(ttl_seconds),
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(payload, secret, algorithm=_ALG)


def _check_shape(token: str) -> None:
    """Refuse what PyJWT would let through: padding, stray characters, a non-canonical signature."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
        raise TokenError("token_malformed")
    segments = token.split(".")
    if len(segments) != 3:
        raise TokenError("token_malformed")
    for segment in segments:
        # urlsafe_b64decode silently skips characters outside the alphabet; padding is not JWS.
        if _B64URL.fullmatch(segment) is None or len(segment) % 4 == 1:
            raise TokenError("token_malformed")
    signature = segments[2]
    try:
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except binascii.Error:
        raise TokenError("token_malformed") from None
    # Two spellings can decode to the same bytes (unused low bits): only the issued text passes.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != signature:
        raise TokenError("token_bad_signature")


def _claims(payload: dict[str, Any]) -> TokenClaims:
    sub, name, adm, iat, exp, jti = (payload[claim] for claim in _REQUIRED)
    if not (isinstance(sub, str) and sub.isascii() and sub.isdigit()):
        raise TokenError("token_malformed")
    if not isinstance(name, str) or not isinstance(adm, bool) or not isinstance(jti, str):
        raise TokenError("token_malformed")
    if isinstance(exp, bool) or not isinstance(exp, int) or isinstance(iat, bool) or not isinstance(iat, (int, float)):
        raise TokenError("token_malformed")
    return TokenClaims(user_id=int(sub), username=name, is_admin=adm, issued_at=iat, expires_at=exp, jti=jti)


def verify_token(secret: bytes, token: str, *, now: float | None = None, leeway: int = 30) -> TokenClaims:
    """Check a token's signature and expiry and return its claims, or raise TokenError."""
    _check_secret(secret)
    _check_shape(token)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.exceptions.DecodeError:
        raise TokenError("token_malformed") from None
    if not isinstance(header.get("alg"), str):
        raise TokenError("token_malformed")
    try:
        # Expiry is checked below against `now` (tests and the per-worker cache pass their own
        # clock), with the same rule PyJWT applies: refused once now >= exp + leeway.
        payload = jwt.decode(
            token,
            secret,
            algorithms=[_ALG],
            options={"require": list(_REQUIRED), "verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except (jwt.exceptions.InvalidSignatureError, jwt.exceptions.InvalidAlgorithmError):
        raise TokenError("token_bad_signature") from None
    except jwt.exceptions.InvalidTokenError:
        raise TokenError("token_malformed") from None
    claims = _claims(payload)
    current = time.time() if now is None else now
    if current >= claims.expires_at + leeway:
        raise TokenError("token_expired")
    return claims


def _parse_secret(data: bytes) -> bytes | None:
    try:
        secret = bytes.fromhex(data.decode("ascii"))
    except ValueError:
        return None
    return secret if len(secret) >= _SECRET_BYTES else None


def _create_secret(path: Path) -> bytes:
    secret = secrets.token_bytes(_SECRET_BYTES)
    # O_EXCL makes creation atomic: of two processes starting together,
    # exactly one creates the file; the other gets FileExistsError.
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(secret.hex().encode("ascii") + b"\n")
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    logger.info("created token signing secret %s", path)
    return secret


def _warn_if_shared(path: Path) -> None:
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        logger.warning("token signing secret %s is readable by other users; chmod 600 it", path)


def load_or_create_secret(path: Path) -> bytes:
    """Read the hex signing secret at ``path``, creating it (mode 0600) if it is missing.

    On Windows the mode is ignored (files inherit the directory's ACL), so keep
    the data directory itself restricted to the service account.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + _SECRET_WAIT_SECONDS
    while True:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            try:
                return _create_secret(path)
            except FileExistsError:
                continue  # another process won the race: read its secret
        secret = _parse_secret(data)
        if secret is not None:
            _warn_if_shared(path)
            return secret
        if time.monotonic() >= deadline:
            raise ValueError(
                f"{path} does not hold a hex secret of at least {_SECRET_BYTES} bytes;"
                " delete it to have a new one generated (signed-in users must log in again)"
            )
        time.sleep(0.01)  # the winner of a creation race may still be writing
