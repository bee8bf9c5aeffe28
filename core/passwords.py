"""Password hashing with stdlib scrypt, and the policy for new passwords."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from typing import NamedTuple

__all__ = [
    "DUMMY_HASH",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "hash_password",
    "needs_rehash",
    "validate_new_password",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256

_N = 2**14
_R = 8
_P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32

# Stored parameters come from the database; refuse values that would make a
# single verification allocate hundreds of megabytes or run for seconds.
_MAX_MEMORY = 256 * 1024 * 1024
_MAX_P = 16
_MIN_STORED_HASH_BYTES = 16

_ENCODED = re.compile(
    r"scrypt\$(\d{1,10})\$(\d{1,4})\$(\d{1,4})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})",
    re.ASCII,
)

# A hash of a discarded random value: verifying against it costs the same as a
# real check, so a login for an unknown user takes as long as a wrong password.
DUMMY_HASH = (
    "scrypt$16384$8$1$c0MayOcAaTvL7oyaD+x9Gw==$oq3nK3QPGOBAoFjAthxJYIirucnMyqS45xkD8Xy4zAw="
)


class _Scrypt(NamedTuple):
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes


def _scrypt(password: str, salt: bytes, *, n: int, r: int, p: int, dklen: int) -> bytes:
    # OpenSSL needs 128*r*(n+p+2) bytes; its default cap (32 MiB) is too tight
    # for stronger stored parameters, so size the cap from the parameters.
    maxmem = 128 * r * (n + p + 2) + 1024 * 1024
    # surrogatepass: a JSON body may carry lone surrogates; hash them, do not crash.
    secret = password.encode("utf-8", "surrogatepass")
    return hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=dklen)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _parse(encoded: object) -> _Scrypt | None:
    if not isinstance(encoded, str):
        return None
    match = _ENCODED.fullmatch(encoded)
    if match is None:
        return None
    n, r, p = (int(group) for group in match.group(1, 2, 3))
    try:
        salt = base64.b64decode(match.group(4), validate=True)
        digest = base64.b64decode(match.group(5), validate=True)
    except binascii.Error:
        return None
    if (
        n < 2
        or n & (n - 1)
        or r < 1
        or not 1 <= p <= _MAX_P
        or 128 * r * (n + p + 2) > _MAX_MEMORY
        or len(digest) < _MIN_STORED_HASH_BYTES
    ):
        return None
    return _Scrypt(n, r, p, salt, digest)


def hash_password(password: str) -> str:
    """Hash a password as ``scrypt$n$r$p$salt_b64$hash_b64`` with a fresh random salt."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, n=_N, r=_R, p=_P, dklen=_HASH_BYTES)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """Check a password against an encoded hash in constant time; False if the hash is malformed."""
    parsed = _parse(encoded)
    if parsed is None:
        return False
    try:
        candidate = _scrypt(
            password, parsed.salt, n=parsed.n, r=parsed.r, p=parsed.p, dklen=len(parsed.digest)
        )
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(candidate, parsed.digest)


def needs_rehash(encoded: str) -> bool:
    """Whether an encoded hash is malformed or uses parameters other than the current ones."""
    parsed = _parse(encoded)
    return parsed is None or (
        (parsed.n, parsed.r, parsed.p, len(parsed.salt), len(parsed.digest))
        != (_N, _R, _P, _SALT_BYTES, _HASH_BYTES)
    )


def validate_new_password(password: str) -> None:
    """Raise ValueError with a Portuguese message if a new password breaks the policy."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"A senha deve ter pelo menos {MIN_PASSWORD_LENGTH} caracteres.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"A senha deve ter no máximo {MAX_PASSWORD_LENGTH} caracteres.")
