"""One authenticated worker connection as the writer sees it: an outbox flushed once per loop pass."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ipc.framing import frame
from ipc.protocol import Event, Events

__all__ = ["Peer"]

log = logging.getLogger("sgp.writer")

# A worker that stops reading must not make the writer buffer without bound.
_MAX_PEER_BUFFER = 64 * 1024 * 1024


class Peer:
    """One authenticated worker connection."""

    def __init__(self, writer: asyncio.StreamWriter, name: str) -> None:
        self.writer = writer
        self.name = name
        self.subscribed = False
        self.replaying = False
        self.pending: list[Event] = []
        self.last_sent = 0
        self._outbox: list[bytes] = []

    def send(self, message: Any) -> None:
        """Queue a message; all those queued during one event-loop pass leave in one write.

        A batch answers every call in it, then publishes its events, in one pass:
        one send() per worker connection instead of one per message.
        """
        if self.writer.is_closing():
            return
        if not self._outbox:
            asyncio.get_running_loop().call_soon(self._flush)
        self._outbox.append(frame(message))

    def _flush(self) -> None:
        frames, self._outbox = self._outbox, []
        if self.writer.is_closing():
            return
        self.writer.write(b"".join(frames))
        if self.writer.transport.get_write_buffer_size() > _MAX_PEER_BUFFER:
            log.warning("peer %s is not reading; dropping its connection", self.name)
            self.writer.close()

    def send_events(self, events: list[Event]) -> None:
        """Send the events this peer has not been sent yet."""
        fresh = [e for e in events if e.seq > self.last_sent]
        if fresh:
            self.last_sent = fresh[-1].seq
            self.send(Events(events=fresh))
