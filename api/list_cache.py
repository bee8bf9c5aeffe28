"""Pedido list answers per data version: strong ETags, 304 on revalidation, and a small per-worker cache.

A list answer is a function of the filter and of what the database holds. Every
committed write appends an event in its own transaction, so the event log's
(epoch, last seq), read in the same snapshot as the page, names that content
exactly: the `ETag` is built from it and the filter. A revalidation
(`If-None-Match`) costs one two-lookup read; an unchanged list answers 304 with
no body. A changed one is read again; the answer is kept (bounded in bytes,
`SGP_LIST_CACHE_MB`) so the other desktops asking the same list at the same
version get the same bytes without a read. Entries of an older version can never
be served again and are dropped as soon as a newer one is stored.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from readers.pedidos import DataVersion, PedidoFilter

__all__ = ["ListAnswer", "ListCache", "etag_for", "matches"]


@dataclass(frozen=True, slots=True)
class ListAnswer:
    """One list's bytes as of one data version."""

    version: DataVersion
    etag: str
    body: bytes
    total: int


def etag_for(f: PedidoFilter, version: DataVersion) -> str:
    """A strong ETag: the data version plus a digest of the filter (two lists at one version differ)."""
    digest = hashlib.blake2b(repr(f).encode(), digest_size=6).hexdigest()
    epoch, seq = version
    return f'"{epoch}.{seq}.{digest}"'


def matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 If-None-Match: a list of tags (weak comparison) or `*`."""
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


class ListCache:
    """The latest answers of this worker, at most `max_bytes` of bodies; `max_bytes` 0 turns it off."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[PedidoFilter, ListAnswer] = OrderedDict()
        self._bytes = 0
        self._newest: DataVersion | None = None
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, f: PedidoFilter, version: DataVersion) -> ListAnswer | None:
        """The answer for `f` if one was stored at exactly `version`."""
        answer = self._entries.get(f)
        if answer is None or answer.version != version:
            self.misses += 1
            return None
        self._entries.move_to_end(f)
        self.hits += 1
        return answer

    def put(self, f: PedidoFilter, version: DataVersion, body: bytes, total: int) -> ListAnswer:
        """Make (and keep, if it fits and is not older than what is kept) the answer of `f` at `version`."""
        answer = ListAnswer(version, etag_for(f, version), body, total)
        if len(body) > self.max_bytes:
            return answer
        if self._newest is not None and version != self._newest:
            if version[0] == self._newest[0] and version[1] < self._newest[1]:
                return answer  # a slower read of an older snapshot: newer answers are kept instead
            # A newer version (or another epoch): nothing older can be served again.
            self._entries.clear()
            self._bytes = 0
        self._newest = version
        old = self._entries.pop(f, None)
        if old is not None:
            self._bytes -= len(old.body)
        self._entries[f] = answer
        self._bytes += len(body)
        while self._bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= len(evicted.body)
        return answer
