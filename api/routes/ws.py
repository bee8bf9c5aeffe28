"""WS /ws/orders: the order feed, on every worker, resumable by sequence number."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import msgspec
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from readers.events import events_between

from ..auth import Principal
from ..errors import ApiError
from ..feed import PING_MESSAGE, PONG_MESSAGE, RESET_MESSAGE, FeedClient, SlowConsumer

__all__ = ["router"]

log = logging.getLogger("sgp.api.ws")

router = APIRouter()

# RFC 6455 private-use close codes.
CLOSE_POLICY = 1008
CLOSE_SLOW_CONSUMER = 4008
CLOSE_TIMEOUT = 4000


def _token(ws: WebSocket, token: str | None) -> str | None:
    if token:
        return token
    header = ws.headers.get("authorization", "")
    return header[7:] if header.lower().startswith("bearer ") else None


async def _replay(ws: WebSocket, client: FeedClient, since: int, until: int) -> bool:
    """Send (since, until]; False when that history is gone (the client gets a reset)."""
    state = ws.app.state.sgp
    events = state.hub.from_ring(since, until)
    if events is None:
        events = await events_between(state.readers, since, until)
    if events is None:
        return False
    for seq, text in events:
        await ws.send_text(text)
    return True


async def _sender(ws: WebSocket, client: FeedClient) -> None:
    while True:
        await ws.send_text(await client.next())


async def _pinger(ws: WebSocket, client: FeedClient, interval: float, timeout: float, seen: list[float]) -> None:
    while True:
        await asyncio.sleep(interval)
        if time.monotonic() - seen[0] > timeout:
            raise TimeoutError
        client.push(PING_MESSAGE)


async def _receiver(ws: WebSocket, client: FeedClient, principal: Principal, seen: list[float]) -> None:
    settings = ws.app.state.sgp.settings
    hub = ws.app.state.sgp.hub
    allowance, last = settings.ws_broadcast_per_s, time.monotonic()
    while True:
        text = await ws.receive_text()
        now = time.monotonic()
        seen[0] = now
        if text.strip() in ('"ping"', "ping"):
            client.push(PONG_MESSAGE)
            continue
        if len(text) > settings.ws_broadcast_max_bytes:
            client.push('{"type":"error","code":"message_too_large"}')
            continue
        try:
            message = json.loads(text)
        except ValueError:
            continue
        if not isinstance(message, dict):
            continue
        if message.get("type") == "ping":
            client.push(PONG_MESSAGE)
            continue
        if message.get("broadcast") is True:
            # Token bucket: a chatty client cannot flood everyone else.
            allowance = min(settings.ws_broadcast_per_s, allowance + (now - last) * settings.ws_broadcast_per_s)
            last = now
            if allowance < 1:
                client.push('{"type":"error","code":"rate_limited"}')
                continue
            allowance -= 1
            message.pop("broadcast")
            message["user_id"], message["username"] = principal.id, principal.username
            hub.relay(client, json.dumps(message, ensure_ascii=False, separators=(",", ":")))


@router.websocket("/ws/orders")
async def orders_feed(ws: WebSocket, token: str | None = None, since: int | None = None, epoch: str | None = None) -> None:
    """Every committed order change, in seq order; `since=SEQ` resumes without gaps."""
    state = ws.app.state.sgp
    try:
        principal = state.auth.authenticate(_token(ws, token) or "")
    except ApiError as exc:
        # Accept, then close with 1008: browsers see a close code, never a failed handshake's status.
        await ws.accept()
        await ws.close(code=CLOSE_POLICY, reason=exc.code)
        return
    await ws.accept()
    hub, settings = state.hub, state.settings
    client = FeedClient(settings.ws_buffer_bytes, principal.id, principal.username)
    # Registered before the replay: live events queue up behind it, and `push` drops what the replay sent.
    boundary = hub.add(client)
    tasks: list[asyncio.Task[None]] = []
    try:
        hello = {"type": "hello", "epoch": hub.epoch, "seq": boundary, "worker": hub.worker}
        await ws.send_text(msgspec.json.encode(hello).decode())
        if since is not None:
            stale = (epoch is not None and epoch != hub.epoch) or since > boundary or since < 0
            if stale or not await _replay(ws, client, since, boundary):
                await ws.send_text(RESET_MESSAGE)
        seen = [time.monotonic()]
        tasks = [
            asyncio.create_task(_sender(ws, client)),
            asyncio.create_task(_receiver(ws, client, principal, seen)),
            asyncio.create_task(_pinger(ws, client, settings.ws_ping_interval_s, settings.ws_timeout_s, seen)),
        ]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        error = next(iter(done)).exception()
        if isinstance(error, SlowConsumer):
            log.info("closing slow feed client of %s", principal.username)
            await ws.close(code=CLOSE_SLOW_CONSUMER, reason="slow consumer")
        elif isinstance(error, TimeoutError):
            await ws.close(code=CLOSE_TIMEOUT, reason="timeout")
    except (WebSocketDisconnect, RuntimeError, ConnectionError):
        pass
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        hub.remove(client)
