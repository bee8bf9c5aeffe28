"""The package's public surface."""

import media


def test_all_is_sorted_and_importable():
    assert media.__all__ == sorted(media.__all__)
    for name in media.__all__:
        assert hasattr(media, name), name


def test_public_surface():
    assert set(media.__all__) == {
        "ACCEPTED_MIME_TYPES",
        "MediaError",
        "MediaInvalid",
        "MediaNotFound",
        "MediaStorageFull",
        "MediaStore",
        "MediaTooLarge",
        "StoredMedia",
        "sniff",
    }
