"""What every handler works with: the writer's counters, the command context (emitting events), the outcome."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ipc.protocol import Actor, Event, RevokedToken, UserValidity

from .. import event_log

__all__ = ["Sequences", "Context", "Outcome"]


@dataclass
class Sequences:
    """Counters only the writer advances; restored when a command or batch rolls back."""

    last_seq: int
    last_pedido_id: int

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> Sequences:
        """The counters as the database holds them (the writer at start, the CLI's offline writes)."""
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'pedidos'").fetchone()
        # Drafts take their ids from the same sequence (the client edits one at /pedidos/{id}).
        last_id = max(
            row[0] if row else 0,
            conn.execute("SELECT coalesce(max(id), 0) FROM pedidos").fetchone()[0],
            conn.execute("SELECT coalesce(max(id), 0) FROM pedido_rascunhos").fetchone()[0],
        )
        return cls(last_seq=event_log.last_seq(conn), last_pedido_id=last_id)

    def copy(self) -> Sequences:
        """A snapshot to restore after a rollback."""
        return Sequences(self.last_seq, self.last_pedido_id)

    def restore(self, other: Sequences) -> None:
        self.last_seq, self.last_pedido_id = other.last_seq, other.last_pedido_id


class _EventMessage(msgspec.Struct, omit_defaults=True):
    """The JSON message feed clients receive (field names SGP clients read).

    `user_id`/`username` at the root are where the desktop client reads who made the
    change (the old server's shape); `user` is ours. Each API worker adds the rest of the
    desktop client's shape once per event (the actor inside `order`, the old server's
    second message on a status change: api/feed_wire.py `wire_messages`), so the log
    keeps the order exactly as the REST API returns it.
    """

    type: str
    seq: int
    order_id: int | None
    at: str
    user_id: int | None = None
    username: str | None = None
    user: Actor | None = None
    order: msgspec.Raw | None = None
    ficha_id: int | None = None
    ficha: msgspec.Raw | None = None
    resource: str | None = None  # catalog events: the family ("vendedores"), its record id and JSON
    record_id: int | None = None
    record: msgspec.Raw | None = None


_json = msgspec.json.Encoder()


@dataclass
class Context:
    """What a handler needs besides its command: time, actor, counters, emitted events."""

    conn: sqlite3.Connection
    now: str  # ISO-8601 UTC, stored in rows and events
    now_ts: float
    actor: Actor | None
    seqs: Sequences
    events: list[Event] = field(default_factory=list)
    auth_users: list[UserValidity] = field(default_factory=list)
    auth_revoked: list[RevokedToken] = field(default_factory=list)

    def emit(
        self,
        type_: str,
        order_id: int | None,
        order_json: bytes | None,
        *,
        ficha_id: int | None = None,
        ficha_json: bytes | None = None,
        resource: str | None = None,
        record_id: int | None = None,
        record_json: bytes | None = None,
    ) -> int:
        """Append an event to the log (same transaction) and return its seq."""
        seq = self.seqs.last_seq + 1
        payload = _json.encode(
            _EventMessage(
                type=type_,
                seq=seq,
                order_id=order_id,
                at=self.now,
                user_id=self.actor.id if self.actor is not None else None,
                username=self.actor.username if self.actor is not None else None,
                user=self.actor,
                order=msgspec.Raw(order_json) if order_json is not None else None,
                ficha_id=ficha_id,
                ficha=msgspec.Raw(ficha_json) if ficha_json is not None else None,
                resource=resource,
                record_id=record_id,
                record=msgspec.Raw(record_json) if record_json is not None else None,
            )
        )
        event_log.append(self.conn, seq, type_, order_id, self.now_ts, payload)
        self.seqs.last_seq = seq
        self.events.append(Event(seq=seq, type=type_, order_id=order_id, payload=payload))
        return seq

    def emit_message(self, type_: str, order_id: int | None, fields: dict[str, Any]) -> int:
        """Append an event whose message carries `fields` beside type/seq/order_id/at (e.g. designer_art_ready)."""
        seq = self.seqs.last_seq + 1
        message = {**fields, "type": type_, "seq": seq, "order_id": order_id, "at": self.now}
        payload = _json.encode(message)
        event_log.append(self.conn, seq, type_, order_id, self.now_ts, payload)
        self.seqs.last_seq = seq
        self.events.append(Event(seq=seq, type=type_, order_id=order_id, payload=payload))
        return seq


@dataclass
class Outcome:
    """A committed command's answer: HTTP status, JSON body and the last event seq."""

    status: int
    body: bytes
    seq: int | None
