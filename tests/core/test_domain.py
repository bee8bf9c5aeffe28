import json
from decimal import Decimal

import msgspec
import pytest

from core import domain
from core.domain import (
    MAX_ITEM_EXTRA_BYTES,
    MAX_ITEMS,
    STATUS_VALUES,
    DomainError,
    NormalizedCreate,
    Pedido,
    PedidoCreate,
    PedidoPatch,
    apply_patch,
    build_pedido,
    decode_create,
    decode_patch,
    fold,
    item_quantity,
    normalize_status,
    openapi_schemas,
    parse_money,
    pedido_from_json,
    pedido_to_json,
)

NOW = "2024-05-01T10:00:00Z"
LATER = "2024-05-02T08:30:00Z"


def body(**fields) -> bytes:
    return json.dumps({"data_entrada": "2024-05-01", "cliente": "João", **fields}).encode()


def create(**fields) -> Pedido:
    return build_pedido(decode_create(body(**fields)), id=7, numero="1001", now=NOW)


def error_of(decode, raw: bytes, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as info:
        decode(raw, **kwargs)
    return info.value


EXAMPLE_ITEM = {
    "tipo_producao": "painel",
    "valor_painel": "100,00",
    "valores_adicionais": "10.50",
    "tipo_acabamento": "Ilhós e cordinha",
    "quantidade_ilhos": 4,
    "valor_ilhos": "1,25",
    "quantidade_cordinha": 2,
    "valor_cordinha": "R$ 3,10",
    "quantidade_paineis": 3,
}


# --- helpers ---


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Pendente", "pendente"),
        ("  pendente ", "pendente"),
        ("em producao", "em_producao"),
        ("Em Produção", "em_producao"),
        ("emproducao", "em_producao"),
        ("EM_PRODUCAO", "em_producao"),
        ("em-produção", "em_producao"),
        ("pronto", "pronto"),
        ("concluido", "pronto"),
        ("Concluído", "pronto"),
        ("Entregue", "entregue"),
        ("cancelado", "cancelado"),
        ("Cancelada", "cancelado"),
    ],
)
def test_normalize_status_accepts_legacy_spellings(raw, expected):
    assert normalize_status(raw) == expected


def test_normalize_status_rejects_unknown_naming_allowed_values():
    with pytest.raises(ValueError, match="status inválido") as info:
        normalize_status("arquivado")
    assert all(value in str(info.value) for value in STATUS_VALUES)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (450, "450.00"),
        (12.5, "12.50"),
        (2.675, "2.68"),  # a binary conversion would give 2.67
        (Decimal("0.005"), "0.01"),
        ("450.00", "450.00"),
        ("450", "450.00"),
        ("1.234,56", "1234.56"),
        ("1234,56", "1234.56"),
        ("R$ 10,50", "10.50"),
        ("R$1.234,56", "1234.56"),
        (" 12.5 ", "12.50"),
        ("1,234.56", "1234.56"),
        ("1.234.567", "1234567.00"),
        ("-0", "0.00"),
        ("999999999999.99", "999999999999.99"),
        (None, "0.00"),
        ("", "0.00"),
    ],
)
def test_parse_money_accepts(raw, expected):
    assert str(parse_money(raw)) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "12abc",
        "1.2.3",
        "1e3",
        "NaN",
        "Infinity",
        float("nan"),
        float("inf"),
        Decimal("NaN"),
        True,
        -1,
        "-10,00",
        10**12,
        "999999999999.995",
        [1],
    ],
)
def test_parse_money_rejects(raw):
    with pytest.raises(ValueError, match="valor monetário"):
        parse_money(raw)


def test_fold():
    assert fold("João") == "joao"
    assert fold("  AÇÃO   Têxtil ") == "acao textil"


# --- decode_create ---


def test_decode_create_defaults():
    data = decode_create(body())
    assert data.cliente == "João"
    assert data.data_entrada == "2024-05-01"
    assert data.data_entrega == "2024-05-01"  # absent: the entry date (contract defaults)
    assert (data.status, data.prioridade, data.valor_frete) == ("pendente", "NORMAL", "0.00")
    assert data.numero is None and data.items == [] and data.pronto is False


def test_decode_create_normalises_header_fields():
    data = decode_create(
        body(
            numero=123,
            cliente="  Maria  ",
            status="Em Produção",
            prioridade="alta",
            valor_frete="R$ 1.234,50",
            financeiro="true",
            forma_envio_id="4",
            sublimacao_data_impressao="2024-05-01T09:00:00Z",
        )
    )
    assert (data.numero, data.cliente, data.status) == ("0000000123", "Maria", "em_producao")
    assert (data.prioridade, data.valor_frete) == ("ALTA", "1234.50")
    assert data.financeiro is True and data.forma_envio_id == 4


def test_unknown_top_level_fields_and_client_totals_are_ignored():
    pedido = create(valor_total="999.99", valor_itens="1", campo_novo={"x": 1})
    assert (pedido.valor_itens, pedido.valor_total) == ("0.00", "0.00")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"status": "arquivado"}, "status"),
        ({"prioridade": "urgente"}, "prioridade"),
        ({"cliente": "   "}, "cliente"),
        ({"cliente": 123}, "cliente"),
        ({"cliente": "x" * 201}, "cliente"),
        ({"numero": "12345678901"}, "numero"),
        ({"numero": "x" * 21}, "numero"),
        ({"numero": "1 OR 1=1"}, "numero"),
        ({"numero": True}, "numero"),
        ({"data_entrada": "01/05/2024"}, "data_entrada"),
        ({"data_entrega": "amanhã"}, "data_entrega"),
        ({"financeiro": "talvez"}, "financeiro"),
        ({"valor_frete": "abc"}, "valor_frete"),
        ({"valor_frete": True}, "valor_frete"),
        ({"financeiro_liberado_em": "ontem"}, "financeiro_liberado_em"),
        ({"observacao": "x" * 5001}, "observacao"),
        ({"items": {}}, "items"),
        ({"items": [{}, "painel"]}, "items[1]"),
        ({"items": [{"valor_painel": "abc"}]}, "items[0].valor_painel"),
        ({"items": [{}, {"quantidade_paineis": -1}]}, "items[1].quantidade_paineis"),
        ({"items": [{"quantidade_lona": "três"}]}, "items[0].quantidade_lona"),
        ({"items": [{"acabamento": {"ilhos": "x"}}]}, "items[0].acabamento.ilhos"),
        ({"items": [{"tipo_producao": "x" * 41}]}, "items[0].tipo_producao"),
        ({"items": [{"descricao": 5}]}, "items[0].descricao"),
    ],
)
def test_validation_errors_name_the_field(fields, field):
    error = error_of(decode_create, body(**fields))
    assert (error.field, error.code) == (field, "validation_error")
    assert error.detail.startswith(f"{field}: ")


def test_unknown_status_message_is_portuguese():
    error = error_of(decode_create, body(status="arquivado"))
    assert "status inválido" in error.message and "em_producao" in error.message


@pytest.mark.parametrize("missing", ["cliente", "data_entrada"])
def test_missing_required_field(missing):
    fields = {"data_entrada": "2024-05-01", "cliente": "João"}
    del fields[missing]
    error = error_of(decode_create, json.dumps(fields).encode())
    assert (error.field, error.message) == (missing, "campo obrigatório")


def test_wrong_type_message():
    error = error_of(decode_create, body(cliente=12))
    assert error.message == "tipo inválido: esperado texto, recebido inteiro"


@pytest.mark.parametrize("raw", [b"", b"{", b"not json", b'{"cliente": }'])
def test_invalid_json(raw):
    error = error_of(decode_create, raw)
    assert (error.field, error.code, error.message) == (None, "invalid_json", "JSON inválido")


@pytest.mark.parametrize("raw", [b"[]", b'"pedido"', b"null", b"3"])
def test_body_must_be_an_object(raw):
    error = error_of(decode_create, raw)
    assert (error.field, error.code) == (None, "validation_error")


def test_domain_error_is_a_value_error():
    error = DomainError("cliente", "campo obrigatório")
    assert isinstance(error, ValueError)
    assert (error.code, str(error)) == ("validation_error", "cliente: campo obrigatório")


# --- items ---


def test_item_money_accepts_pt_br_and_numbers():
    [item] = decode_create(
        body(items=[{"tipo_producao": "lona", "valor_unitario": "1.234,56", "valor_ilhos": 2}])
    ).items
    assert (item["valor_unitario"], item["valor_ilhos"], item["valor_cordinha"]) == (
        "1234.56",
        "2.00",
        "0.00",
    )


def test_item_normalisation():
    raw = {"tipo_producao": " Mesa Babado ", "quantidade_paineis": "3", "acabamento": {}}
    [item] = decode_create(body(items=[raw])).items
    assert item["tipo_producao"] == "mesa_babado"
    assert item["quantidade_paineis"] == "3"  # quantities are kept as the client sent them
    assert item["acabamento"] == {"overloque": False, "elastico": False, "ilhos": False}
    assert list(item) == list(domain.Item.__struct_fields__)


def test_totals_example():
    pedido = create(valor_frete="15", items=[EXAMPLE_ITEM])
    assert pedido.items[0]["valor_unitario"] == "121.70"
    assert (pedido.valor_itens, pedido.valor_total, pedido.valor_frete) == (
        "365.10",
        "380.10",
        "15.00",
    )


def test_ilhos_and_cordinha_count_only_when_the_finish_mentions_them():
    item = {**EXAMPLE_ITEM, "tipo_acabamento": "overloque", "valor_unitario": "999"}
    pedido = create(items=[item])
    assert pedido.items[0]["valor_unitario"] == "110.50"
    assert pedido.valor_itens == "331.50"


def test_other_types_keep_valor_unitario_and_use_their_quantity():
    items = [
        {"tipo_producao": "totem", "valor_unitario": 50, "quantidade_totem": 2, "valor_painel": 9},
        {"tipo_producao": "lona", "valor_unitario": "10", "quantidade_lona": 0},
        {"tipo_producao": "adesivo", "valor_unitario": "1,10", "quantidade_adesivo": "5"},
        {"tipo_producao": "canga", "valor_unitario": "7", "quantidade_paineis": 9},
        {"tipo_producao": "generica", "valor_painel": "3"},
    ]
    pedido = create(items=items)
    prices = [item["valor_unitario"] for item in pedido.items]
    assert prices == ["50.00", "10.00", "1.10", "7.00", "3.00"]
    # canga has no quantidade_canga here: it counts quantidade_paineis, as the old server did.
    assert [item_quantity(item) for item in pedido.items] == [2, 1, 5, 9, 1]
    assert pedido.valor_itens == "181.50"  # 100 + 10 + 5.50 + 63 + 3


def test_unknown_item_fields_round_trip_byte_identical():
    extras = b'"cor":"azul","medidas":{"a":[1,2.5,null,true],"b":"\xc3\xa7\xc3\xa3o"},"z":-3'
    raw = body(items=[{"tipo_producao": "lona"}]).replace(b'"lona"}', b'"lona",' + extras + b"}")
    pedido = build_pedido(decode_create(raw), id=1, numero="1", now=NOW)
    encoded = pedido_to_json(pedido)
    assert b',"imagem_path":null,' + extras + b"}]" in encoded
    assert pedido_to_json(pedido_from_json(encoded)) == encoded


def test_item_extras_size_limit():
    overhead = len(b'{"x":""}')
    fits = {"x": "a" * (MAX_ITEM_EXTRA_BYTES - overhead)}
    too_big = {"x": "a" * (MAX_ITEM_EXTRA_BYTES - overhead + 1)}
    assert decode_create(body(items=[fits])).items[0]["x"] == fits["x"]
    error = error_of(decode_create, body(items=[fits, too_big]))
    assert error.field == "items[1]" and str(MAX_ITEM_EXTRA_BYTES) in error.message


def test_max_items():
    assert len(decode_create(body(items=[{}] * MAX_ITEMS)).items) == MAX_ITEMS
    assert error_of(decode_create, body(items=[{}] * (MAX_ITEMS + 1))).field == "items"
    assert error_of(decode_create, body(items=[{}] * 3), max_items=2).field == "items"
    assert error_of(decode_patch, b'{"items": [{}, {}, {}]}', max_items=2).field == "items"


# --- build_pedido ---


def test_build_pedido():
    pedido = create(numero="55", status="pronto", financeiro=True)
    assert (pedido.id, pedido.numero, pedido.version) == (7, "1001", 1)
    assert pedido.financeiro_liberado_em == NOW  # released on create too
    assert pedido.data_criacao == pedido.ultima_atualizacao == NOW
    assert (pedido.status, pedido.financeiro, pedido.pronto) == ("pronto", True, False)


def test_create_entregue_sets_pronto():
    assert create(status="Entregue").pronto is True


def test_pedido_json_field_order_and_round_trip():
    pedido = create(items=[EXAMPLE_ITEM])
    encoded = pedido_to_json(pedido)
    assert list(json.loads(encoded)) == list(Pedido.__struct_fields__)
    assert list(Pedido.__struct_fields__)[:3] == ["id", "numero", "data_entrada"]
    assert pedido_from_json(encoded) == pedido


def test_request_fields_all_exist_on_pedido():
    assert set(PedidoCreate.__struct_fields__) <= set(Pedido.__struct_fields__)
    assert PedidoPatch.__struct_fields__ == PedidoCreate.__struct_fields__


def test_create_survives_msgpack_ipc_round_trip():
    items = [{**EXAMPLE_ITEM, "extra": [1]}]
    data = decode_create(body(status="Em Produção", valor_frete="1,5", items=items))
    # As the writer decodes it (no normaliser runs), and as a fresh PedidoCreate (normalising is idempotent).
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(data), type=NormalizedCreate) == data
    again = msgspec.msgpack.decode(msgspec.msgpack.encode(data), type=PedidoCreate)
    assert msgspec.structs.asdict(again) == msgspec.structs.asdict(data)


# --- patch ---


@pytest.fixture
def pedido() -> Pedido:
    return create(observacao="frágil", valor_frete="15", items=[EXAMPLE_ITEM])


def test_patch_unset_vs_null(pedido):
    patch = decode_patch(b'{"observacao": null}')
    assert patch.cliente is msgspec.UNSET and patch.items is msgspec.UNSET
    updated = apply_patch(pedido, patch, now=LATER)
    assert updated.observacao is None
    assert (updated.cliente, updated.items, updated.valor_total) == (
        pedido.cliente,
        pedido.items,
        pedido.valor_total,
    )
    assert (updated.version, updated.ultima_atualizacao) == (2, LATER)
    assert updated.data_criacao == NOW


def test_empty_patch_only_bumps_version(pedido):
    updated = apply_patch(pedido, decode_patch(b"{}"), now=LATER)
    assert msgspec.structs.replace(updated, version=1, ultima_atualizacao=NOW) == pedido


def test_patch_frete_only_recomputes_total(pedido):
    updated = apply_patch(pedido, decode_patch(b'{"valor_frete": "R$ 4,90"}'), now=LATER)
    assert (updated.valor_frete, updated.valor_itens, updated.valor_total) == (
        "4.90",
        "365.10",
        "370.00",
    )


def test_patch_items_replace_list_and_recompute(pedido):
    raw = b'{"items": [{"tipo_producao": "lona", "valor_unitario": "20", "quantidade_lona": 2}]}'
    updated = apply_patch(pedido, decode_patch(raw), now=LATER)
    assert len(updated.items) == 1
    assert (updated.valor_itens, updated.valor_total) == ("40.00", "55.00")


def test_patch_entregue_sets_pronto(pedido):
    patch = decode_patch(b'{"status": "ENTREGUE", "pronto": false}')
    updated = apply_patch(pedido, patch, now=LATER)
    assert (updated.status, updated.pronto) == ("entregue", True)


def test_patch_normalises_like_create(pedido):
    patch = decode_patch(b'{"status": "concluido", "prioridade": " Alta ", "numero": 55}')
    assert (patch.status, patch.prioridade, patch.numero) == ("pronto", "ALTA", "0000000055")


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"cliente": ""}', "cliente"),
        (b'{"cliente": null}', "cliente"),
        (b'{"data_entrada": "ontem"}', "data_entrada"),
        (b'{"status": null}', "status"),
        (b'{"status": "sumido"}', "status"),
        (b'{"items": null}', "items"),
        (b'{"items": [{"valor_cordinha": "x"}]}', "items[0].valor_cordinha"),
    ],
)
def test_patch_validation_errors(raw, field):
    assert error_of(decode_patch, raw).field == field


# --- schema and surface ---


def test_openapi_schemas():
    schemas = openapi_schemas()
    assert {"PedidoCreate", "PedidoPatch", "Pedido", "Item", "Acabamento"} <= set(schemas)
    assert set(schemas["PedidoCreate"]["required"]) == {"data_entrada", "cliente"}
    assert schemas["PedidoPatch"]["required"] == []
    money = schemas["PedidoCreate"]["properties"]["valor_frete"]["anyOf"]
    assert {"string", "number"} <= {option["type"] for option in money}
    item_money = schemas["Item"]["properties"]["valor_painel"]["anyOf"]
    assert {"string", "number"} <= {option["type"] for option in item_money}
    refs = set()

    def collect(node):
        if isinstance(node, dict):
            refs.update(value for key, value in node.items() if key == "$ref")
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(schemas)
    assert "#/components/schemas/Item" in refs
    assert all(ref.removeprefix("#/components/schemas/") in schemas for ref in refs)
    json.dumps(schemas)


def test_public_surface():
    for name in domain.__all__:
        assert hasattr(domain, name), name
    assert STATUS_VALUES == ("pendente", "em_producao", "pronto", "entregue", "cancelado")
