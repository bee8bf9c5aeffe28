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

import asyncio
import hashlib
import zlib
from collections import OrderedDict
from dataclasses import dataclass

from readers.pedidos import DataVersion, PedidoFilter

__all__ = ["ListAnswer", "ListCache", "etag_for", "matches", "gzip_etag", "accepts_gzip", "gzipped"]


@dataclass(slots=True)
class ListAnswer:
    """One list's bytes as of one data version (and, once asked for, their gzip form)."""

    version: DataVersion
    etag: str
    body: bytes
    total: int
    gzip_body: bytes | None = None


def etag_for(f: PedidoFilter, version: DataVersion) -> str:
    """A strong ETag: the data version plus a digest of the filter (two lists at one version differ)."""
    digest = hashlib.blake2b(repr(f).encode(), digest_size=6).hexdigest()
    epoch, seq = version
    return f'"{epoch}.{seq}.{digest}"'


def gzip_etag(etag: str) -> str:
    """The strong ETag of the gzip representation (different bytes, so a different tag)."""
    return etag[:-1] + '.gz"'


def accepts_gzip(accept_encoding: str) -> bool:
    """True when Accept-Encoding lists gzip (or *) without q=0."""
    for part in accept_encoding.lower().split(","):
        coding, _, params = part.partition(";")
        if coding.strip() in ("gzip", "*"):
            q = params.strip().removeprefix("q=").strip()
            return not (q and q.rstrip("0").rstrip(".") in ("0", ""))
    return False


def _gzip(body: bytes) -> bytes:
    # Level 1: 17.5 MB of list JSON in ~70 ms to 4-5 % of its size; level 6 took twice as long for 3 %.
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    return compressor.compress(body) + compressor.flush()


async def gzipped(answer: ListAnswer) -> bytes:
    """The answer's gzip bytes, compressed once (on a thread: zlib releases the GIL) and kept with it."""
    if answer.gzip_body is None:
        answer.gzip_body = await asyncio.to_thread(_gzip, answer.body)
    return answer.gzip_body


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
