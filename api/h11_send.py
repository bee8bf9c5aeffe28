"""One send() per small HTTP/1.1 response: hypercorn's h11 path writes the head and the body separately.

hypercorn 0.18 (pinned in requirements/*.lock) turns a response into three h11
events and writes each with its own `transport.write` + `drain`: the head, the
body, and the end of the message (empty with Content-Length). On loopback and
LAN every write is a send() syscall: a py-spy profile of a worker under the
200-client mix showed ~11 % of its samples in the response writes. Here the
head is held until the body's first bytes (or the end of the message) and
leaves with them in one write. Bodies over 64 KiB are written after the head as
before (no large copy).
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["coalesce_response_head"]

_JOIN_MAX = 64 * 1024


def coalesce_response_head() -> bool:
    """Patch hypercorn's H11Protocol (once per process); False when this hypercorn lacks the expected methods."""
    import h11
    from hypercorn.events import RawData
    from hypercorn.protocol import h11 as hyper_h11
    from hypercorn.protocol.events import Data

    protocol = getattr(hyper_h11, "H11Protocol", None)
    original_send_event = getattr(protocol, "_send_h11_event", None)
    original_stream_send = getattr(protocol, "stream_send", None)
    if protocol is None or original_send_event is None or original_stream_send is None:
        logging.getLogger("sgp.api").warning("this hypercorn has no H11Protocol._send_h11_event: heads sent apart")
        return False
    if getattr(original_send_event, "_sgp_coalescing", False):
        return True

    async def send_h11_event(self: Any, event: Any) -> None:
        if isinstance(event, h11.Response):
            try:
                self._sgp_head = self.connection.send(event)
            except h11.LocalProtocolError:
                if self.connection.their_state != h11.ERROR:
                    raise
            return
        head = self.__dict__.pop("_sgp_head", None)
        if head is None:
            await original_send_event(self, event)
            return
        try:
            data = self.connection.send(event) or b""
        except h11.LocalProtocolError:
            if self.connection.their_state != h11.ERROR:
                raise
            data = b""
        if len(data) > _JOIN_MAX:
            await self.send(RawData(data=head))
            await self.send(RawData(data=data))
        else:
            await self.send(RawData(data=head + data))

    async def stream_send(self: Any, event: Any) -> None:
        # Raw data (an upgraded connection) never follows a held head unseen.
        if isinstance(event, Data) and "_sgp_head" in self.__dict__:
            await self.send(RawData(data=self.__dict__.pop("_sgp_head")))
        await original_stream_send(self, event)

    send_h11_event._sgp_coalescing = True  # type: ignore[attr-defined]
    protocol._send_h11_event = send_h11_event
    protocol.stream_send = stream_send
    return True
