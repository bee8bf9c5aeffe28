"""Compact HS256 JSON Web Tokens (RFC 7519) and the file holding their signing secret."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
import time
from pathlib import Path
from typing import Literal, TypeVar

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

_ALG = "HS256"
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


class _Header(msgspec.Struct):
    alg: str


class _Payload(msgspec.Struct):
    sub: str
    name: str
    adm: bool
    iat: float  # milliseconds matter: a session ended at t refuses tokens issued before t
    exp: int
    jti: str


_T = TypeVar("_T")

_encode_json = msgspec.json.Encoder().encode
_header_decoder = msgspec.json.Decoder(_Header)
_payload_decoder = msgspec.json.Decoder(_Payload)


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode_segment(segment: str, decoder: msgspec.json.Decoder[_T]) -> _T:
    # urlsafe_b64decode silently skips characters outside the alphabet, so
    # check the alphabet first; padding is not allowed in JWS.
    if _B64URL.fullmatch(segment) is None or len(segment) % 4 == 1:
        raise TokenError("token_malformed")
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        return decoder.decode(raw)
    except (binascii.Error, msgspec.DecodeError):
        raise TokenError("token_malformed") from None


def _sign(secret: bytes, signing_input: str) -> str:
    return _b64url_encode(hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest())


def _check_secret(secret: bytes) -> None:
    if len(secret) < _SECRET_BYTES:
        raise ValueError(f"the token signing secret must be at least {_SECRET_BYTES} bytes")


_HEADER_SEGMENT = _b64url_encode(_encode_json({"alg": _ALG, "typ": "JWT"}))


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
    issued_at = round(time.time() if now is None else now, 3)
    payload = _Payload(
        sub=str(user_id),
        name=username,
        adm=is_admin,
        iat=issued_at,
        exp=int(issued_at) + int(ttl_seconds),
        jti=secrets.token_urlsafe(16),
    )
    signing_input = f"{_HEADER_SEGMENT}.{_b64url_encode(_encode_json(payload))}"
    return f"{signing_input}.{_sign(secret, signing_input)}"


def verify_token(
    secret: bytes, token: str, *, now: float | None = None, leeway: int = 30
) -> TokenClaims:
    """Check a token's signature and expiry and return its claims, or raise TokenError."""
    _check_secret(secret)
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
        raise TokenError("token_malformed")
    segments = token.split(".")
    if len(segments) != 3:
        raise TokenError("token_malformed")
    header_segment, payload_segment, signature = segments

    # Accepting the alg the token names is the classic JWT hole ("none",
    # HS/RS confusion): only the one algorithm this service signs with passes.
    if _decode_segment(header_segment, _header_decoder).alg != _ALG:
        raise TokenError("token_bad_signature")
    # Comparing the encoded text, not decoded bytes, also refuses
    # non-canonical base64 spellings of a valid signature.
    expected = _sign(secret, f"{header_segment}.{payload_segment}")
    if not hmac.compare_digest(expected, signature):
        raise TokenError("token_bad_signature")

    payload = _decode_segment(payload_segment, _payload_decoder)
    if not (payload.sub.isascii() and payload.sub.isdigit()):
        raise TokenError("token_malformed")
    current = time.time() if now is None else now
    if current >= payload.exp + leeway:
        raise TokenError("token_expired")
    return TokenClaims(
        user_id=int(payload.sub),
        username=payload.name,
        is_admin=payload.adm,
        issued_at=payload.iat,
        expires_at=payload.exp,
        jti=payload.jti,
    )


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
