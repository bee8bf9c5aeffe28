"""The writer's server: IPC connections, batcher, event publication, maintenance, shutdown (writer/process.py runs it)."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import sqlite3
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import msgspec

from core.passwords import hash_password
from core.settings import Settings
from ipc.framing import (
    Address,
    FrameError,
    read_address_file,
    read_message,
    server_handshake,
    write_address_file,
)
from ipc.protocol import AuthChanged, Broadcast, Call, Event, Fail, GetStats, Ok, Ping, Reset, Subscribe, Welcome

from . import event_log, schema
from .batcher import Batcher
from .commands import Sequences, users
from .maintenance import Maintenance
from .ops import OPS_COMMANDS, WriterOps
from .peers import Peer
from .stats import WriterHealth, writer_stats
from .wal_guard import WalGuard, checkpoint_everything

__all__ = ["WriterServer", "FATAL_EXIT_CODE", "WAL_LOST_EXIT_CODE"]

log = logging.getLogger("sgp.writer")

# The heartbeat is answered only while the batcher finishes work within this long
# (at least; three write deadlines when those are longer): a wedged batcher is
# then killed and restarted by the supervisor like a hung writer.
_MIN_STALL_S = 5.0
# Exit code of a writer (or worker) that ended itself because a vital task died.
FATAL_EXIT_CODE = 70
# Exit code of a writer that stopped itself because its WAL was deleted (healed: restart it).
WAL_LOST_EXIT_CODE = 75

_REPLAY_CHUNK = 500


class WriterServer:
    """Everything the writer process runs, started and stopped as one."""

    def __init__(self, settings: Settings, secret: str, *, restarts: int = 0, crash_loop: bool = False) -> None:
        self.settings = settings
        self.secret = secret
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self.started_at = time.time()
        self.epoch = ""
        self.indexes: dict[str, str] = {}
        self.restarts = restarts
        self.crash_loop = crash_loop
        self._peers: set[Peer] = set()
        self._server: asyncio.AbstractServer | None = None
        self._conn: sqlite3.Connection | None = None
        self.batcher: Batcher | None = None
        self.maintenance: Maintenance | None = None
        self.ops = WriterOps(settings, self._stats)
        self._tasks: list[asyncio.Task[Any]] = []
        # Connections that have not presented the secret yet: bounded, so a local
        # process opening thousands of them cannot exhaust the writer's file descriptors.
        self._unauthenticated = 0
        # Set when a task the writer cannot run without has died; _serve then exits non-zero.
        self.fatal: BaseException | None = None
        self.refused_connections = 0
        self.wal_guard = WalGuard(settings.db_path)
        # Set when the writer must stop and be restarted (its WAL was deleted): _serve's exit code.
        self.restart_code: int | None = None

    async def _in_thread(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def _open(self) -> tuple[sqlite3.Connection, Sequences]:
        s = self.settings
        conn = schema.open_write_connection(
            s.db_path, synchronous=s.synchronous, journal_size_limit=s.journal_size_limit_bytes
        )
        schema.migrate(conn)
        self.indexes = schema.ensure_indexes(conn)
        _bootstrap_admin(conn, s)
        self.wal_guard.arm()
        self.epoch = conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()[0]
        return conn, Sequences.load(conn)

    async def start(self) -> Address:
        """Open the database, start the batcher and the IPC listener, publish the address."""
        s = self.settings
        s.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._conn, seqs = await self._in_thread(self._open)
        self.batcher = Batcher(
            self._conn,
            self.executor,
            seqs,
            capacity=s.queue_capacity,
            max_batch=s.max_batch,
            idempotency_ttl_s=s.idempotency_ttl_s,
            slow_batch_ms=s.slow_batch_ms,
            on_events=self._publish,
            on_auth=self._publish_auth,
        )
        self.batcher.on_commit = self.ops.metrics.observe_batch
        self.maintenance = Maintenance(
            self._conn,
            settings=s,
            executor=self.executor,
            batcher=self.batcher,
            wal_guard=self.wal_guard,
            on_wal_unlinked=self.heal_unlinked_wal,
        )
        batcher_task = asyncio.create_task(self.batcher.run(), name="batcher")
        batcher_task.add_done_callback(self._batcher_ended)
        self._tasks.append(batcher_task)
        self._tasks.append(asyncio.create_task(self.maintenance.run(), name="maintenance"))
        self._tasks.append(asyncio.create_task(self.ops.sync_metrics_forever(), name="metrics"))
        if s.ipc == "unix":
            sock_path = s.data_dir / "writer.sock"
            sock_path.unlink(missing_ok=True)
            self._server = await asyncio.start_unix_server(self._handle, path=str(sock_path))
            os.chmod(sock_path, 0o600)
            address = Address("unix", "", 0, str(sock_path), self.secret, os.getpid())
        else:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            port = self._server.sockets[0].getsockname()[1]
            address = Address("tcp", "127.0.0.1", port, "", self.secret, os.getpid())
        write_address_file(s.writer_address_file, address)
        log.info("writer ready on %s (epoch %s, last seq %d)", _describe(address), self.epoch, seqs.last_seq)
        return address

    def _batcher_ended(self, task: asyncio.Task[Any]) -> None:
        """The batcher only ends at stop(); ending otherwise leaves every write waiting: fatal."""
        if task.cancelled() or (self.batcher is not None and self.batcher._closed and task.exception() is None):
            return
        exc = task.exception()
        log.critical("the batcher stopped unexpectedly (%r); the writer exits so the supervisor restarts it", exc)
        self.fatal = exc or RuntimeError("the batcher returned")

    def batcher_alive(self) -> bool:
        """True while the batcher task runs and finishes the work it has (the heartbeat's answer)."""
        if self.batcher is None or self.fatal is not None or self._tasks[0].done():
            return False
        return self.batcher.stalled_for() < max(_MIN_STALL_S, 3 * self.settings.write_deadline_s)

    async def stop(self) -> None:
        """Refuse new work, commit what is queued, checkpoint and close."""
        if self._server is not None:
            self._server.close()
        if self.batcher is not None:
            await self.batcher.close()
            await asyncio.gather(self._tasks[0], return_exceptions=True)
        for task in self._tasks[1:]:
            task.cancel()
        await asyncio.gather(*self._tasks[1:], return_exceptions=True)
        for peer in list(self._peers):
            peer.writer.close()
        if self._conn is not None:
            await self._in_thread(self._close_db)
        self.executor.shutdown(wait=True)
        address = read_address_file(self.settings.writer_address_file)
        if address is not None and address.pid == os.getpid():
            self.settings.writer_address_file.unlink(missing_ok=True)  # no stale address after a clean stop
        log.info("writer stopped")

    def heal_unlinked_wal(self) -> None:
        """The WAL was deleted under us: stop (its frames are checkpointed at close) and get restarted."""
        if self.restart_code is None:
            log.error(
                "the WAL file %s was deleted or replaced while the writer runs; checkpointing every "
                "committed write into the database from the handle still open, then restarting",
                self.wal_guard.path,
            )
            self.restart_code = WAL_LOST_EXIT_CODE

    def _close_db(self) -> None:
        assert self._conn is not None
        try:
            self._conn.execute("PRAGMA optimize")
        except sqlite3.Error:
            log.exception("PRAGMA optimize failed")
        checkpoint_everything(self._conn, must=self.restart_code is not None or self.wal_guard.unlinked())
        self._conn.close()
        self.wal_guard.close()

    # IPC --------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        name = str(writer.get_extra_info("peername") or "unix")
        assert self.batcher is not None
        if self._unauthenticated >= self.settings.ipc_max_pending:
            self.refused_connections += 1
            if self.refused_connections in (1, 10, 100) or self.refused_connections % 1000 == 0:
                log.warning(
                    "%d IPC connections refused: more than %d waiting to authenticate (SGP_IPC_MAX_PENDING)",
                    self.refused_connections,
                    self.settings.ipc_max_pending,
                )
            writer.transport.abort()  # no FIN handshake to wait for: the descriptor is freed now
            return
        welcome = Welcome(version=1, epoch=self.epoch, last_seq=self.batcher.last_seq, writer_pid=os.getpid())
        self._unauthenticated += 1
        try:
            hello = await server_handshake(
                reader, writer, secret=self.secret, welcome=welcome, timeout=self.settings.ipc_handshake_timeout_s
            )
        except (FrameError, TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
            log.warning("refused IPC connection from %s: %s", name, exc or type(exc).__name__)
            writer.transport.abort()
            return
        finally:
            self._unauthenticated -= 1
        peer = Peer(writer, f"{hello.client}@{name}")
        self._peers.add(peer)
        try:
            while True:
                message = await read_message(reader)
                match message:
                    case Call(command=Ping()):
                        if self.batcher_alive():
                            peer.send(Ok(id=message.id, status=200, body=b'{"pong":true}'))
                        else:
                            peer.send(
                                Fail(id=message.id, code="batcher_stalled", message="Escritor travado.", transient=True)
                            )
                    case Call(command=GetStats()):
                        peer.send(Ok(id=message.id, status=200, body=await self._stats_json()))
                    case Call(command=command) if isinstance(command, OPS_COMMANDS):
                        await self.ops.handle(message, peer.send)
                    case Call():
                        self.batcher.submit(message, peer.send)
                    case Subscribe(since=since):
                        await self._subscribe(peer, since)
                    case Broadcast():
                        for other in self._peers:
                            if other is not peer and other.subscribed:
                                other.send(message)
                    case _:
                        raise FrameError(f"unexpected {type(message).__name__} from a worker")
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except FrameError as exc:
            log.warning("dropping IPC connection %s: %s", peer.name, exc)
        finally:
            self._peers.discard(peer)
            writer.close()

    def _publish(self, events: list[Event]) -> None:
        for peer in self._peers:
            if not peer.subscribed:
                continue
            if peer.replaying:
                peer.pending.extend(events)
            else:
                peer.send_events(events)

    def _publish_auth(self, change: AuthChanged) -> None:
        for peer in self._peers:
            peer.send(change)

    async def _subscribe(self, peer: Peer, since: int) -> None:
        """Replay every retained event after `since`, then switch to live with no gap."""
        peer.subscribed, peer.replaying, peer.pending = True, True, []
        peer.last_sent = since
        try:
            first, last = await self._in_thread(self._event_bounds)
            if since > last or (since < first - 1):
                peer.last_sent = last
                peer.send(Reset(first_seq=first, last_seq=last))
            else:
                cursor = since
                while True:
                    chunk = await self._in_thread(self._events_after, cursor, _REPLAY_CHUNK)
                    if not chunk:
                        break
                    peer.send_events(chunk)
                    cursor = chunk[-1].seq
            peer.send_events(peer.pending)
        finally:
            peer.replaying, peer.pending = False, []

    def _event_bounds(self) -> tuple[int, int]:
        """First retained and last committed seq; an empty log starts right after the counter."""
        assert self._conn is not None and self.batcher is not None
        first = event_log.first_seq(self._conn)
        last = self.batcher.last_seq
        return (first if first is not None else last + 1), last

    def _events_after(self, seq: int, limit: int) -> list[Event]:
        assert self._conn is not None
        return event_log.page_after(self._conn, seq, limit)

    async def _stats(self) -> WriterHealth:
        return await writer_stats(self)

    async def _stats_json(self) -> bytes:
        return msgspec.json.encode(await self._stats())


def _bootstrap_admin(conn: sqlite3.Connection, settings: Settings) -> None:
    """First start: create `admin` with SGP_ADMIN_PASSWORD, or a random password shown once."""
    if users.has_users(conn):
        return
    password = settings.admin_password or secrets.token_urlsafe(12)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    conn.execute("BEGIN IMMEDIATE")
    try:
        users.bootstrap_admin(conn, hash_password(password), now)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if settings.admin_password:
        log.info("created user 'admin' with the password from SGP_ADMIN_PASSWORD")
        return
    path = settings.admin_password_file
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(password + "\n")
    # Shown once on the console (not through logging, which may be shipped elsewhere).
    print(
        f"\n  First start: created user 'admin' with password: {password}\n"
        f"  (also saved, readable only by you, in {path}; change it after logging in)\n",
        file=sys.stderr,
        flush=True,
    )
    log.info("created user 'admin' with a generated password (see %s)", path)


def _describe(address: Address) -> str:
    return address.path if address.transport == "unix" else f"{address.host}:{address.port}"
