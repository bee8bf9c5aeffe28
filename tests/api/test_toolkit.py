"""The route toolkit: one submit rule (actor, scope, idempotency), one decode contract, one page rule, int path ids."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest
from fastapi import Request
from starlette.routing import compile_path

from api.auth import Principal
from api.commands import SYSTEM, Caller
from api.errors import ApiError
from api.json_body import decode_json, decode_object
from api.page import page_limit
from api.routes.auth import ChangePasswordIn, LoginIn
from api.routes.ops import BackupRequest
from api.routes.users import UserCreateIn, UserUpdateIn
from ipc.protocol import Actor
from tests.support import app_routes

ANA = Principal(id=3, username="ana", is_admin=False, jti="j", expires_at=2**40)


def _request(principal: Principal | None, key: str | None = None, path: str = "/pedidos") -> Request:
    headers = [(b"idempotency-key", key.encode())] if key is not None else []
    state: dict[str, Any] = {"principal": principal} if principal is not None else {}
    return Request({"type": "http", "method": "POST", "path": path, "headers": headers, "state": state})


# --- submit: who writes and how a retry is recognised ---


def test_the_caller_is_the_actor_and_scopes_the_idempotency_key() -> None:
    caller = Caller.of(_request(ANA, "k-1"), b"{}")
    assert caller.actor == Actor(id=3, username="ana")
    assert caller.key == "u3:k-1" and caller.request_hash is not None
    anonymous = Caller.of(_request(None, "k-1"), b"{}")
    assert anonymous.actor is None and anonymous.key == "anon:k-1"


def test_the_request_hash_covers_method_path_and_body() -> None:
    one = Caller.of(_request(ANA, "k"), b'{"a": 1}')
    assert one == Caller.of(_request(ANA, "k"), b'{"a": 1}')
    assert one.request_hash != Caller.of(_request(ANA, "k"), b'{"a": 2}').request_hash
    assert one.request_hash != Caller.of(_request(ANA, "k", "/fichas"), b'{"a": 1}').request_hash


def test_without_a_key_or_idempotency_only_the_actor_travels() -> None:
    assert Caller.of(_request(ANA)) == Caller(Actor(id=3, username="ana"))
    assert Caller.of(_request(ANA, "k"), idempotent=False) == Caller(Actor(id=3, username="ana"))
    assert Caller(None) == SYSTEM


def test_a_malformed_key_is_refused_before_any_work() -> None:
    with pytest.raises(ApiError) as error:
        Caller.of(_request(ANA, "não vale"), b"{}")
    assert (error.value.status, error.value.code, error.value.field) == (
        400,
        "invalid_idempotency_key",
        "Idempotency-Key",
    )


# --- decode: one contract, Portuguese details (auth and users included) ---

_ENGLISH = re.compile(r"Expected|Object|missing|got|Invalid|unknown")


@pytest.mark.parametrize(
    ("body", "type_", "field"),
    [
        (b'{"username": 1, "password": "x"}', UserCreateIn, "username"),
        (b'{"password": "x"}', UserCreateIn, "username"),
        (b'{"is_admin": "sim"}', UserUpdateIn, "is_admin"),
        (b'{"username": "ana"}', LoginIn, "password"),
        (b'{"new_password": 5}', ChangePasswordIn, "new_password"),
        (b'{"path": "x", "outro": 1}', BackupRequest, "outro"),
        (b'{"path": 1}', BackupRequest, "path"),
        (b"[1, 2]", LoginIn, None),
    ],
)
def test_a_bad_value_is_422_in_portuguese_naming_the_field(body: bytes, type_: type, field: str | None) -> None:
    with pytest.raises(ApiError) as error:
        decode_json(body, type_)
    assert (error.value.status, error.value.code, error.value.field) == (422, "validation_error", field)
    assert not _ENGLISH.search(error.value.detail), error.value.detail


@pytest.mark.parametrize("body", [b"{", b"", b'{"username": "\xff", "password": "x"}', b'{"a": ' + b"[" * 10_000])
def test_bytes_that_are_not_json_are_400(body: bytes) -> None:
    with pytest.raises(ApiError) as error:
        decode_json(body, dict[str, Any])
    assert (error.value.status, error.value.code, error.value.detail) == (400, "invalid_json", "JSON inválido")


def test_a_loose_object_body() -> None:
    assert decode_object(b'{"a": [1], "b": null}', "O item") == {"a": [1], "b": None}
    with pytest.raises(ApiError) as error:
        decode_object(b"[1]", "O rascunho")
    assert (error.value.status, error.value.detail) == (422, "O rascunho deve ser um objeto JSON.")


def test_decoding_keeps_the_type() -> None:
    creds = decode_json(b'{"username": "ana", "password": "x", "extra": 1}', LoginIn)
    assert creds == LoginIn(username="ana", password="x")
    assert decode_json(b'{"a": "1"}', dict[str, int], strict=False) == {"a": 1}
    with pytest.raises(ApiError):
        decode_json(b'{"a": "1"}', dict[str, int])
    assert msgspec.json.decode(b"{}", type=BackupRequest) == decode_json(b"{}", BackupRequest)


# --- page: one rule, a parameter for the art panel's clamp ---


def test_the_page_rule() -> None:
    assert page_limit(None, 500, "SGP_MAX_PAGE_SIZE") == 500
    assert page_limit(None, 500, "SGP_MAX_PAGE_SIZE", default=100) == 100
    assert page_limit(None, 50, "SGP_MAX_PAGE_SIZE", default=100) == 50  # the default fits a smaller setting
    assert page_limit(500, 500, "SGP_MAX_PAGE_SIZE") == 500
    with pytest.raises(ApiError) as error:
        page_limit(501, 500, "SGP_MAX_PAGE_SIZE")
    assert (error.value.status, error.value.field) == (422, "limit")
    assert error.value.detail == "limit deve ser no máximo 500 (SGP_MAX_PAGE_SIZE)."


@pytest.mark.parametrize(("limit", "page"), [(0, 1), (-5, 1), (50, 50), (200, 200), (201, 200), (10**9, 200)])
def test_the_art_panel_clamps_instead_of_refusing(limit: int, page: int) -> None:
    assert page_limit(limit, 200, clamp=True) == page


# --- paths: integer ids are converted in the path, so route order does not matter ---

# Path parameters named *_id that are not integers: a notification's uuid, an image's sha256.
_TEXT_IDS = {"notification_id", "imagem_id"}


def test_every_integer_id_in_a_path_is_an_int_convertor() -> None:
    untyped = {
        (method, path)
        for method, path in app_routes()
        for name in re.findall(r"\{(\w+_id)\}", path)
        if name not in _TEXT_IDS
    }
    assert untyped == set(), "declare these ids as {name:int}"
    assert ("GET", "/pedidos/{pedido_id:int}") in app_routes() and ("GET", "/pedidos/summary") in app_routes()


def test_no_fixed_path_is_taken_for_an_id_whatever_the_route_order() -> None:
    routes = app_routes(aliases=True)
    with_params = [(method, path, compile_path(path)[0]) for method, path in routes if "{" in path]
    taken = {
        (method, fixed, path)
        for method, fixed in routes
        if "{" not in fixed
        for other, path, pattern in with_params
        if other == method and pattern.match(fixed)
    }
    assert taken == set()
    assert compile_path("/pedidos/{pedido_id:int}")[0].match("/pedidos/summary") is None
