"""Event-log reads, for feed clients resuming further back than a worker's in-memory ring."""

from __future__ import annotations

from .pool import ReaderPool

__all__ = ["events_page"]


async def events_page(pool: ReaderPool, since: int, until: int, limit: int) -> list[tuple[int, bytes]] | None:
    """Up to `limit` events with since < seq <= until in order, or None when some were already pruned."""
    # The long-read lane: a client far behind replays history page by page (readers/long_read.py).
    async with pool.long_read() as conn:
        async with conn.execute("SELECT min(seq) FROM events") as cursor:
            (first,) = await cursor.fetchone() or (None,)
        if first is None or first > since + 1:
            return None
        rows = await conn.execute_fetchall(
            "SELECT seq, payload FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?", (since, until, limit)
        )
    return [(seq, bytes(payload)) for seq, payload in rows]
