"""Exception tree: stable codes and Portuguese messages."""

import pytest

from media import MediaError, MediaInvalid, MediaNotFound, MediaTooLarge


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (MediaTooLarge(10 * 1024 * 1024), "image_too_large"),
        (MediaInvalid("x"), "invalid_image"),
        (MediaNotFound(), "image_not_found"),
    ],
)
def test_codes(exc, code):
    assert isinstance(exc, MediaError)
    assert exc.code == code
    assert str(exc) == exc.message


def test_too_large_names_the_limit():
    assert MediaTooLarge(10 * 1024 * 1024).message == "Imagem excede o tamanho máximo permitido (10 MB)."
    assert "1.5 MB" in MediaTooLarge(1536 * 1024).message
    assert "512 bytes" in MediaTooLarge(512).message


def test_not_found_default_message():
    assert MediaNotFound().message == "Imagem não encontrada."
