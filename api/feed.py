"""The order feed of one worker: events from the writer fanned out to this worker's WebSockets.

Every worker subscribes to the writer's committed events (resuming after the
last seq it saw when the link drops), keeps a ring of recent ones for quick
resumes, and pushes each to its clients through a bounded per-client buffer:
a client that does not read is closed (4008) instead of slowing anyone else.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import Callable

from writer.protocol import Broadcast, Events, Reset, Welcome

__all__ = ["FeedHub", "FeedClient", "SlowConsumer", "RESET_MESSAGE", "PONG_MESSAGE", "PING_MESSAGE"]

log = logging.getLogger("sgp.api.feed")

RESET_MESSAGE = '{"type":"reset"}'
PONG_MESSAGE = '{"type":"pong"}'
PING_MESSAGE = '{"type":"ping"}'
_RING_SIZE = 10_000


class SlowConsumer(Exception):
    """The client's outgoing buffer overflowed."""


class FeedClient:
    """One WebSocket's outgoing queue, bounded in bytes."""

    def __init__(self, max_bytes: int, user_id: int, username: str) -> None:
        self.max_bytes = max_bytes
        self.user_id = user_id
        self.username = username
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.buffered = 0
        self.overflowed = False
        self.last_seq = 0

    def push(self, text: str, seq: int | None = None) -> None:
        """Queue a message; on overflow mark the client and wake its sender to close it."""
        if self.overflowed:
            return
        if seq is not None:
            if seq <= self.last_seq:
                return  # already sent by the replay
            self.last_seq = seq
        self.buffered += len(text)
        if self.buffered > self.max_bytes:
            self.overflowed = True
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(text)

    async def next(self) -> str:
        """The next message to send; raises SlowConsumer once the buffer overflowed."""
        text = await self.queue.get()
        if text is None or self.overflowed:
            raise SlowConsumer
        self.buffered -= len(text)
        return text


class FeedHub:
    """This worker's subscription and its clients."""

    def __init__(self, *, on_clients: Callable[[int], None] | None = None) -> None:
        self.epoch: str | None = None
        self.last_seq = 0
        self.ring: deque[tuple[int, str]] = deque(maxlen=_RING_SIZE)
        self.clients: set[FeedClient] = set()
        self.send_broadcast: Callable[[Broadcast], None] | None = None
        self._on_clients = on_clients
        self.worker = os.getpid()

    # From the writer -----------------------------------------------------------

    def on_welcome(self, welcome: Welcome) -> int:
        """A link to the writer came up: subscribe after the last seq we delivered."""
        if self.epoch is not None and welcome.epoch != self.epoch:
            log.warning("database epoch changed (%s -> %s): clients must refetch", self.epoch, welcome.epoch)
            self._reset(welcome.last_seq)
        if self.epoch is None:
            self.last_seq = welcome.last_seq  # first contact: live from now on
        self.epoch = welcome.epoch
        return self.last_seq

    def on_events(self, message: Events) -> None:
        """Fan committed events out to every client of this worker."""
        for event in message.events:
            if event.seq <= self.last_seq:
                continue
            text = event.payload.decode()
            self.last_seq = event.seq
            self.ring.append((event.seq, text))
            for client in self.clients:
                client.push(text, event.seq)

    def on_reset(self, message: Reset) -> None:
        """The writer no longer has the events after our last seq."""
        log.warning("feed subscription reset by the writer (our seq %d, its %d)", self.last_seq, message.last_seq)
        self._reset(message.last_seq)

    def on_broadcast(self, message: Broadcast) -> None:
        """A client broadcast relayed from another worker."""
        for client in self.clients:
            client.push(message.payload.decode())

    def _reset(self, last_seq: int) -> None:
        self.ring.clear()
        self.last_seq = last_seq
        for client in self.clients:
            client.push(RESET_MESSAGE)
            client.last_seq = last_seq

    # Clients -------------------------------------------------------------------

    def add(self, client: FeedClient) -> int:
        """Register a client; returns the seq where its live stream starts."""
        client.last_seq = self.last_seq
        self.clients.add(client)
        self._count()
        return self.last_seq

    def remove(self, client: FeedClient) -> None:
        """Forget a client."""
        self.clients.discard(client)
        self._count()

    def from_ring(self, since: int, until: int) -> list[tuple[int, str]] | None:
        """Events in (since, until] if the ring still holds them all, else None."""
        if since >= until:
            return []
        if not self.ring or self.ring[0][0] > since + 1:
            return None
        return [(seq, text) for seq, text in self.ring if since < seq <= until]

    def relay(self, sender: FeedClient, text: str) -> None:
        """Deliver a client broadcast to this worker's other clients and, via the writer, to all others."""
        for client in self.clients:
            if client is not sender:
                client.push(text)
        if self.send_broadcast is not None:
            self.send_broadcast(Broadcast(payload=text.encode()))

    def _count(self) -> None:
        if self._on_clients is not None:
            self._on_clients(len(self.clients))
