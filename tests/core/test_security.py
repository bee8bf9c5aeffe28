"""Tests for core.security: passwords, tokens, the secret file and the login limiter."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import threading

import pytest

import core.security
import core.tokens
from core.security import (
    DUMMY_HASH,
    LoginLimiter,
    TokenError,
    hash_password,
    issue_token,
    load_or_create_secret,
    needs_rehash,
    validate_new_password,
    verify_password,
    verify_token,
)

SECRET = b"s" * 32
NOW = 1_700_000_000.0


def test_public_surface_resolves():
    for name in core.security.__all__:
        assert hasattr(core.security, name), name


# --- passwords -------------------------------------------------------------


@pytest.fixture(scope="module")
def stored_hash() -> str:
    return hash_password("correta horse 42")


def test_hash_format_and_verify(stored_hash):
    assert "correta horse 42" not in stored_hash
    assert stored_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password("correta horse 42", stored_hash)
    assert not needs_rehash(stored_hash)


def test_wrong_password_is_refused(stored_hash):
    assert not verify_password("correta horse 43", stored_hash)


def test_same_password_gets_a_fresh_salt(stored_hash):
    assert hash_password("correta horse 42") != stored_hash


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        None,
        "plaintext",
        "bcrypt$16384$8$1$c2FsdA==$aGFzaA==",
        "scrypt$16384$8$1$c2FsdA==",
        "scrypt$16384$8$1$c2FsdA==$not*base64",
        "scrypt$16384$8$1$c2FsdA==$c2hvcnQ=",  # digest too short
        "scrypt$1000$8$1$c2FsdGVkc2FsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  # n not 2**k
        "scrypt$1073741824$8$1$c2FsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  # too much memory
        "scrypt$+16384$8$1$c2FsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ],
)
def test_malformed_hash_is_refused(encoded):
    assert not verify_password("whatever1", encoded)
    assert needs_rehash(encoded)


def test_other_parameters_verify_but_need_rehash():
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(b"senha antiga", salt=salt, n=2**10, r=8, p=1, dklen=32)
    encoded = f"scrypt$1024$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    assert verify_password("senha antiga", encoded)
    assert needs_rehash(encoded)


def test_dummy_hash_uses_current_parameters_and_matches_nothing():
    assert not needs_rehash(DUMMY_HASH)
    assert not verify_password("", DUMMY_HASH)


@pytest.mark.parametrize("password", ["", "1234567", "x" * 257])
def test_new_password_policy_refuses(password):
    with pytest.raises(ValueError, match="senha"):
        validate_new_password(password)


@pytest.mark.parametrize("password", ["12345678", "ç" * 256])
def test_new_password_policy_accepts(password):
    validate_new_password(password)


# --- tokens ----------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(header: dict, payload: dict, secret: bytes = SECRET) -> str:
    """Build a token independently of core.tokens, signed with HS256."""
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(payload).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def _claims(**overrides) -> dict:
    claims = {"sub": "7", "name": "ana", "adm": False, "iat": 100, "exp": 200, "jti": "x"}
    return claims | overrides


def _issue(**overrides) -> str:
    kwargs = {"user_id": 7, "username": "ana", "is_admin": True, "ttl_seconds": 3600, "now": NOW}
    return issue_token(SECRET, **(kwargs | overrides))


def _code(token: str, secret: bytes = SECRET, now: float = NOW) -> str:
    with pytest.raises(TokenError) as caught:
        verify_token(secret, token, now=now)
    return caught.value.code


def test_token_round_trip():
    token = _issue()
    claims = verify_token(SECRET, token, now=NOW + 60)
    assert (claims.user_id, claims.username, claims.is_admin) == (7, "ana", True)
    assert (claims.issued_at, claims.expires_at) == (int(NOW), int(NOW) + 3600)
    assert len(base64.urlsafe_b64decode(claims.jti + "==")) == 16
    assert "=" not in token
    assert _issue().split(".")[1] != token.split(".")[1]  # fresh jti each time


def test_token_interoperates_with_a_standard_hs256_token():
    claims = verify_token(SECRET, _forge({"alg": "HS256", "typ": "JWT"}, _claims()), now=150)
    assert (claims.user_id, claims.username, claims.jti) == (7, "ana", "x")


def test_expired_token_is_refused_after_the_leeway():
    token = _issue(ttl_seconds=60)
    expires = int(NOW) + 60
    assert verify_token(SECRET, token, now=expires + 29).user_id == 7
    assert _code(token, now=expires + 30) == "token_expired"


def test_tampered_payload_is_refused():
    header, _, signature = _issue().split(".")
    forged_payload = _b64url(json.dumps(_claims(adm=True, exp=int(NOW) + 10**6)).encode())
    assert _code(f"{header}.{forged_payload}.{signature}") == "token_bad_signature"


def test_tampered_signature_is_refused():
    header, payload, signature = _issue().split(".")
    flipped = "A" if signature[0] != "A" else "B"
    assert _code(f"{header}.{payload}.{flipped}{signature[1:]}") == "token_bad_signature"


def test_non_canonical_signature_spelling_is_refused():
    header, payload, signature = _issue().split(".")
    # The last of 43 characters carries 2 unused bits: flipping them decodes
    # to the same bytes, but the token text is not the one that was issued.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet[alphabet.index(signature[-1]) ^ 1]
    variant = signature[:-1] + last
    assert base64.urlsafe_b64decode(variant + "=") == base64.urlsafe_b64decode(signature + "=")
    assert _code(f"{header}.{payload}.{variant}") == "token_bad_signature"


@pytest.mark.parametrize("alg", ["none", "None", "hs256", "HS512", "RS256"])
def test_other_algorithms_are_refused(alg):
    header = _b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(_claims(exp=int(NOW) + 3600)).encode())
    assert _code(f"{header}.{payload}.") == "token_bad_signature"
    forged = _forge({"alg": alg}, _claims(exp=int(NOW) + 3600))
    assert _code(forged) == "token_bad_signature"


def test_token_signed_with_another_secret_is_refused():
    assert _code(_issue(), secret=b"o" * 32) == "token_bad_signature"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "eyJhbGciOiJIUzI1NiJ9=.e30.sig",  # padding
        "eyJhbGciOiJIUzI1NiJ9*.e30.sig",  # outside the alphabet
        "bm90IGpzb24.e30.sig",  # header is not JSON
        "e30.e30.sig",  # header without alg
        "é.e30.sig",
        "a" * 5000,
    ],
)
def test_malformed_token_is_refused(token):
    assert _code(token) == "token_malformed"


@pytest.mark.parametrize(
    "payload",
    [_claims(sub="ana"), _claims(sub=7), _claims(adm=1), _claims(exp="200"), {"sub": "7"}],
)
def test_correctly_signed_token_with_bad_claims_is_malformed(payload):
    assert _code(_forge({"alg": "HS256"}, payload), now=150) == "token_malformed"


def test_token_error_carries_portuguese_detail():
    error = TokenError("token_expired")
    assert error.code == "token_expired"
    assert "login" in error.detail


def test_short_secret_is_a_programming_error():
    with pytest.raises(ValueError):
        issue_token(b"short", user_id=1, username="a", is_admin=False, ttl_seconds=60)


# --- secret file -----------------------------------------------------------


def test_secret_is_created_owner_only_and_reused(tmp_path):
    path = tmp_path / "sub" / "token.secret"
    secret = load_or_create_secret(path)
    assert len(secret) == 32
    assert bytes.fromhex(path.read_text().strip()) == secret
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
    assert load_or_create_secret(path) == secret


def test_existing_secret_is_read(tmp_path):
    path = tmp_path / "token.secret"
    path.write_text("ab" * 48 + "\r\n")
    assert load_or_create_secret(path) == bytes.fromhex("ab" * 48)


@pytest.mark.parametrize("content", ["", "ab" * 16, "zz" * 32])
def test_invalid_secret_file_is_an_error(tmp_path, monkeypatch, content):
    monkeypatch.setattr(core.tokens, "_SECRET_WAIT_SECONDS", 0.05)
    path = tmp_path / "token.secret"
    path.write_text(content)
    with pytest.raises(ValueError, match="delete it"):
        load_or_create_secret(path)


def test_concurrent_creation_yields_one_secret(tmp_path):
    path = tmp_path / "token.secret"
    workers = 16
    barrier = threading.Barrier(workers)
    results: list[bytes] = []

    def load() -> None:
        barrier.wait()
        results.append(load_or_create_secret(path))

    threads = [threading.Thread(target=load) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == workers
    assert set(results) == {bytes.fromhex(path.read_text().strip())}


# --- login limiter ---------------------------------------------------------


def _fail(limiter: LoginLimiter, times: int, username="ana", address="10.0.0.1", now=0.0):
    for _ in range(times):
        limiter.record_failure(username, address, now=now)


def test_no_delay_under_the_limit():
    limiter = LoginLimiter(max_failures=5)
    _fail(limiter, 4)
    assert limiter.delay_for("ana", "10.0.0.1", now=0.0) == 0.0


def test_delay_after_the_limit_is_exponential_and_capped():
    limiter = LoginLimiter(max_failures=5, base_delay=0.5, max_delay=10)
    _fail(limiter, 5)
    delays = []
    for _ in range(7):
        delays.append(limiter.delay_for("ana", "10.0.0.1", now=0.0))
        _fail(limiter, 1)
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_delay_counts_from_the_last_failure():
    limiter = LoginLimiter(max_failures=5, base_delay=0.5)
    _fail(limiter, 6, now=100.0)
    assert limiter.delay_for("ana", "10.0.0.1", now=100.25) == pytest.approx(0.75)
    assert limiter.delay_for("ana", "10.0.0.1", now=101.0) == 0.0


def test_failures_expire_after_the_window():
    limiter = LoginLimiter(max_failures=5, window_seconds=300, max_delay=10)
    _fail(limiter, 20)
    assert limiter.delay_for("ana", "10.0.0.1", now=299.0) == 0.0  # capped delay long over
    _fail(limiter, 1, now=300.0)  # the old count is gone: this is failure number one
    _fail(limiter, 3, now=300.0)
    assert limiter.delay_for("ana", "10.0.0.1", now=300.0) == 0.0


def test_username_is_casefolded_and_address_counts_across_usernames():
    limiter = LoginLimiter(max_failures=5)
    _fail(limiter, 3, username="Ana", address="10.0.0.1")
    _fail(limiter, 2, username="ANA", address="10.0.0.2")
    assert limiter.delay_for("ana", "10.0.0.9", now=0.0) > 0
    for index in range(5):
        limiter.record_failure(f"user{index}", "10.0.0.3", now=0.0)
    assert limiter.delay_for("someone", "10.0.0.3", now=0.0) > 0
    assert limiter.delay_for("someone", "10.0.0.4", now=0.0) == 0.0


def test_success_clears_the_username_but_not_the_address():
    limiter = LoginLimiter(max_failures=5)
    _fail(limiter, 5)
    limiter.record_success("ANA", "10.0.0.1")
    assert limiter.delay_for("ana", "10.0.0.2", now=0.0) == 0.0
    assert limiter.delay_for("bob", "10.0.0.1", now=0.0) > 0


def test_missing_address_counts_only_the_username():
    limiter = LoginLimiter(max_failures=1)
    limiter.record_failure("ana", None, now=0.0)
    assert limiter.delay_for("ana", None, now=0.0) > 0
    assert len(limiter) == 1


def test_memory_is_bounded():
    limiter = LoginLimiter(max_keys=10)
    for index in range(100):
        limiter.record_failure(f"user{index}", f"10.0.{index}.1", now=float(index))
    assert len(limiter) == 10
    limiter.record_failure("late", "10.9.9.9", now=1000.0)  # everything else is past the window
    assert len(limiter) == 2
