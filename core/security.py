"""Authentication primitives: password hashing, signed tokens, login throttling.

Pure and dependency-free (stdlib and msgspec); the API layer maps them to HTTP.
"""

from core.passwords import (
    DUMMY_HASH,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    validate_new_password,
    verify_password,
)
from core.ratelimit import LoginLimiter
from core.tokens import (
    TokenClaims,
    TokenError,
    TokenErrorCode,
    issue_token,
    load_or_create_secret,
    verify_token,
)

__all__ = [
    "DUMMY_HASH",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "LoginLimiter",
    "TokenClaims",
    "TokenError",
    "TokenErrorCode",
    "hash_password",
    "issue_token",
    "load_or_create_secret",
    "needs_rehash",
    "validate_new_password",
    "verify_password",
    "verify_token",
]
