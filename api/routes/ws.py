"""WS /ws/orders: the order feed, on every worker, resumable by sequence number.

What the SGP desktop client sends and handles is in /work/shared/contract/feed.md;
docs/auth-feed.md says what this server answers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import msgspec
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from readers.events import events_page

from ..auth import TOKEN_LEEWAY_S, Principal
from ..errors import ApiError
from ..feed import CLOSE_POLICY, CLOSE_TIMEOUT, FeedClient, FeedClosed
from ..feed_wire import PING_MESSAGE, PONG_MESSAGE, exceeds_depth, sanitize_broadcast, wire_messages
from ..ws_fast import expose_ws_transport, raw_sink

__all__ = ["router"]

log = logging.getLogger("sgp.api.ws")

router = APIRouter()

_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode


def _token(ws: WebSocket, token: str | None) -> str | None:
    if token:
        return token
    header = ws.headers.get("authorization", "")
    return header[7:] if header.lower().startswith("bearer ") else None


def _error(code: str) -> str:
    return _encode({"type": "error", "code": code}).decode()


async def _replay(ws: WebSocket, client: FeedClient, since: int, until: int) -> bool:
    """Queue (since, until] page by page through the client's buffer; False when that history is gone."""
    state = ws.app.state.sgp
    page, timeout = state.settings.ws_replay_page, state.settings.ws_timeout_s
    cursor = since
    while cursor < until and client.replaying and client.closing is None:
        events = state.hub.from_ring(cursor, until, page)
        if events is None:
            rows = await events_page(state.readers, cursor, until, page)
            if rows is None:
                return False
            events = [(seq, wire_messages(payload)) for seq, payload in rows]
        if not events:
            break
        for seq, texts in events:
            # Past half the buffer, wait for the client to read (a page may outweigh the whole
            # buffer): memory stays bounded, and a client that does not read is closed (4008).
            if not client.has_room:
                await client.wait_room(timeout)
            client.push_event(seq, texts, replay=True)
        cursor = events[-1][0]
    return True


async def _resume(ws: WebSocket, client: FeedClient, since: int, until: int, stale: bool) -> None:
    if stale or not await _replay(ws, client, since, until):
        client.reset(until)
    client.finish_replay()


async def _sender(ws: WebSocket, client: FeedClient) -> None:
    # With a sink the hub's flush writes the frames: this only waits for the close (next() raises).
    while True:
        await ws.send_text(await client.next())


async def _close(ws: WebSocket, client: FeedClient, error: FeedClosed, timeout: float) -> None:
    """Send the close frame, bounded: a peer that never reads (a frozen desktop) would hold it forever."""
    try:
        await asyncio.wait_for(ws.close(code=error.code, reason=error.reason), timeout)
    except TimeoutError:
        log.info("feed client did not take its close frame in %s s; connection aborted", timeout)
        if client.sink is not None:
            client.sink.transport.abort()


async def _pinger(client: FeedClient, interval: float, timeout: float, seen: list[float]) -> None:
    while True:
        await asyncio.sleep(interval)
        if time.monotonic() - seen[0] > timeout:
            raise FeedClosed(CLOSE_TIMEOUT, "timeout")
        client.push(PING_MESSAGE)


async def _expiry(client: FeedClient, principal: Principal) -> None:
    """Close the socket when its token expires (the client keeps a socket open for days)."""
    await asyncio.sleep(max(0.0, principal.expires_at + TOKEN_LEEWAY_S - time.time()))
    client.close(CLOSE_POLICY, "token_expired")


def _on_message(ws: WebSocket, client: FeedClient, token: str, message: dict[str, Any]) -> str | None:
    """Handle one parsed client message; returns a broadcast to relay, if any."""
    state = ws.app.state.sgp
    type_ = message.get("type")
    if type_ == "ping":
        client.push(PONG_MESSAGE)
    elif type_ == "authenticate":
        # Sent after every open with the same token as the URL: confirm, or end a socket whose
        # token no longer holds (the client then stops reconnecting until a new login).
        other = message.get("token")
        try:
            principal = state.auth.authenticate(other if isinstance(other, str) and other else token)
        except ApiError as exc:
            client.close(CLOSE_POLICY, exc.code)
            return None
        if principal.id != client.user_id:
            client.close(CLOSE_POLICY, "token_mismatch")
            return None
        client.push(_encode({"type": "authenticated", "user_id": client.user_id, "username": client.username}).decode())
    elif message.get("broadcast") is True:
        relayed = sanitize_broadcast(message, client.user_id, client.username)
        if relayed is None:
            client.push(_error("broadcast_refused"))
        return relayed
    return None  # pongs and anything else: ignored, as the old server did


async def _receiver(ws: WebSocket, client: FeedClient, token: str, seen: list[float]) -> None:
    settings = ws.app.state.sgp.settings
    hub = ws.app.state.sgp.hub
    allowance, last = settings.ws_broadcast_per_s, time.monotonic()
    while True:
        text = await ws.receive_text()
        now = time.monotonic()
        seen[0] = now
        # Bounds first, before any parsing: size, then nesting (a deep message must not cost recursion).
        if len(text) > settings.ws_broadcast_max_bytes:
            client.push(_error("message_too_large"))
            continue
        if text.strip() in ('"ping"', "ping"):
            client.push(PONG_MESSAGE)
            continue
        if exceeds_depth(text, settings.ws_message_max_depth):
            client.push(_error("message_too_deep"))
            continue
        try:
            message = _decode(text)
        except msgspec.DecodeError:
            continue
        if not isinstance(message, dict):
            continue
        relayed = _on_message(ws, client, token, message)
        if relayed is None:
            continue
        # Token bucket: a chatty client cannot flood everyone else.
        allowance = min(settings.ws_broadcast_per_s, allowance + (now - last) * settings.ws_broadcast_per_s)
        last = now
        if allowance < 1:
            client.push(_error("rate_limited"))
            continue
        allowance -= 1
        hub.relay(client, relayed)


@router.websocket("/ws/orders")
async def orders_feed(
    ws: WebSocket, token: str | None = None, since: int | None = None, epoch: str | None = None
) -> None:
    """Every committed order change, in seq order; `since=SEQ` resumes without gaps."""
    state = ws.app.state.sgp
    expose_ws_transport()  # once per process: hypercorn then leaves the socket's sink in the scope
    raw_token = _token(ws, token) or ""
    try:
        principal = state.auth.authenticate(raw_token)
    except ApiError as exc:
        # Accept, then close with 1008: browsers see a close code, never a failed handshake's status.
        await ws.accept()
        await ws.close(code=CLOSE_POLICY, reason=exc.code)
        return
    await ws.accept()
    hub, settings = state.hub, state.settings
    client = FeedClient(settings.ws_buffer_bytes, principal, raw_sink(ws.scope))
    resuming = since is not None
    client.replaying = resuming
    # Registered before the replay: live events are held behind it, none lost, none twice.
    boundary = hub.add(client)
    tasks: list[asyncio.Task[None]] = []
    try:
        hello = _encode({"type": "hello", "epoch": hub.epoch, "seq": boundary, "worker": hub.worker}).decode()
        if client.sink is not None:
            client.push(hello)  # first in its frames, before any event (no await since hub.add)
        else:
            await ws.send_text(hello)
        seen = [time.monotonic()]
        tasks = [
            asyncio.create_task(_sender(ws, client)),
            asyncio.create_task(_receiver(ws, client, raw_token, seen)),
            asyncio.create_task(_pinger(client, settings.ws_ping_interval_s, settings.ws_timeout_s, seen)),
            asyncio.create_task(_expiry(client, principal)),
        ]
        if resuming:
            assert since is not None
            stale = (epoch is not None and epoch != hub.epoch) or since > boundary or since < 0
            client.last_seq = boundary if stale else since
            tasks.append(asyncio.create_task(_resume(ws, client, since, boundary, stale)))
        # The session may have ended between the check above and the registration.
        ended = state.auth.ended(principal)
        if ended is not None:
            client.close(CLOSE_POLICY, ended)
        pending = set(tasks)
        while pending:
            # The resume and the expiry timer may finish normally; the others end only by an exception.
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            error = next((task.exception() for task in done if task.exception() is not None), None)
            if error is None:
                continue
            if isinstance(error, FeedClosed):
                if error.code != CLOSE_POLICY:
                    log.info("closing feed client of %s: %s", principal.username, error.reason)
                await _close(ws, client, error, state.settings.ws_timeout_s)
            break
    except (WebSocketDisconnect, RuntimeError, ConnectionError):
        pass
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        hub.remove(client)
