"""core.decoding.decode_body: broken JSON is `invalid_json` whatever it starts with; a wrong type names itself."""

from __future__ import annotations

import msgspec
import pytest

from core.decoding import decode_body
from core.validation import DomainError


class Item(msgspec.Struct):
    nome: str


DECODER = msgspec.json.Decoder(Item)


@pytest.mark.parametrize("body", [b"[1,", b'{"nome":', b"", b"\xff", b"[", b'"abc'])
def test_broken_json_is_invalid_json_even_when_it_starts_like_a_wrong_type(body: bytes) -> None:
    with pytest.raises(DomainError) as caught:
        decode_body(DECODER, body)
    assert caught.value.code == "invalid_json"


@pytest.mark.parametrize("body", [b"[1]", b'"abc"', b'{"nome": 3}', b"{}"])
def test_readable_json_of_the_wrong_shape_is_a_validation_error(body: bytes) -> None:
    with pytest.raises(DomainError) as caught:
        decode_body(DECODER, body)
    assert caught.value.code != "invalid_json"


def test_a_good_body_decodes() -> None:
    assert decode_body(DECODER, b'{"nome": "lona"}') == Item(nome="lona")
