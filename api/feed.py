"""The order feed of one worker: events from the writer fanned out to this worker's WebSockets.

Every worker subscribes to the writer's committed events (resuming after the
last seq it saw when the link drops), keeps a ring of recent ones for quick
resumes, and pushes each to its clients through a bounded per-client buffer:
a client that does not read is closed (4008) instead of slowing anyone else.
A client whose session ends (logout, password change, deactivation, expiry) is
closed at once with 1008 and the reason.

Where hypercorn offers the connection's transport (api/ws_fast.py), a client has a
sink: each event is framed once per worker, the frames queue on the client, and
one flush per event-loop turn writes every client's backlog with one write (no
task per socket). The bound is then the sink's backlog plus what waits to be
flushed. Elsewhere a sender task per socket sends through ASGI, as before.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from collections.abc import Callable
from itertools import islice

from ipc.protocol import Broadcast, Events, Reset, Welcome

from .auth import Principal
from .feed_wire import PING_MESSAGE, PONG_MESSAGE, RESET_MESSAGE, addressee, frames_of, text_frame, wire_messages
from .ws_fast import RawSink

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
# A live event held behind a replay: seq, texts, and their frames once framed (sink clients).
_Held = tuple[int, tuple[str, ...], bytes | None]


class FeedClosed(Exception):
    """The server closes this client: `code` and `reason` go into the close frame."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class FeedClient:
    """One WebSocket's outgoing queue, bounded in bytes (queued plus held-back events, plus the sink's backlog)."""

    def __init__(self, max_bytes: int, principal: Principal, sink: RawSink | None = None) -> None:
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
        self.held: list[_Held] = []
        self._room = asyncio.Event()
        self._room.set()
        # With a sink: frames waiting for the next flush, and who to tell when the first one arrives.
        self.sink = sink
        self.pending: list[bytes] = []
        self.dirty = False
        self.on_dirty: Callable[[FeedClient], None] | None = None
        self._backlog = 0  # the sink's backlog at the last flush

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
        used = self.buffered + self._backlog
        if used > self.max_bytes and self.sink is not None:
            # The backlog seen at the last flush may have drained since: look again before closing.
            self._backlog = self.sink.backlog()
            used = self.buffered + self._backlog
        if used > self.max_bytes:
            self.close(CLOSE_SLOW_CONSUMER, "slow consumer")
            return False
        if used > self.max_bytes // 2:
            self._room.clear()
        return True

    def _size(self, texts: tuple[str, ...], frames: bytes | None) -> int:
        return len(frames) if frames is not None else sum(map(len, texts))

    def _deliver(self, texts: tuple[str, ...], frames: bytes | None) -> None:
        if frames is None:
            for text in texts:
                self.queue.put_nowait(text)
        elif frames:
            self.pending.append(frames)
            if not self.dirty:
                self.dirty = True
                if self.on_dirty is not None:
                    self.on_dirty(self)

    def push(self, text: str) -> None:
        """Queue a message that is not an event (ping, pong, broadcast, reset)."""
        frames = text_frame(text) if self.sink is not None else None
        if self.closing is None and self._account(self._size((text,), frames)):
            self._deliver((text,), frames)

    def push_event(
        self, seq: int, texts: tuple[str, ...], *, replay: bool = False, frames: bytes | None = None
    ) -> None:
        """Queue an event's message(s) once, in seq order; live ones wait while a replay runs.

        `frames` is `frames_of(texts)` when the caller framed them once for every client.
        """
        if texts and (to := addressee(texts[0])) is not None and to != self.user_id:
            # Another user's notification: the seq is consumed, nothing is sent (every other
            # desktop would take its order_id for an order change and toast it).
            texts, frames = (), b""
        if self.closing is not None or seq <= self.last_seq:
            return  # closing, or already sent by the replay
        if self.sink is None:
            frames = None
        elif frames is None:
            frames = frames_of(texts)
        if self.replaying and not replay:
            if seq > (self.held[-1][0] if self.held else 0) and self._account(self._size(texts, frames)):
                self.held.append((seq, texts, frames))
            return
        if not self._account(self._size(texts, frames)):
            return
        self.last_seq = seq
        self._deliver(texts, frames)

    def finish_replay(self) -> None:
        """The replay is over: send the live events held back meanwhile (already counted)."""
        self.replaying = False
        held, self.held = self.held, []
        for seq, texts, frames in held:
            if self.closing is None and seq > self.last_seq:
                self.last_seq = seq
                self._deliver(texts, frames)
            else:
                self.buffered -= self._size(texts, frames)

    def flush(self) -> None:
        """Write the frames waiting for this sink client in one write; close it if its backlog overflows."""
        self.dirty = False
        if not self.pending or self.sink is None:
            return
        data = self.pending[0] if len(self.pending) == 1 else b"".join(self.pending)
        self.pending.clear()
        self.buffered -= len(data)
        if self.closing is not None or not self.sink.write(data):
            return  # closing: the rest is dropped, as a queue is (the client resumes by seq)
        self._backlog = self.sink.backlog()
        if self._backlog + self.buffered > self.max_bytes:
            self.close(CLOSE_SLOW_CONSUMER, "slow consumer")
        elif self._backlog + self.buffered <= self.max_bytes // 2:
            self._room.set()

    def reset(self, last_seq: int) -> None:
        """The history this client relies on is gone: tell it, and go live from `last_seq`."""
        for _, texts, frames in self.held:
            self.buffered -= self._size(texts, frames)
        self.held = []
        self.replaying = False
        self.push(RESET_MESSAGE)
        self.last_seq = last_seq

    @property
    def has_room(self) -> bool:
        """True while at most half the buffer is used."""
        if self.sink is not None:
            return self.buffered + self.sink.backlog() <= self.max_bytes // 2
        return self._room.is_set()

    async def wait_room(self, timeout: float) -> None:
        """Wait until at most half the buffer is used; FeedClosed when closing or not read in time."""
        try:
            if self.sink is None:
                await asyncio.wait_for(self._room.wait(), timeout)
            else:
                await self._wait_sink(timeout)
        except TimeoutError:
            self.close(CLOSE_SLOW_CONSUMER, "slow consumer")
        except ConnectionError:
            self.close(CLOSE_SLOW_CONSUMER, "gone")
        if self.closing is not None:
            raise self.closing

    async def _wait_sink(self, timeout: float) -> None:
        assert self.sink is not None
        deadline = time.monotonic() + timeout
        while self.closing is None and not self.has_room:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            await self.sink.writable(remaining)

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
        self._dirty: list[FeedClient] = []
        self._flush_scheduled = False

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
        """Fan committed events out to every client of this worker (framed once for every sink client)."""
        for event in message.events:
            if event.seq <= self.last_seq:
                continue
            texts = wire_messages(event.payload)
            frames = frames_of(texts)
            self.last_seq = event.seq
            self._remember(event.seq, texts)
            for client in self.clients:
                client.push_event(event.seq, texts, frames=frames)

    def _mark_dirty(self, client: FeedClient) -> None:
        self._dirty.append(client)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Write every sink client's waiting frames: once per event-loop turn, whatever arrived in it."""
        self._flush_scheduled = False
        dirty, self._dirty = self._dirty, []
        for client in dirty:
            try:
                client.flush()
            except Exception:
                # One client's failure must not leave the others of this turn unflushed (their dirty
                # flag would keep them from being scheduled again): that client is closed instead.
                log.exception("feed flush failed; closing that client")
                client.dirty = False
                client.close(CLOSE_SLOW_CONSUMER, "erro interno")

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
        if client.sink is not None:
            client.on_dirty = self._mark_dirty
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
