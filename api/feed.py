"""The order feed of one worker: events from the writer fanned out to this worker's WebSockets.

Every worker subscribes to the writer's committed events (resuming after the
last seq it saw when the link drops), keeps a ring of recent ones for quick
resumes, and pushes each to its clients through a bounded per-client buffer:
a client that does not read is closed (4008) instead of slowing anyone else.
A client whose session ends (logout, password change, deactivation, expiry) is
closed at once with 1008 and the reason.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import Callable
from itertools import islice

from ipc.protocol import Broadcast, Events, Reset, Welcome

from .auth import Principal
from .feed_wire import PING_MESSAGE, PONG_MESSAGE, RESET_MESSAGE, addressee, wire_messages

__all__ = [
    "FeedHub",
    "FeedClient",
    "FeedClosed",
    "RESET_MESSAGE",
    "PONG_MESSAGE",
    "PING_MESSAGE",
    "CLOSE_POLICY",
    "CLOSE_SLOW_CONSUMER",
    "CLOSE_TIMEOUT",
]

log = logging.getLogger("sgp.api.feed")

# Close codes. 1008 (policy): the client does not reconnect until its token changes (a new login).
# 4000 and 4008 (private use): the client reconnects, and resumes with `since` if it tracks seq.
CLOSE_POLICY = 1008
CLOSE_SLOW_CONSUMER = 4008
CLOSE_TIMEOUT = 4000
_RING_SIZE = 10_000

WireEvent = tuple[int, tuple[str, ...]]


class FeedClosed(Exception):
    """The server closes this client: `code` and `reason` go into the close frame."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class FeedClient:
    """One WebSocket's outgoing queue, bounded in bytes (queued plus held-back events)."""

    def __init__(self, max_bytes: int, principal: Principal) -> None:
        self.max_bytes = max_bytes
        self.principal = principal
        self.user_id = principal.id
        self.username = principal.username
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.buffered = 0
        self.closing: FeedClosed | None = None
        self.last_seq = 0
        # While a resume replays history, live events wait here (in order) so nothing interleaves.
        self.replaying = False
        self.held: list[WireEvent] = []
        self._room = asyncio.Event()
        self._room.set()

    @property
    def overflowed(self) -> bool:
        """True once the buffer overflowed (the client is being closed as a slow consumer)."""
        return self.closing is not None and self.closing.code == CLOSE_SLOW_CONSUMER

    def close(self, code: int, reason: str) -> None:
        """Close this client: its sender stops and the handler sends the close frame."""
        if self.closing is None:
            self.closing = FeedClosed(code, reason)
            self.queue.put_nowait(None)
            self._room.set()  # wake a waiting replay so it sees the close

    def _account(self, size: int) -> bool:
        self.buffered += size
        if self.buffered > self.max_bytes:
            self.close(CLOSE_SLOW_CONSUMER, "slow consumer")
            return False
        if self.buffered > self.max_bytes // 2:
            self._room.clear()
        return True

    def push(self, text: str) -> None:
        """Queue a message that is not an event (ping, pong, broadcast, reset)."""
        if self.closing is None and self._account(len(text)):
            self.queue.put_nowait(text)

    def push_event(self, seq: int, texts: tuple[str, ...], *, replay: bool = False) -> None:
        """Queue an event's message(s) once, in seq order; live ones wait while a replay runs."""
        if texts and (to := addressee(texts[0])) is not None and to != self.user_id:
            # Another user's notification: the seq is consumed, nothing is sent (every other
            # desktop would take its order_id for an order change and toast it).
            texts = ()
        if self.closing is not None or seq <= self.last_seq:
            return  # closing, or already sent by the replay
        if self.replaying and not replay:
            if seq > (self.held[-1][0] if self.held else 0) and self._account(sum(map(len, texts))):
                self.held.append((seq, texts))
            return
        if not self._account(sum(map(len, texts))):
            return
        self.last_seq = seq
        for text in texts:
            self.queue.put_nowait(text)

    def finish_replay(self) -> None:
        """The replay is over: send the live events held back meanwhile (already counted)."""
        self.replaying = False
        held, self.held = self.held, []
        for seq, texts in held:
            if self.closing is None and seq > self.last_seq:
                self.last_seq = seq
                for text in texts:
                    self.queue.put_nowait(text)
            else:
                self.buffered -= sum(map(len, texts))

    def reset(self, last_seq: int) -> None:
        """The history this client relies on is gone: tell it, and go live from `last_seq`."""
        for _, texts in self.held:
            self.buffered -= sum(map(len, texts))
        self.held = []
        self.replaying = False
        self.push(RESET_MESSAGE)
        self.last_seq = last_seq

    @property
    def has_room(self) -> bool:
        """True while at most half the buffer is used."""
        return self._room.is_set()

    async def wait_room(self, timeout: float) -> None:
        """Wait until at most half the buffer is used; FeedClosed when closing or not read in time."""
        try:
            await asyncio.wait_for(self._room.wait(), timeout)
        except TimeoutError:
            self.close(CLOSE_SLOW_CONSUMER, "slow consumer")
        if self.closing is not None:
            raise self.closing

    async def next(self) -> str:
        """The next message to send; raises FeedClosed once the client is being closed."""
        text = await self.queue.get()
        if text is None or self.closing is not None:
            raise self.closing or FeedClosed(CLOSE_SLOW_CONSUMER, "slow consumer")
        self.buffered -= len(text)
        if self.buffered <= self.max_bytes // 2:
            self._room.set()
        return text


class FeedHub:
    """This worker's subscription and its clients."""

    def __init__(self, *, on_clients: Callable[[int], None] | None = None, ring_bytes: int = 16 * 1024 * 1024) -> None:
        self.epoch: str | None = None
        self.last_seq = 0
        # Recent events for quick resumes, bounded in count and in bytes: one pedido with a
        # multi-MB document patched in a loop must not grow the worker (older ones are then
        # replayed from the event log instead).
        self.ring: deque[WireEvent] = deque()
        self.ring_bytes_max = ring_bytes
        self._ring_bytes = 0
        self.clients: set[FeedClient] = set()
        self.send_broadcast: Callable[[Broadcast], object] | None = None
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
            texts = wire_messages(event.payload)
            self.last_seq = event.seq
            self._remember(event.seq, texts)
            for client in self.clients:
                client.push_event(event.seq, texts)

    def _remember(self, seq: int, texts: tuple[str, ...]) -> None:
        self.ring.append((seq, texts))
        self._ring_bytes += sum(map(len, texts))
        while len(self.ring) > _RING_SIZE or (self._ring_bytes > self.ring_bytes_max and len(self.ring) > 1):
            _, old = self.ring.popleft()
            self._ring_bytes -= sum(map(len, old))

    def on_reset(self, message: Reset) -> None:
        """The writer no longer has the events after our last seq."""
        log.warning("feed subscription reset by the writer (our seq %d, its %d)", self.last_seq, message.last_seq)
        self._reset(message.last_seq)

    def on_broadcast(self, message: Broadcast) -> None:
        """A client broadcast relayed from another worker."""
        text = message.payload.decode()
        for client in self.clients:
            client.push(text)

    def _reset(self, last_seq: int) -> None:
        self.ring.clear()
        self._ring_bytes = 0
        self.last_seq = last_seq
        for client in self.clients:
            client.reset(last_seq)

    # Sessions ------------------------------------------------------------------

    def revalidate(self, ended: Callable[[Principal], str | None]) -> None:
        """Close (1008, with the reason) every client whose session has just ended."""
        for client in list(self.clients):
            reason = ended(client.principal)
            if reason is not None:
                log.info("closing feed client of %s: %s", client.username, reason)
                client.close(CLOSE_POLICY, reason)

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

    def from_ring(self, since: int, until: int, limit: int) -> list[WireEvent] | None:
        """Up to `limit` events in (since, until] if the ring still holds them, else None."""
        if since >= until:
            return []
        if not self.ring or self.ring[0][0] > since + 1:
            return None
        # Ring seqs are consecutive runs; skip to `since` by offset when they are.
        start = max(0, since + 1 - self.ring[0][0])
        if start >= len(self.ring) or self.ring[start][0] != since + 1:
            start = 0
        page: list[WireEvent] = []
        for seq, texts in islice(self.ring, start, None):
            if seq > until or len(page) >= limit:
                break
            if seq > since:
                page.append((seq, texts))
        return page

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
