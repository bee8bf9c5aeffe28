"""The worker's token check: verified tokens are remembered, yet expiry and revocations apply at once."""

from __future__ import annotations

import time

import pytest

from api.auth import TOKEN_LEEWAY_S, Authenticator
from api.errors import ApiError
from core.settings import Settings
from core.tokens import issue_token
from ipc.protocol import AuthChanged, RevokedToken, UserValidity

SECRET = b"s" * 32


def authenticator() -> Authenticator:
    return Authenticator(Settings(), SECRET)


def token(*, user_id: int = 7, now: float | None = None, ttl: int = 3600) -> str:
    return issue_token(SECRET, user_id=user_id, username="caixa", is_admin=False, ttl_seconds=ttl, now=now)


def refused(auth: Authenticator, value: str) -> str:
    with pytest.raises(ApiError) as info:
        auth.authenticate(value)
    assert info.value.status == 401
    return info.value.code


def test_a_token_is_verified_once_and_then_served_from_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    auth = authenticator()
    value = token()
    first = auth.authenticate(value)
    calls = []
    monkeypatch.setattr("api.auth.verify_token", lambda *a, **k: calls.append(a))
    assert auth.authenticate(value) == first
    assert calls == []


def test_a_bad_signature_is_never_remembered() -> None:
    auth = authenticator()
    forged = token()[:-2] + "AA"
    assert refused(auth, forged) == "token_bad_signature"
    assert refused(auth, forged) == "token_bad_signature"


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    auth = authenticator()
    issued = time.time()
    value = token(now=issued, ttl=60)
    auth.authenticate(value)
    later = issued + 60 + TOKEN_LEEWAY_S + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert refused(auth, value) == "token_expired"


def test_revocations_apply_to_remembered_tokens() -> None:
    auth = authenticator()
    value = token()
    principal = auth.authenticate(value)
    auth.apply(AuthChanged(users=[], revoked=[RevokedToken(jti=principal.jti, expires_at=principal.expires_at)]))
    assert refused(auth, value) == "token_revoked"

    other = token(user_id=8)
    auth.authenticate(other)
    auth.apply(AuthChanged(users=[UserValidity(user_id=8, valid_after=time.time() + 1)], revoked=[]))
    assert refused(auth, other) == "token_revoked"


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("api.auth._VERIFIED_CACHE_SIZE", 3)
    auth = authenticator()
    values = [token(user_id=i) for i in range(1, 6)]
    for value in values:
        auth.authenticate(value)
    assert list(auth._verified) == values[-3:]
