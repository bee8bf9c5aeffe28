"""The order feed's wire format: what a client receives for each event, and what it may send.

The event log keeps each change once, with the order exactly as the REST API returns
it; `wire_messages` turns a logged event into the message(s) the SGP desktop client
handles (src/lib/realtimeOrders.ts, hooks/useOrderEvents.ts, hooks/useEditingTracker.ts):
who made the change at the root and inside `order`, and on a status change the old
server's pair `order_updated` + `order_status_updated`. It runs once per event per
worker, never per client.
"""

from __future__ import annotations

from typing import Any, TypeGuard

import msgspec

__all__ = [
    "wire_messages",
    "text_frame",
    "frames_of",
    "addressee",
    "exceeds_depth",
    "sanitize_broadcast",
    "BROADCAST_TYPES",
    "RESET_MESSAGE",
    "PONG_MESSAGE",
    "PING_MESSAGE",
]

RESET_MESSAGE = '{"type":"reset"}'
PONG_MESSAGE = '{"type":"pong"}'
PING_MESSAGE = '{"type":"ping"}'

# The broadcasts the desktop client sends (realtimeOrders.ts broadcastOrder*, sendTestBroadcast);
# anything else is refused rather than relayed to every desktop of the shop.
BROADCAST_TYPES = frozenset({"order_created", "order_updated", "order_status_updated", "order_deleted"})
# Text fields of the client's test broadcast, kept when short.
_BROADCAST_TEXT = ("order_numero", "details")
_BROADCAST_TEXT_MAX = 200
_MAX_SAFE_INT = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER: the client reads ids as numbers

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(dict[str, Any]).decode


def _text(message: dict[str, Any]) -> str:
    return _encode(message).decode()


# The writer logs a status or flag change as `order_status_updated`; releases before it
# logged `order_status_changed`, which a resume may still replay from the event log.
_STATUS_TYPES = frozenset({"order_status_updated", "order_status_changed"})


# A message for one user only (writer/commands/notificacoes.py): its text starts with this, then the user's id,
# so each client tells its own in O(1) instead of parsing every event.
_ADDRESSED_PREFIX = '{"type":"designer_art_ready","user_id":'


def addressee(text: str) -> int | None:
    """The one user an event message is for (a designer notification), or None: for everyone."""
    if not text.startswith(_ADDRESSED_PREFIX):
        return None
    start = len(_ADDRESSED_PREFIX)
    end = text.find(",", start)
    try:
        return int(text[start:end])
    except ValueError:
        return None


def wire_messages(payload: bytes) -> tuple[str, ...]:
    """The message(s) feed clients receive for one logged event (same `seq` on each)."""
    message = _decode(payload)
    if message.get("type") == "designer_art_ready":
        # `user_id` is the recipient here (not an actor): put it where `addressee` reads it.
        return (_text({"type": message["type"], "user_id": message.get("user_id"), **message}),)
    user = message.get("user")
    if isinstance(user, dict) and message.get("user_id") is None:
        # Events logged before the root fields existed carry only `user`.
        message["user_id"], message["username"] = user.get("id"), user.get("username")
    order = message.get("order")
    if isinstance(order, dict) and message.get("user_id") is not None:
        # The editing tracker reads `order.user_id` / `order.username` ("being edited by ...").
        order["user_id"], order["username"] = message["user_id"], message.get("username")
    if message.get("type") in _STATUS_TYPES:
        # The old server sent both; the client refetches on either and toasts the status on the second.
        return _text({**message, "type": "order_updated"}), _text({**message, "type": "order_status_updated"})
    return (_text(message),)


def text_frame(text: str) -> bytes:
    """`text` as one final, unmasked WebSocket text frame (RFC 6455 §5.2), as a server sends it."""
    data = text.encode()
    size = len(data)
    if size < 126:
        return bytes((0x81, size)) + data
    if size < 1 << 16:
        return bytes((0x81, 126)) + size.to_bytes(2, "big") + data
    return bytes((0x81, 127)) + size.to_bytes(8, "big") + data


def frames_of(texts: tuple[str, ...]) -> bytes:
    """An event's message(s) framed back to back: each stays its own WebSocket message."""
    return b"".join(map(text_frame, texts))


def exceeds_depth(text: str, limit: int) -> bool:
    """True when the JSON text nests arrays/objects deeper than `limit` (checked before any parsing)."""
    if text.count("[") + text.count("{") <= limit:
        return False  # cannot be deeper than the number of openers
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def sanitize_broadcast(message: dict[str, Any], user_id: int, username: str) -> str | None:
    """The relayed copy of a client broadcast, or None when it is refused.

    Only the client's broadcast types and fields pass: never `seq`, `order`, `user` or
    anything else that could make it look like a committed event. The sender is the
    socket's user, set here; `relayed: true` marks it as a client's word, not the database's.
    """
    type_ = message.get("type")
    order_id = message.get("order_id")
    if type_ not in BROADCAST_TYPES or not _is_int(order_id) or not 0 <= order_id <= _MAX_SAFE_INT:
        return None
    out: dict[str, Any] = {"type": type_, "order_id": order_id}
    timestamp = message.get("timestamp")
    if (_is_int(timestamp) or isinstance(timestamp, float)) and 0 <= timestamp <= _MAX_SAFE_INT:
        out["timestamp"] = timestamp
    for key in _BROADCAST_TEXT:
        value = message.get(key)
        if isinstance(value, str) and len(value) <= _BROADCAST_TEXT_MAX:
            out[key] = value
    out.update(user_id=user_id, username=username, relayed=True)
    return _text(out)
