"""The page-size rule of every list: a default, a maximum from settings, one 422 message."""

from __future__ import annotations

from .errors import ApiError

__all__ = ["page_limit"]


def page_limit(
    limit: int | None, maximum: int, setting: str = "", *, default: int | None = None, clamp: bool = False
) -> int:
    """`limit` checked against `maximum` (the `setting` that sets it); None means `default`, or `maximum`.

    Past the maximum: 422 naming `limit`, or, with `clamp`, the nearest size in 1..maximum
    (the art panel's rule, as the old server had it).
    """
    if limit is None:
        return maximum if default is None else min(default, maximum)
    if clamp:
        return min(max(limit, 1), maximum)
    if limit > maximum:
        named = f" ({setting})" if setting else ""
        raise ApiError(422, "validation_error", f"limit deve ser no máximo {maximum}{named}.", field="limit")
    return limit
