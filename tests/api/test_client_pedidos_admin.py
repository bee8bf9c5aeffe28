"""Admin-only pedidos operations (own server: they erase data): explicit numero, DELETE /pedidos/all, reset-ids."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.support import ServerProcess

from .tauri import Tauri, create_payload, login_user

# DELETE /pedidos/all and reset-ids erase every pedido: never on the shared server (tests/api/conftest.py).
pytestmark = pytest.mark.own_server


@pytest.fixture(scope="module")
def app(server: ServerProcess) -> Iterator[Tauri]:
    client = Tauri(server)
    yield client
    client.close()


@pytest.fixture(scope="module")
def user_app(server: ServerProcess) -> Iterator[Tauri]:
    client = Tauri(server, login_user(server, "vendas"))
    yield client
    client.close()


def test_explicit_numero_is_admin_only_10_digits_and_never_steers_the_sequence(app: Tauri, user_app: Tauri) -> None:
    first = app.ok("POST", "/pedidos/", json=create_payload("Seq", []))
    denied = user_app("POST", "/pedidos/", json=create_payload("Escolhido", [], numero="123"))
    assert denied.status_code == 403 and denied.json()["field"] == "numero"
    for bad in ("12345678901", "12-A", "0"):
        r = app("POST", "/pedidos/", json=create_payload("Ruim", [], numero=bad))
        assert r.status_code == 422 and r.json()["field"] == "numero", (bad, r.text)
    typo = app.ok("POST", "/pedidos/", json=create_payload("Digitado", [], numero="9999999999"))
    assert typo["numero"] == "9999999999"
    assert app.ok("POST", "/pedidos/", json=create_payload("Padded", [], numero="77"))["numero"] == "0000000077"
    after = app.ok("POST", "/pedidos/", json=create_payload("Seq", []))
    assert int(after["numero"]) == int(first["numero"]) + 1  # the typo did not move the sequence
    assert app("POST", "/pedidos/", json=create_payload("Dup", [], numero="77")).status_code == 409


def _backup_holds(path: str, pedidos: int) -> None:
    backup = Path(path)
    assert (backup / "backup.json").is_file()
    with closing(sqlite3.connect(f"{(backup / 'sgp.sqlite3').resolve().as_uri()}?mode=ro", uri=True)) as conn:
        assert conn.execute("SELECT count(*) FROM pedidos").fetchone()[0] == pedidos


def test_delete_all_and_reset_ids_are_admin_only_and_back_up_first(app: Tauri, user_app: Tauri) -> None:
    app.ok("POST", "/pedidos/", json=create_payload("Histórico", []))
    app.ok("POST", "/pedidos/rascunho", json={"cliente": "Rascunho", "items": []})
    count = app.ok("GET", "/pedidos/total")["total"]
    assert user_app("DELETE", "/pedidos/all").status_code == 403
    assert user_app("POST", "/pedidos/reset-ids").status_code == 403
    assert app.ok("GET", "/pedidos/total")["total"] == count

    cleared = app.ok("DELETE", "/pedidos/all")
    assert (cleared["deleted"], cleared["rascunhos"]) == (count, 1) and cleared["backup"] in cleared["message"]
    _backup_holds(cleared["backup"], count)
    assert app.ok("GET", "/pedidos/") == [] and app.ok("GET", "/pedidos/rascunhos") == []

    reset = app.ok("POST", "/pedidos/reset-ids")
    assert (reset["next_id"], reset["next_numero"]) == (1, "0000000001")
    _backup_holds(reset["backup"], 0)
    fresh = app.ok("POST", "/pedidos/", json=create_payload("Recomeço", []))
    assert (fresh["id"], fresh["numero"]) == (1, "0000000001")
