"""api.h11_send: a response's head leaves with its body in one write; large bodies and upgrades as before."""

from __future__ import annotations

import asyncio
from typing import Any

from hypercorn.config import Config
from hypercorn.events import RawData
from hypercorn.protocol.events import Body, Data, EndBody, Response
from hypercorn.protocol.h11 import H11Protocol

from api.h11_send import coalesce_response_head


class _Context:
    event_class = asyncio.Event


def _protocol(sent: list[bytes]) -> H11Protocol:
    async def send(event: Any) -> None:
        if isinstance(event, RawData):
            sent.append(event.data)

    protocol = H11Protocol(
        None,
        Config(),
        _Context(),
        None,
        None,
        False,
        ("127.0.0.1", 1),
        ("127.0.0.1", 2),
        send,  # type: ignore[arg-type]
    )
    protocol.connection.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    protocol.connection.next_event()  # the Request
    return protocol


def _respond(body: bytes) -> list[bytes]:
    sent: list[bytes] = []
    protocol = _protocol(sent)

    async def go() -> None:
        headers = [(b"content-length", str(len(body)).encode())]
        await protocol.stream_send(Response(stream_id=1, headers=headers, status_code=200))
        await protocol.stream_send(Body(stream_id=1, data=body))
        await protocol.stream_send(EndBody(stream_id=1))

    asyncio.run(go())
    return [chunk for chunk in sent if chunk]


def test_head_and_small_body_leave_in_one_write() -> None:
    assert coalesce_response_head()
    writes = _respond(b'{"ok":true}')
    assert len(writes) == 1
    assert writes[0].startswith(b"HTTP/1.1 200 ") and writes[0].endswith(b'\r\n\r\n{"ok":true}')


def test_large_body_is_written_after_the_head_without_a_copy() -> None:
    assert coalesce_response_head()
    body = b"x" * (200 * 1024)
    writes = _respond(body)
    assert len(writes) == 2 and writes[0].startswith(b"HTTP/1.1 200 ") and writes[1] == body


def test_empty_body_304_sends_the_head() -> None:
    assert coalesce_response_head()
    sent: list[bytes] = []
    protocol = _protocol(sent)

    async def go() -> None:
        await protocol.stream_send(Response(stream_id=1, headers=[(b"etag", b'"1"')], status_code=304))
        await protocol.stream_send(Body(stream_id=1, data=b""))
        await protocol.stream_send(EndBody(stream_id=1))

    asyncio.run(go())
    writes = [chunk for chunk in sent if chunk]
    assert len(writes) == 1 and writes[0].startswith(b"HTTP/1.1 304 ") and writes[0].endswith(b"\r\n\r\n")


def test_raw_data_after_a_held_head_sends_the_head_first() -> None:
    assert coalesce_response_head()
    sent: list[bytes] = []
    protocol = _protocol(sent)

    async def go() -> None:
        await protocol.stream_send(Response(stream_id=1, headers=[], status_code=200))
        await protocol.stream_send(Data(stream_id=1, data=b"raw"))

    asyncio.run(go())
    assert sent[0].startswith(b"HTTP/1.1 200 ") and sent[1] == b"raw"
