"""Password hashes: argon2id for new ones; scrypt (ours before) and bcrypt (old SGP server) still verify."""

from __future__ import annotations

import base64
import hashlib

import bcrypt
import pytest

from core.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password


def _scrypt(password: str, n: int = 2**14) -> str:
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1, dklen=32, maxmem=64 * 1024 * 1024)
    return f"scrypt${n}$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def test_new_hashes_are_argon2id_and_current():
    encoded = hash_password("senha do turno")
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password("senha do turno", encoded)
    assert not verify_password("senha do turno!", encoded)
    assert not needs_rehash(encoded)


def test_dummy_hash_is_a_real_current_argon2_hash():
    assert not needs_rehash(DUMMY_HASH)
    assert not verify_password("admin", DUMMY_HASH)


def test_our_old_scrypt_hashes_verify_and_need_rehash():
    encoded = _scrypt("senha antiga")
    assert verify_password("senha antiga", encoded)
    assert not verify_password("senha errada", encoded)
    assert needs_rehash(encoded)


@pytest.mark.parametrize("prefix", [b"2b", b"2a", b"2y"])
def test_old_server_bcrypt_hashes_verify_and_need_rehash(prefix):
    encoded = bcrypt.hashpw(b"1234", bcrypt.gensalt(rounds=4, prefix=b"2b")).decode()
    encoded = "$" + prefix.decode() + encoded[3:]
    assert verify_password("1234", encoded)
    assert not verify_password("12345", encoded)
    assert needs_rehash(encoded)


def test_bcrypt_reads_only_72_bytes_like_the_old_server():
    long_password = "x" * 100
    encoded = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(rounds=4)).decode()
    assert verify_password(long_password, encoded)


@pytest.mark.parametrize(
    "encoded",
    [
        "1234",  # a plain-text legacy value is never compared literally (the importer hashes it)
        "$2b$04$short",
        "$2b$31$" + "a" * 53,  # absurd cost
        "$argon2id$v=19$m=9999999,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",  # too much memory
        "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
    ],
)
def test_malformed_or_unsafe_hashes_are_refused(encoded):
    assert not verify_password("1234", encoded)
    assert needs_rehash(encoded)
