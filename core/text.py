"""Text folding for accent- and case-insensitive matching."""

import unicodedata

__all__ = ["fold"]


def fold(text: str) -> str:
    """Lowercase, strip accents, collapse spaces: ``fold(" João  Silva") == "joao silva"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())
