"""api.list_cache on its own: versions, byte bound, older snapshots, If-None-Match parsing."""

from __future__ import annotations

from api.list_cache import ListCache, etag_for, matches
from readers.pedidos import PedidoFilter

A = PedidoFilter(is_pronto=False, limit=10001)
B = PedidoFilter(limit=50)


def test_an_answer_is_served_only_at_its_version() -> None:
    cache = ListCache(1000)
    cache.put(A, ("e", 5), b"[1]", 1)
    hit = cache.get(A, ("e", 5))
    assert hit is not None and hit.body == b"[1]" and hit.total == 1 and hit.etag == etag_for(A, ("e", 5))
    assert cache.get(A, ("e", 6)) is None
    assert cache.get(A, ("f", 5)) is None
    assert cache.get(B, ("e", 5)) is None


def test_a_newer_version_drops_every_older_answer() -> None:
    cache = ListCache(1000)
    cache.put(A, ("e", 5), b"[1]", 1)
    cache.put(B, ("e", 5), b"[2]", 1)
    cache.put(B, ("e", 6), b"[3]", 1)
    assert len(cache) == 1 and cache.get(A, ("e", 5)) is None


def test_an_older_snapshot_finishing_late_is_not_kept() -> None:
    cache = ListCache(1000)
    cache.put(A, ("e", 7), b"[7]", 1)
    late = cache.put(B, ("e", 6), b"[6]", 1)
    assert late.etag == etag_for(B, ("e", 6)) and late.body == b"[6]"
    assert cache.get(B, ("e", 6)) is None and cache.get(A, ("e", 7)) is not None


def test_bytes_are_bounded_and_zero_turns_it_off() -> None:
    cache = ListCache(10)
    cache.put(A, ("e", 1), b"[123456]", 1)
    cache.put(B, ("e", 1), b"[1234]", 1)  # 8 + 6 > 10: the least recently used goes
    assert cache.get(A, ("e", 1)) is None and cache.get(B, ("e", 1)) is not None
    cache.put(A, ("e", 1), b"[" + b"9" * 20 + b"]", 1)  # larger than the whole budget: answered, not kept
    assert cache.get(A, ("e", 1)) is None
    off = ListCache(0)
    assert off.put(A, ("e", 1), b"[]", 0).body == b"[]" and len(off) == 0


def test_etags_differ_by_filter_and_version_and_if_none_match_parses_lists() -> None:
    tag = etag_for(A, ("e", 1))
    assert len({tag, etag_for(B, ("e", 1)), etag_for(A, ("e", 2)), etag_for(A, ("f", 1))}) == 4
    assert matches(tag, tag) and matches(f"W/{tag}", tag) and matches(f'"zz", {tag}', tag) and matches("*", tag)
    assert not matches('"zz"', tag) and not matches("", tag)


def test_accept_encoding_parsing_and_the_gzip_tag() -> None:
    from api.list_cache import accepts_gzip, gzip_etag

    assert accepts_gzip("gzip, deflate, br") and accepts_gzip("br;q=1.0, gzip;q=0.8") and accepts_gzip("*")
    assert (
        not accepts_gzip("gzip;q=0")
        and not accepts_gzip("gzip; q=0.0")
        and not accepts_gzip("br")
        and not accepts_gzip("")
    )
    assert gzip_etag('"e.1.abc"') == '"e.1.abc.gz"'
