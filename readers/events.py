"""Event-log reads, for feed clients resuming further back than a worker's in-memory ring."""

from __future__ import annotations

from .pool import ReaderPool

__all__ = ["events_page"]


async def events_page(pool: ReaderPool, since: int, until: int, limit: int) -> list[tuple[int, bytes]] | None:
    """Up to `limit` events with since < seq <= until in order, or None when some were already pruned."""
    async with pool.acquire() as conn:
        await conn.execute("BEGIN")
        try:
            first = (await conn.execute_fetchall("SELECT min(seq) FROM events"))[0][0]
            if first is None or first > since + 1:
                return None
            rows = await conn.execute_fetchall(
                "SELECT seq, payload FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?", (since, until, limit)
            )
        finally:
            await conn.execute("COMMIT")
    return [(seq, bytes(payload)) for seq, payload in rows]
