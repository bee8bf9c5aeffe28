"""One feed client's buffer during a resume, and the feed's wire helpers (no server needed)."""

from __future__ import annotations

import asyncio
import json

import pytest

from api.auth import Principal
from api.feed import CLOSE_POLICY, CLOSE_SLOW_CONSUMER, FeedClient, FeedClosed, FeedHub
from api.feed_wire import exceeds_depth, sanitize_broadcast, wire_messages

PRINCIPAL = Principal(id=3, username="ana", is_admin=False, jti="j", expires_at=2**40, issued_at=1.0)


def event(seq: int, size: int = 10) -> tuple[int, tuple[str, ...]]:
    return seq, (json.dumps({"seq": seq, "pad": "x" * size}),)


def drain(client: FeedClient) -> list[int]:
    async def go() -> list[int]:
        out = []
        while not client.queue.empty():
            out.append(json.loads(await client.next())["seq"])
        return out

    return asyncio.run(go())


def test_live_events_wait_behind_the_replay_in_order_without_duplicates() -> None:
    client = FeedClient(10_000, PRINCIPAL)
    client.replaying, client.last_seq = True, 0
    client.push_event(*event(6))  # live, while replaying: held back
    client.push_event(*event(7))
    for seq in range(1, 7):
        client.push_event(*event(seq), replay=True)  # the replay reaches 6 as well
    client.finish_replay()
    client.push_event(*event(7))  # a duplicate from the ring: dropped
    client.push_event(*event(8))
    assert drain(client) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert client.buffered == 0


def test_a_replay_that_is_not_read_overflows_into_a_slow_consumer_close() -> None:
    client = FeedClient(1_000, PRINCIPAL)
    client.replaying = True
    for seq in range(1, 20):
        client.push_event(*event(seq, size=100), replay=True)
    assert client.closing is not None and client.closing.code == CLOSE_SLOW_CONSUMER

    async def waits() -> None:
        await client.wait_room(1.0)

    with pytest.raises(FeedClosed):
        asyncio.run(waits())


def test_wait_room_times_out_into_a_close_when_the_client_does_not_read() -> None:
    client = FeedClient(1_000, PRINCIPAL)
    client.push_event(*event(1, size=600))  # over half the buffer

    async def waits() -> None:
        await client.wait_room(0.05)

    with pytest.raises(FeedClosed) as closed:
        asyncio.run(waits())
    assert closed.value.code == CLOSE_SLOW_CONSUMER


def test_revalidate_closes_only_ended_sessions_with_their_reason() -> None:
    hub = FeedHub()
    kept, ended = FeedClient(1_000, PRINCIPAL), FeedClient(1_000, Principal(4, "bia", False, "k", 2**40))
    hub.add(kept)
    hub.add(ended)
    hub.revalidate(lambda p: "user_inactive" if p.id == 4 else None)
    assert kept.closing is None
    assert ended.closing is not None and (ended.closing.code, ended.closing.reason) == (CLOSE_POLICY, "user_inactive")


def test_ring_pages_are_bounded() -> None:
    hub = FeedHub()
    for seq in range(1, 101):
        hub.ring.append(event(seq))
    page = hub.from_ring(10, 100, 7)
    assert page is not None and [seq for seq, _ in page] == list(range(11, 18))
    assert hub.from_ring(95, 100, 50) is not None and len(hub.from_ring(95, 100, 50) or []) == 5


@pytest.mark.parametrize("logged", ["order_status_updated", "order_status_changed"])
def test_a_status_change_becomes_the_old_servers_pair_with_the_actor_inside_the_order(logged: str) -> None:
    payload = json.dumps(
        {
            "type": logged,
            "seq": 9,
            "order_id": 4,
            "at": "t",
            "user_id": 3,
            "username": "ana",
            "user": {"id": 3, "username": "ana"},
            "order": {"id": 4, "status": "pronto"},
        }
    ).encode()
    first, second = (json.loads(text) for text in wire_messages(payload))
    assert (first["type"], second["type"]) == ("order_updated", "order_status_updated")
    assert first["seq"] == second["seq"] == 9
    assert second["order"] == {"id": 4, "status": "pronto", "user_id": 3, "username": "ana"}


def test_events_logged_before_the_root_fields_get_them_from_user() -> None:
    payload = json.dumps(
        {
            "type": "order_created",
            "seq": 1,
            "order_id": 4,
            "at": "t",
            "user": {"id": 3, "username": "ana"},
            "order": {"id": 4},
        }
    ).encode()
    (only,) = (json.loads(text) for text in wire_messages(payload))
    assert (only["user_id"], only["username"], only["order"]["user_id"]) == (3, "ana", 3)


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("[" * 8000, True),
        ('{"a":[[[1]]]}', False),
        ('"[[[[[[[[[[[["', False),
        ('{"a":"\\"[[[[[[[[[["}', False),
        ("[" * 9 + "]" * 9, True),
        ("[" * 8 + "]" * 8, False),
    ],
)
def test_depth_is_measured_outside_strings(text: str, deep: bool) -> None:
    assert exceeds_depth(text, 8) is deep


@pytest.mark.parametrize(
    "message",
    [
        {"type": "reset", "order_id": 1},
        {"type": "order_updated", "order_id": "1"},
        {"type": "order_updated", "order_id": True},
        {"type": "order_updated"},
        {"type": "hello", "order_id": 1},
    ],
)
def test_broadcasts_outside_the_clients_shapes_are_refused(message: dict) -> None:
    assert sanitize_broadcast(message, 3, "ana") is None


def test_a_pushed_revocation_tells_the_watchers_and_names_the_reason() -> None:
    from api.auth import Authenticator
    from core.accounts import INACTIVE_VALID_AFTER
    from core.settings import Settings
    from ipc.protocol import AuthChanged, RevokedToken, UserValidity

    auth = Authenticator(Settings(), b"s" * 32)
    calls: list[int] = []
    auth.watchers.add(lambda: calls.append(1))
    ana = Principal(id=3, username="ana", is_admin=False, jti="j3", expires_at=2**40, issued_at=10.0)
    bia = Principal(id=4, username="bia", is_admin=False, jti="j4", expires_at=2**40, issued_at=10.0)
    old = Principal(id=5, username="caio", is_admin=False, jti="j5", expires_at=100, issued_at=10.0)
    assert auth.ended(ana) is None and auth.ended(old) == "token_expired"
    auth.apply(
        AuthChanged(
            users=[UserValidity(user_id=4, valid_after=INACTIVE_VALID_AFTER)],
            revoked=[RevokedToken(jti="j3", expires_at=float(2**40))],
        )
    )
    assert calls == [1]
    assert (auth.ended(ana), auth.ended(bia)) == ("token_revoked", "user_inactive")


def test_the_ring_is_bounded_in_bytes_and_older_resumes_go_to_the_log() -> None:
    """Large documents changed in a loop must not grow the worker (issue #15: 138 MB for 40 patches)."""
    from ipc.protocol import Event, Events

    hub = FeedHub(ring_bytes=100_000)
    big = "x" * 30_000
    for seq in range(1, 41):
        payload = json.dumps({"type": "order_updated", "seq": seq, "order_id": 1, "order": {"id": 1, "obs": big}})
        hub.on_events(Events(events=[Event(seq=seq, type="order_updated", order_id=1, payload=payload.encode())]))
    held = sum(len(text) for _, texts in hub.ring for text in texts)
    assert held <= 100_000 and len(hub.ring) == 3
    assert [seq for seq, _ in hub.ring] == [38, 39, 40]
    assert hub.from_ring(30, 40, 50) is None  # evicted: the resume reads the event log
    assert [seq for seq, _ in hub.from_ring(38, 40, 50) or []] == [39, 40]


class MemorySink:
    """A sink that keeps what the hub writes (each write's bytes) and reports a settable backlog."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.extra_backlog = 0

    def write(self, data: bytes) -> bool:
        self.writes.append(data)
        if self.extra_backlog:  # a stalled socket: what is written stays in the backlog
            self.extra_backlog += len(data)
        return True

    def backlog(self) -> int:
        return self.extra_backlog

    async def writable(self, timeout: float) -> None:
        await asyncio.sleep(min(0.01, timeout))


def messages_of(stream: bytes) -> list[str]:
    """What a WebSocket client reads from these server bytes: one text per message (wsproto parses)."""
    from wsproto.connection import Connection, ConnectionType
    from wsproto.events import TextMessage

    conn = Connection(ConnectionType.CLIENT)
    conn.receive_data(stream)
    out: list[str] = []
    for ev in conn.events():
        assert isinstance(ev, TextMessage) and ev.frame_finished and ev.message_finished
        out.append(ev.data)
    return out


def sink_client(
    hub: FeedHub, principal: Principal = PRINCIPAL, max_bytes: int = 1 << 20
) -> tuple[FeedClient, MemorySink]:
    sink = MemorySink()
    client = FeedClient(max_bytes, principal, sink)  # type: ignore[arg-type]
    hub.add(client)
    return client, sink


def status_event(seq: int) -> bytes:
    return json.dumps(
        {"type": "order_status_updated", "seq": seq, "order_id": seq, "at": "t", "user_id": 3, "order": {"id": seq}}
    ).encode()


def test_sink_clients_get_each_turns_events_in_one_write_as_separate_identical_messages() -> None:
    """Many events in a loop turn: one write per client, each message its own frame, same text as the queue path."""
    from ipc.protocol import Event, Events

    async def go() -> tuple[list[MemorySink], FeedClient, list[str]]:
        hub = FeedHub()
        sinks = [sink_client(hub)[1] for _ in range(5)]
        queued = FeedClient(1 << 20, PRINCIPAL)
        hub.add(queued)  # the per-message path, for comparison
        for first in (1, 4, 9):  # three IPC messages in one turn
            payloads = [(s, status_event(s) if s % 2 else json.dumps({"type": "order_created", "seq": s}).encode())
                        for s in range(first, first + 3)]  # fmt: skip
            hub.on_events(Events(events=[Event(seq=s, type="x", order_id=s, payload=p) for s, p in payloads]))
        await asyncio.sleep(0)  # the flush runs once, in the next turn
        await asyncio.sleep(0)
        texts = []
        while not queued.queue.empty():
            texts.append(await queued.next())
        return sinks, queued, texts

    sinks, _, texts = asyncio.run(go())
    assert len(texts) == 9 + 5  # 5 odd seqs are status pairs
    for sink in sinks:
        assert len(sink.writes) == 1
        assert messages_of(sink.writes[0]) == texts


def test_sink_order_and_completeness_across_turns_with_many_clients() -> None:
    """200 seqs in 40 turns of 5 to 50 clients: each client reads every seq exactly once, in order."""
    from ipc.protocol import Event, Events

    async def go() -> list[MemorySink]:
        hub = FeedHub()
        sinks = [sink_client(hub)[1] for _ in range(50)]
        for turn in range(40):
            events = [Event(seq=s, type="x", order_id=s, payload=json.dumps({"type": "order_updated", "seq": s}).encode())
                      for s in range(turn * 5 + 1, turn * 5 + 6)]  # fmt: skip
            hub.on_events(Events(events=events[:3]))
            hub.on_events(Events(events=events[1:]))  # overlapping redelivery: dropped by seq
            await asyncio.sleep(0)
        await asyncio.sleep(0)
        return sinks

    for sink in asyncio.run(go()):
        assert len(sink.writes) <= 40
        assert [json.loads(text)["seq"] for text in messages_of(b"".join(sink.writes))] == list(range(1, 201))


def test_a_sink_client_whose_backlog_overflows_is_closed_as_a_slow_consumer() -> None:
    from ipc.protocol import Event, Events

    async def go() -> tuple[FeedClient, FeedClient]:
        hub = FeedHub()
        slow, slow_sink = sink_client(hub, max_bytes=10_000)
        fine, _ = sink_client(hub, max_bytes=10_000)
        slow_sink.extra_backlog = 9_000  # the kernel stopped taking this socket's bytes
        hub.on_events(Events(events=[Event(seq=1, type="x", order_id=1, payload=json.dumps({"type": "order_updated", "pad": "x" * 2000}).encode())]))  # fmt: skip
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return slow, fine

    slow, fine = asyncio.run(go())
    assert slow.closing is not None and slow.closing.code == CLOSE_SLOW_CONSUMER
    assert fine.closing is None


def test_a_sink_replay_waits_for_room_and_closes_a_client_that_does_not_read() -> None:
    async def go() -> FeedClosed:
        hub = FeedHub()
        client, sink = sink_client(hub, max_bytes=1_000)
        client.replaying = True
        client.push_event(*event(1, size=100), replay=True)
        assert client.has_room
        sink.extra_backlog = 600  # over half the buffer, and it never drains
        assert not client.has_room
        with pytest.raises(FeedClosed) as closed:
            await client.wait_room(0.05)
        return closed.value

    assert asyncio.run(go()).code == CLOSE_SLOW_CONSUMER


def test_sink_live_events_wait_behind_the_replay_and_addressed_ones_reach_only_their_user() -> None:
    async def go() -> list[str]:
        hub = FeedHub()
        client, sink = sink_client(hub)
        client.replaying, client.last_seq = True, 0
        client.push_event(*event(3))  # live, held
        for seq in (1, 2, 3):
            client.push_event(*event(seq), replay=True)
        client.push_event(4, ('{"type":"designer_art_ready","user_id":99,"seq":4}',))  # someone else's
        client.finish_replay()
        client.push_event(5, ('{"type":"designer_art_ready","user_id":3,"seq":5}',))  # ours
        await asyncio.sleep(0)
        return messages_of(b"".join(sink.writes))

    assert [json.loads(text)["seq"] for text in asyncio.run(go())] == [1, 2, 3, 5]


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70000])
def test_text_frames_parse_back_to_the_same_text_at_every_length_boundary(size: int) -> None:
    from api.feed_wire import text_frame

    text = "é" * (size // 2) + "x" * (size % 2)
    assert messages_of(text_frame(text)) == ([text] if text else [""])


def test_a_sink_backlog_that_drained_since_the_last_flush_does_not_close_the_client() -> None:
    async def go() -> FeedClient:
        hub = FeedHub()
        client, sink = sink_client(hub, max_bytes=10_000)
        sink.extra_backlog = 8_000
        client.push_event(*event(1, size=10))
        await asyncio.sleep(0)  # flushed: 8 000 B + this event still unsent
        sink.extra_backlog = 0  # then the client read everything
        client.push_event(*event(2, size=3_000))
        return client

    client = asyncio.run(go())
    assert client.closing is None


def test_raw_sink_writes_whole_frames_and_refuses_once_the_connection_ends() -> None:
    import socket

    from api.feed_wire import text_frame
    from api.ws_fast import RawSink

    async def go() -> tuple[list[str], list[bool]]:
        ours, theirs = socket.socketpair()
        _, writer = await asyncio.open_connection(sock=ours)
        sink = RawSink(writer)
        results = [sink.write(text_frame("um") + text_frame('{"b":2}'))]
        await writer.drain()
        theirs.settimeout(5)
        got = theirs.recv(1024)
        writer.write_eof()
        results.append(sink.write(text_frame("after eof")))
        writer.close()
        results.append(sink.write(text_frame("after close")))
        await writer.wait_closed()
        theirs.close()
        return messages_of(got), results

    messages, results = asyncio.run(go())
    assert messages == ["um", '{"b":2}']
    assert results == [True, False, False]


class BrokenSink(MemorySink):
    """A sink whose write raises (nothing in the real sink does today; the hub must survive it anyway)."""

    def write(self, data: bytes) -> bool:
        raise OSError("boom")


def test_one_failing_flush_closes_that_client_and_the_others_of_the_turn_still_get_their_frames() -> None:
    from ipc.protocol import Event, Events

    async def go() -> tuple[list[MemorySink], FeedClient]:
        hub = FeedHub()
        first = sink_client(hub)[1]
        broken = FeedClient(1 << 20, PRINCIPAL, BrokenSink())  # type: ignore[arg-type]
        hub.add(broken)
        last = sink_client(hub)[1]
        payload = json.dumps({"type": "order_updated", "seq": 1}).encode()
        hub.on_events(Events(events=[Event(seq=1, type="x", order_id=1, payload=payload)]))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return [first, last], broken

    sinks, broken = asyncio.run(go())
    for sink in sinks:
        assert [json.loads(text)["seq"] for text in messages_of(b"".join(sink.writes))] == [1]
    assert broken.closing is not None and broken.closing.code == CLOSE_SLOW_CONSUMER


def test_a_close_frame_the_peer_never_takes_ends_in_an_abort() -> None:
    """A frozen desktop that stops reading: the 4008 close cannot be written, so the connection is aborted."""
    from api.routes.ws import _close

    class Transport:
        aborted = False

        def abort(self) -> None:
            self.aborted = True

    class StuckSink(MemorySink):
        transport = Transport()

    class StuckSocket:
        async def close(self, code: int, reason: str) -> None:
            await asyncio.Event().wait()  # hypercorn's drain() behind a full kernel buffer

    sink = StuckSink()
    client = FeedClient(1 << 20, PRINCIPAL, sink)  # type: ignore[arg-type]
    asyncio.run(_close(StuckSocket(), client, FeedClosed(CLOSE_SLOW_CONSUMER, "slow consumer"), 0.05))  # type: ignore[arg-type]
    assert sink.transport.aborted
