"""Pure rules of the pedidos contract: quantities, prices, totals (pricing-dates.md) and item identity."""

from __future__ import annotations

import pytest

from core.pedido_fields import normalize_numero, split_cidade
from core.pedido_items import assign_item_ids, carry_art_fields, find_item_index
from core.pricing import composed_price, item_quantity, parse_quantity, totals


@pytest.mark.parametrize(
    ("sent", "parsed"), [("2", 2), ("2,5", 3), ("2.4", 2), ("", None), (None, None), (3, 3), (" 7 ", 7)]
)
def test_quantities_as_the_client_sends_them(sent: object, parsed: int | None) -> None:
    assert parse_quantity(sent) == parsed


@pytest.mark.parametrize("sent", ["dois", "-1", True, "1e9", "nan"])
def test_garbage_quantities_are_refused(sent: object) -> None:
    with pytest.raises(ValueError):
        parse_quantity(sent)


def test_the_contract_example() -> None:
    painel = {"tipo_producao": "painel", "valor_painel": "1000.00", "valores_adicionais": "20.00",
              "tipo_acabamento": "ilhos", "quantidade_ilhos": "10", "valor_ilhos": "1,50", "quantidade_paineis": "2"}  # fmt: skip
    assert str(composed_price(painel)) == "1035.00"
    items = [{**painel, "valor_unitario": "1035.00"},
             {"tipo_producao": "lona", "valor_unitario": "50.00", "quantidade_lona": "3"},
             {"tipo_producao": "totem", "valor_unitario": "30.00", "quantidade_totem": "1"}]  # fmt: skip
    assert totals(items, "15.00") == {"valor_itens": "2250.00", "valor_total": "2265.00"}


def test_empty_eyelet_quantity_still_adds_one_and_cord_needs_its_finish() -> None:
    item = {
        "valor_painel": "100",
        "tipo_acabamento": "Ilhós e cordinha",
        "valor_ilhos": "2",
        "quantidade_cordinha": "2",
        "valor_cordinha": "5,00",
    }
    assert str(composed_price(item)) == "112.00"
    assert str(composed_price({**item, "tipo_acabamento": "nenhum"})) == "100.00"


def test_item_quantity_per_type_falls_back_to_paineis_and_is_at_least_one() -> None:
    assert item_quantity({"tipo_producao": "canga", "quantidade_canga": "4", "quantidade_paineis": "9"}) == 4
    assert item_quantity({"tipo_producao": "canga", "quantidade_paineis": "9"}) == 9
    assert item_quantity({"tipo_producao": "bolsinha", "quantidade_mochilinha": "5"}) == 5
    assert item_quantity({"quantidade_paineis": "2"}) == 2  # no type: quantidade_paineis
    assert item_quantity({"tipo_producao": "generica", "quantidade_paineis": "0"}) == 1


def test_item_ids_are_the_synthetic_ones_and_stay_with_their_item() -> None:
    items = [{}, {"id": 7001}, {}]
    assign_item_ids(items, 7)
    assert [i["id"] for i in items] == [7000, 7001, 7002]
    reordered = [items[2], items[0], {}]
    assign_item_ids(reordered, 7)
    assert [i["id"] for i in reordered] == [7002, 7000, 7003]  # 7002 is taken: the next free one
    assert find_item_index(reordered, 7, 7000) == 1  # by stored id, not by position
    assert find_item_index([{"id": None}, {}], 7, 7001) == 1  # synthetic, no ids stored
    assert find_item_index([{"id": 5}, {}], 7, 7000) is None  # position 0 belongs to item 5
    assert find_item_index([{}], 7, 8000) is None


def test_a_full_edit_keeps_the_art_panel_fields() -> None:
    old = [{"id": 1, "status_arte": "liberado", "comentarios": [{"id": 1, "texto": "ok"}]}]
    new = [{"id": 1, "descricao": "editado"}, {"descricao": "novo"}]
    carry_art_fields(new, old)
    assert new[0]["status_arte"] == "liberado" and new[0]["comentarios"] == [{"id": 1, "texto": "ok"}]
    assert (new[1]["status_arte"], new[1]["comentarios"]) == ("aguardando", [])


@pytest.mark.parametrize(
    ("cidade", "estado", "expected"),
    [("Vitória||ES", None, ("Vitória", "ES")), ("Vitória||", None, ("Vitória", None)), ("Serra - es", "", ("Serra", "ES")),
     ("Cachoeiro de Itapemirim", "ES", ("Cachoeiro de Itapemirim", "ES")), ("Vila - Velha", "", ("Vila - Velha", "")),
     ("Linhares||ES", "MG", ("Linhares", "MG"))],
)  # fmt: skip
def test_city_and_state_are_stored_apart(cidade: str, estado: str | None, expected: tuple[str, str | None]) -> None:
    assert split_cidade(cidade, estado) == expected


def test_numero_is_the_10_digit_form() -> None:
    assert normalize_numero(123) == normalize_numero(" 123 ") == "0000000123"
    assert normalize_numero("") is None and normalize_numero(None) is None
    for bad in ("12345678901", "0", "1a", "１２"):
        with pytest.raises(ValueError):
            normalize_numero(bad)
