"""The writer client each API worker uses: a few connections, futures keyed by request id.

Links reconnect by themselves (reading the address file again, since a
restarted writer listens on a new port). One link also carries the event
subscription, resuming after the last seq it delivered.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import CommandError, WriterOverloaded, WriterUnavailable
from .framing import (
    FrameError,
    client_handshake,
    frame,
    open_connection,
    read_address_file,
    read_message,
    write_message,
)
from .protocol import Actor, AuthChanged, Broadcast, Call, Command, Events, Fail, Ok, Reset, Subscribe, Welcome

__all__ = ["WriterClient"]

log = logging.getLogger("sgp.ipc.client")

_OVERLOAD_CODES = frozenset({"queue_full", "deadline", "shutting_down"})
# How long past its deadline a call waits for the reply of a batch already committing.
_REPLY_GRACE_S = 1.0
# As writer.server.FATAL_EXIT_CODE (not imported: that module pulls in the whole writer).
_FATAL_EXIT_CODE = 70

EventsHandler = Callable[[Events], None]
ResetHandler = Callable[[Reset], None]
WelcomeHandler = Callable[[Welcome], int | None]
AuthHandler = Callable[[AuthChanged], None]


def _expire(future: asyncio.Future[Ok | Fail]) -> None:
    if not future.done():
        future.set_exception(WriterOverloaded("no reply from the writer before the deadline"))


# Frames of one loop iteration are joined up to this size; beyond it they are written at once.
_COALESCE_MAX = 64 * 1024


class _Link:
    """One connection to the writer, re-established whenever it drops."""

    def __init__(self, client: WriterClient, index: int) -> None:
        self.client = client
        self.index = index
        self.writer: asyncio.StreamWriter | None = None
        self.pending: set[int] = set()
        # Frames of calls made during this event-loop iteration: one write (one send()) for all.
        self._outgoing: list[bytes] = []
        self._outgoing_bytes = 0
        self._outgoing_to: asyncio.StreamWriter | None = None

    def send(self, frame_bytes: bytes) -> None:
        """Queue a frame; every frame queued in this loop iteration leaves in one write, in order.

        Past _COALESCE_MAX bytes the queue is written at once, so the transport's buffer
        (which callers check before sending: `buffer_bytes`) keeps seeing what is sent.
        """
        writer = self.writer
        assert writer is not None
        if self._outgoing_to is not writer:
            self._flush()  # (a new connection: what was queued for the old one is written there, or dropped)
            self._outgoing_to = writer
            asyncio.get_running_loop().call_soon(self._flush)
        elif not self._outgoing:
            asyncio.get_running_loop().call_soon(self._flush)
        self._outgoing.append(frame_bytes)
        self._outgoing_bytes += len(frame_bytes)
        if self._outgoing_bytes >= _COALESCE_MAX:
            self._flush()

    def _flush(self) -> None:
        frames, self._outgoing, self._outgoing_bytes = self._outgoing, [], 0
        writer = self._outgoing_to
        if not frames or writer is None or writer.is_closing():
            return  # a lost link fails its pending calls itself
        writer.write(frames[0] if len(frames) == 1 else b"".join(frames))

    @property
    def up(self) -> bool:
        return self.writer is not None and not self.writer.is_closing()

    async def maintain(self) -> None:
        delay = 0.05
        while not self.client._closing:
            try:
                await self._session()
                delay = 0.05
            except (OSError, FrameError, asyncio.IncompleteReadError, TimeoutError) as exc:
                log.debug("writer link %d down: %s", self.index, exc)
            except Exception as exc:
                # A bug in a callback (feed, auth): this link would stop silently and its
                # worker go on without events or revocations. Fatal instead.
                self._drop()
                self.client._fatal(exc)
                return
            self._drop()
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, 1.0)

    async def _session(self) -> None:
        client = self.client
        address = read_address_file(client.address_file)
        if address is None:
            raise FileNotFoundError(client.address_file)
        reader, writer = await asyncio.wait_for(open_connection(address), 2.0)
        try:
            welcome = await client_handshake(reader, writer, secret=address.secret, client=client.name)
        except BaseException:
            writer.close()
            raise
        # drain() waits while more than this is unsent (asyncio pauses writing at the high mark).
        writer.transport.set_write_buffer_limits(high=client.buffer_bytes)
        self.writer = writer
        client.welcome = welcome
        if self.index == 0 and client.on_welcome is not None:
            since = client.on_welcome(welcome)
            if since is not None:
                write_message(writer, Subscribe(since=since))
        client._link_up.set()
        log.info("writer link %d connected (writer pid %d)", self.index, welcome.writer_pid)
        while True:
            message = await read_message(reader)
            match message:
                case Ok(id=call_id) | Fail(id=call_id):
                    self.pending.discard(call_id)
                    future = client._futures.pop(call_id, None)
                    if future is not None and not future.done():
                        future.set_result(message)
                case Events():
                    if client.on_events is not None:
                        client.on_events(message)
                case Reset():
                    if client.on_reset is not None:
                        client.on_reset(message)
                case AuthChanged():
                    if client.on_auth is not None:
                        client.on_auth(message)
                case Broadcast():
                    if client.on_broadcast is not None:
                        client.on_broadcast(message)
                case _:
                    raise FrameError(f"unexpected {type(message).__name__} from the writer")

    def _drop(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        # The outcome of these calls is unknown: the batch may or may not have committed.
        for call_id in self.pending:
            future = self.client._futures.pop(call_id, None)
            if future is not None and not future.done():
                future.set_exception(WriterUnavailable("connection to the writer lost"))
        self.pending.clear()
        if not any(link.up for link in self.client._links):
            self.client._link_up.clear()


class WriterClient:
    """Sends commands to the writer and waits for their committed replies."""

    def __init__(
        self,
        address_file: Path,
        *,
        connections: int = 2,
        deadline_s: float = 5.0,
        name: str | None = None,
        on_welcome: WelcomeHandler | None = None,
        on_events: EventsHandler | None = None,
        on_reset: ResetHandler | None = None,
        on_auth: AuthHandler | None = None,
        on_broadcast: Callable[[Broadcast], None] | None = None,
        on_fatal: Callable[[BaseException], None] | None = None,
        buffer_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        self.address_file = address_file
        self.deadline_s = deadline_s
        self.name = name or f"worker-{os.getpid()}"
        self.on_welcome = on_welcome
        self.on_events = on_events
        self.on_reset = on_reset
        self.on_auth = on_auth
        self.on_broadcast = on_broadcast
        self.on_fatal = on_fatal
        self.buffer_bytes = buffer_bytes
        self.welcome: Welcome | None = None
        self._ids = itertools.count(1)
        self._futures: dict[int, asyncio.Future[Ok | Fail]] = {}
        self._links = [_Link(self, i) for i in range(connections)]
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._link_up = asyncio.Event()
        self._rr = itertools.count()

    @property
    def connected(self) -> bool:
        """True when at least one link to the writer is up."""
        return any(link.up for link in self._links)

    async def start(self) -> None:
        """Start the links in the background (returns at once)."""
        self._tasks = [asyncio.create_task(link.maintain(), name=f"writer-link-{link.index}") for link in self._links]

    async def wait_connected(self, timeout: float) -> bool:
        """Wait until a link is up; False on timeout."""
        try:
            await asyncio.wait_for(self._link_up.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        """Stop the links and fail what is still waiting."""
        self._closing = True
        pending = set(self._tasks)
        while pending:
            for task in pending:
                task.cancel()
            # Asked again until they end: Python 3.11's asyncio.wait_for loses a cancel that
            # lands as its inner await completes (gh-86296), and a link would then reconnect
            # forever; `_closing` also stops its loop at the next turn.
            _, pending = await asyncio.wait(pending, timeout=0.5)
        for link in self._links:
            link._drop()

    def _fatal(self, exc: BaseException) -> None:
        """A link died of an unexpected error: `on_fatal`, by default the end of this process."""
        log.critical("writer link failed unexpectedly; this process exits so the supervisor replaces it", exc_info=exc)
        if self.on_fatal is not None:
            self.on_fatal(exc)
            return
        logging.shutdown()
        os._exit(_FATAL_EXIT_CODE)

    def _pick(self) -> _Link | None:
        up = [link for link in self._links if link.up]
        if not up:
            return None
        return up[next(self._rr) % len(up)]

    async def call(
        self,
        command: Command,
        *,
        actor: Actor | None = None,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        deadline_s: float | None = None,
    ) -> Ok:
        """Run one command; returns Ok after commit or raises CommandError / WriterClientError."""
        budget = self.deadline_s if deadline_s is None else deadline_s
        deadline = time.time() + budget
        link = self._pick()
        if link is None:
            # The writer may be restarting: wait for it within the deadline.
            if not await self.wait_connected(budget):
                raise WriterUnavailable("the writer is not reachable")
            link = self._pick()
            if link is None or time.time() >= deadline:
                raise WriterUnavailable("the writer is not reachable")
        await self._wait_for_room(link, deadline)
        call_id = next(self._ids)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Ok | Fail] = loop.create_future()
        self._futures[call_id] = future
        link.pending.add(call_id)
        call = Call(
            id=call_id,
            command=command,
            deadline=deadline,
            actor=actor,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
        )
        # A timer that fails the future, rather than asyncio.wait_for: wait_for wraps
        # every call in an extra future and callbacks, a visible cost on the write path.
        timer = loop.call_later(max(0.0, deadline - time.time()) + _REPLY_GRACE_S, _expire, future)
        try:
            link.send(frame(call))
            reply = await future
        finally:
            timer.cancel()
            self._futures.pop(call_id, None)
            link.pending.discard(call_id)
        if isinstance(reply, Ok):
            return reply
        if reply.code in _OVERLOAD_CODES:
            raise WriterOverloaded(reply.message)
        raise CommandError(reply.code, reply.message, field=reply.field)

    async def _wait_for_room(self, link: _Link, deadline: float) -> None:
        """Wait (within the deadline) while the link has more than `buffer_bytes` unsent: the buffer stays bounded."""
        writer = link.writer
        if writer is None or writer.transport.get_write_buffer_size() <= self.buffer_bytes:
            return
        try:
            await asyncio.wait_for(writer.drain(), max(0.0, deadline - time.time()))
        except TimeoutError:
            raise WriterOverloaded("the connection to the writer is not draining") from None
        except (ConnectionError, OSError):
            raise WriterUnavailable("connection to the writer lost") from None
        if not link.up:
            raise WriterUnavailable("connection to the writer lost")

    def send_broadcast(self, message: Broadcast) -> bool:
        """Hand a feed broadcast to the writer on the subscribed link (the writer skips that link when relaying)."""
        link = self._links[0]
        if not link.up or link.writer is None:
            return False
        if link.writer.transport.get_write_buffer_size() > self.buffer_bytes:
            return False  # a broadcast is best effort: dropped rather than buffered without bound
        write_message(link.writer, message)
        return True

    async def request(self, command: Command, timeout: float = 2.0) -> Any:
        """A control command (Ping, GetStats) with a short deadline."""
        return await self.call(command, deadline_s=timeout)
