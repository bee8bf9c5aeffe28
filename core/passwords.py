"""Password hashing (argon2id), verification of older hashes, and the policy for new passwords.

New hashes are argon2id (argon2-cffi). Verification also accepts the hashes
an existing database may hold: ours from before argon2 (``scrypt$...``) and
the old SGP server's bcrypt (``$2b$``, ``$2a$``, ``$2y$``), so imported users
log in with their old password. `needs_rehash` is true for anything but
argon2id with the current parameters; the login then stores a fresh hash.

Parameters: t=2, m=19 MiB, p=1 (the OWASP baseline for argon2id). One hash
or verification takes about 27 ms of one core here (`python -m
bench.passwords`), so a start-of-shift burst of 100 logins costs under a
second of CPU on a 4-core server, and 19 MiB per concurrent check keeps the
worker's thread pool (at most ~8 at once) well under 200 MB.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import NamedTuple

import bcrypt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "ARGON2_MEMORY_KIB",
    "ARGON2_PARALLELISM",
    "ARGON2_TIME_COST",
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

ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1

_hasher = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)

# Stored argon2 parameters come from the database; refuse values that would make
# one verification allocate hundreds of megabytes or run for seconds.
_ARGON2_PARAMS = re.compile(r"\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,2})\$", re.ASCII)
_ARGON2_MAX_MEMORY_KIB = 256 * 1024
_ARGON2_MAX_TIME = 10

# bcrypt hashes of the old SGP server (passlib/bcrypt write $2b$; $2a$/$2y$ are older spellings).
_BCRYPT = re.compile(r"\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}", re.ASCII)
_BCRYPT_MAX_COST = 16
# bcrypt reads only the first 72 bytes; bcrypt>=5 refuses longer input instead of truncating.
_BCRYPT_MAX_BYTES = 72

# scrypt, this service's hash before argon2id (still verified, then rehashed).
_SCRYPT_MAX_MEMORY = 256 * 1024 * 1024
_SCRYPT_MAX_P = 16
_SCRYPT_MIN_HASH_BYTES = 16
_SCRYPT = re.compile(
    r"scrypt\$(\d{1,10})\$(\d{1,4})\$(\d{1,4})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})",
    re.ASCII,
)

# A hash of a discarded random value with the current parameters: verifying against it
# costs the same as a real check, so a login for an unknown user takes as long as a wrong password.
DUMMY_HASH = "$argon2id$v=19$m=19456,t=2,p=1$0habTimI4bUajwAXrV9pWg$MY/UBQhZU9CCYNAJ7Ol71aUYgXzwDtRsTz/cBHJLIXY"


class _Scrypt(NamedTuple):
    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes


def _secret(password: str) -> bytes:
    # surrogatepass: a JSON body may carry lone surrogates; hash them, do not crash.
    return password.encode("utf-8", "surrogatepass")


def hash_password(password: str) -> str:
    """Hash a password as argon2id (PHC string ``$argon2id$v=19$m=...,t=...,p=...$salt$hash``)."""
    return _hasher.hash(_secret(password))


def verify_password(password: str, encoded: str | None) -> bool:
    """Check a password against an argon2id, scrypt or bcrypt hash; False if the hash is malformed."""
    if not isinstance(encoded, str):
        return False
    if encoded.startswith("$argon2"):
        return _verify_argon2(password, encoded)
    if encoded.startswith("scrypt$"):
        return _verify_scrypt(password, encoded)
    if encoded.startswith("$2"):
        return _verify_bcrypt(password, encoded)
    return False


def needs_rehash(encoded: str) -> bool:
    """Whether a stored hash is anything but argon2id with the current parameters."""
    if not isinstance(encoded, str) or not encoded.startswith("$argon2id$"):
        return True
    try:
        return _hasher.check_needs_rehash(encoded)
    except (InvalidHashError, ValueError):
        return True


def validate_new_password(password: str) -> None:
    """Raise ValueError with a Portuguese message if a new password breaks the policy."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"A senha deve ter pelo menos {MIN_PASSWORD_LENGTH} caracteres.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"A senha deve ter no máximo {MAX_PASSWORD_LENGTH} caracteres.")


def _verify_argon2(password: str, encoded: str) -> bool:
    match = _ARGON2_PARAMS.match(encoded)
    if match is None:
        return False
    memory, time_cost, _ = (int(group) for group in match.groups())
    if memory > _ARGON2_MAX_MEMORY_KIB or time_cost > _ARGON2_MAX_TIME:
        return False
    try:
        return _hasher.verify(encoded, _secret(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError, ValueError):
        return False


def _verify_bcrypt(password: str, encoded: str) -> bool:
    match = _BCRYPT.fullmatch(encoded)
    if match is None or int(match.group(1)) > _BCRYPT_MAX_COST:
        return False
    try:
        return bcrypt.checkpw(_secret(password)[:_BCRYPT_MAX_BYTES], encoded.encode("ascii"))
    except ValueError:
        return False


def _verify_scrypt(password: str, encoded: str) -> bool:
    parsed = _parse_scrypt(encoded)
    if parsed is None:
        return False
    # OpenSSL needs 128*r*(n+p+2) bytes; its default cap (32 MiB) is too tight for stronger parameters.
    maxmem = 128 * parsed.r * (parsed.n + parsed.p + 2) + 1024 * 1024
    try:
        candidate = hashlib.scrypt(
            _secret(password),
            salt=parsed.salt,
            n=parsed.n,
            r=parsed.r,
            p=parsed.p,
            maxmem=maxmem,
            dklen=len(parsed.digest),
        )
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(candidate, parsed.digest)


def _parse_scrypt(encoded: str) -> _Scrypt | None:
    match = _SCRYPT.fullmatch(encoded)
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
        or not 1 <= p <= _SCRYPT_MAX_P
        or 128 * r * (n + p + 2) > _SCRYPT_MAX_MEMORY
        or len(digest) < _SCRYPT_MIN_HASH_BYTES
    ):
        return None
    return _Scrypt(n, r, p, salt, digest)
