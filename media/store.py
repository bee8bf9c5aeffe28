"""Content-addressed store for order artwork, written by the API workers.

Files live at ``root/ab/cd/<sha256 hex>`` (no extension; the type travels in
:class:`StoredMedia` and is kept next to the reference in the database).
An upload streams into ``root/tmp/`` while it is hashed, size-checked and
type-checked, then is moved into place with ``os.replace``: readers never see
half a file, and the same bytes uploaded twice are stored once. The writer
process only ever receives the sha256.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import logging
import os
import re
import uuid
from collections.abc import AsyncIterator, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import aiofiles
import anyio
import msgspec
from aiofiles.threadpool.binary import AsyncBufferedIOBase

from .dataurl import decode_base64_chunks, parse_data_url
from .errors import MediaInvalid, MediaNotFound, MediaStorageFull, MediaTooLarge
from .sniff import SNIFF_BYTES, check_claim, sniff
from .sweep import sweep_store

__all__ = ["MediaStore", "StoredMedia"]

log = logging.getLogger(__name__)

_SHA256 = re.compile(r"[0-9a-f]{64}")
_TMP_DIR = "tmp"
# Out of space (or quota): answered 507 like every other write, not 500.
_FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


class StoredMedia(msgspec.Struct, frozen=True):
    """Reference to a stored file: what the API sends to the writer."""

    sha256: str
    mime: str
    size: int


class MediaStore:
    """Content-addressed file store with atomic writes, a size limit and type sniffing."""

    def __init__(self, root: Path, *, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._tmp = self.root / _TMP_DIR
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._resolved_root = self.root.resolve()

    async def save_data_url(self, data_url: str) -> StoredMedia:
        """Store a ``data:<mime>;base64,...`` URL (or bare base64), decoding it chunk by chunk."""
        claimed, start = parse_data_url(data_url)
        async with _Upload(self._tmp, max_bytes=self.max_bytes, claimed_mime=claimed) as upload:
            for block in decode_base64_chunks(data_url, start):
                await upload.write(block)
            return await self._install(upload)

    async def save_stream(self, chunks: AsyncIterator[bytes], claimed_mime: str | None) -> StoredMedia:
        """Store a streamed upload; stops reading as soon as it exceeds ``max_bytes``."""
        async with _Upload(self._tmp, max_bytes=self.max_bytes, claimed_mime=claimed_mime) as upload:
            async for chunk in chunks:
                await upload.write(chunk)
            return await self._install(upload)

    def store_bytes(self, data: bytes) -> StoredMedia:
        """Store bytes already in memory (blocking; for bulk tools such as the importer, run in a thread).

        Same checks and layout as the streaming paths: type sniffed, size limit, temp file
        fsynced then moved into place; identical content already stored is not written again.
        """
        if not data:
            raise MediaInvalid("A imagem está vazia.")
        if len(data) > self.max_bytes:
            raise MediaTooLarge(self.max_bytes)
        mime = sniff(data[:SNIFF_BYTES])
        media = StoredMedia(sha256=hashlib.sha256(data).hexdigest(), mime=mime, size=len(data))
        final = self._final_path(media.sha256)
        if _touch(final):  # stored already: its sweep grace period restarts, the caller is about to reference it
            return media
        tmp = self._tmp / f"{uuid.uuid4().hex}.part"
        try:
            with open(tmp, "xb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            # Fewer system calls than _move_into_place (bulk imports store tens of thousands of
            # files): create the fan-out directory only when the rename says it is missing.
            try:
                os.replace(tmp, final)
            except FileNotFoundError:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)
            _fsync_dir(final.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return media

    def path_for(self, sha256: str) -> Path:
        """Return the resolved path of a stored file, or raise MediaNotFound."""
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise MediaNotFound()
        path = self._final_path(sha256)
        try:
            if path.is_symlink():
                log.warning("refusing symlinked media file %s", path)
                raise MediaNotFound()
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):  # missing, unreadable, or a symlink loop
            raise MediaNotFound() from None
        # A symlinked fan-out directory could point anywhere on the disk.
        if not resolved.is_relative_to(self._resolved_root):
            log.warning("refusing media path outside the store: %s -> %s", path, resolved)
            raise MediaNotFound()
        if not resolved.is_file():
            raise MediaNotFound()
        return resolved

    def lookup(self, sha256: str, *, touch: bool = False) -> tuple[Path, StoredMedia]:
        """Return the resolved path and reference of a stored file (type from its first bytes), or raise MediaNotFound.

        ``touch`` restarts the file's sweep grace period: the caller is about to reference it.
        """
        path = self.path_for(sha256)
        try:
            with open(path, "rb") as f:
                head = f.read(SNIFF_BYTES)
                size = os.fstat(f.fileno()).st_size
            mime = sniff(head)
        except OSError:
            raise MediaNotFound() from None
        except MediaInvalid:
            # Never written by this store (it sniffs before storing): planted or damaged.
            log.warning("refusing media file of unknown type %s", path)
            raise MediaNotFound() from None
        if touch and not _touch(path):
            raise MediaNotFound()  # the sweep took it just now: the client sends it again
        return path, StoredMedia(sha256=sha256, mime=mime, size=size)

    def sweep(self, referenced: Collection[str], *, grace_seconds: float, now: float | None = None) -> list[str]:
        """Delete unreferenced files and stale temp files older than the grace period (media/sweep.py)."""
        return sweep_store(self.root, lambda: referenced, grace_seconds=grace_seconds, now=now)

    def _final_path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def _install(self, upload: _Upload) -> StoredMedia:
        media = await upload.finish()
        final = self._final_path(media.sha256)
        with _disk_full_is_507():
            created = await asyncio.to_thread(_move_into_place, upload.path, final)
        outcome = "stored" if created else "deduplicated"
        log.debug("media %s %s (%s, %d bytes)", media.sha256, outcome, media.mime, media.size)
        return media


class _Upload:
    """One upload in progress: temp file, running hash, size limit and type check."""

    def __init__(self, tmp_dir: Path, *, max_bytes: int, claimed_mime: str | None) -> None:
        self.path = tmp_dir / f"{uuid.uuid4().hex}.part"
        self._max_bytes = max_bytes
        self._claimed = claimed_mime
        self._hash = hashlib.sha256()
        self._size = 0
        self._head = b""
        self._mime: str | None = None
        self._file: AsyncBufferedIOBase | None = None

    async def __aenter__(self) -> _Upload:
        with _disk_full_is_507():
            self._file = await aiofiles.open(self.path, "xb")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Under anyio (Starlette, FastAPI) a cancelled scope re-raises at every
        # await, so the close is shielded or the temp file could stay open.
        with anyio.CancelScope(shield=True):
            if self._file is not None and not self._file.closed:
                try:
                    await self._file.close()
                except OSError:
                    pass  # flushing what was buffered failed (disk full): the file goes anyway
        # Already gone after a successful install; a leftover only after a failure.
        self.path.unlink(missing_ok=True)

    async def write(self, data: bytes) -> None:
        """Hash and write one chunk; raise as soon as the size limit or the type check fails."""
        with _disk_full_is_507():
            await self._write(data)

    async def _write(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self._max_bytes:
            raise MediaTooLarge(self._max_bytes)
        self._hash.update(data)
        if self._mime is None:
            # Chunks may be tiny (network reads); collect enough bytes to sniff first.
            self._head += data
            if len(self._head) < SNIFF_BYTES:
                return
            self._detect_type()
            data, self._head = self._head, b""
        await self._opened().write(data)

    async def finish(self) -> StoredMedia:
        """Flush the temp file to disk and return what was stored."""
        with _disk_full_is_507():
            return await self._finish()

    async def _finish(self) -> StoredMedia:
        if self._size == 0:
            raise MediaInvalid("A imagem está vazia.")
        file = self._opened()
        mime = self._mime
        if mime is None:
            mime = self._detect_type()
            await file.write(self._head)
        await file.flush()
        # Durable before the writer commits an order that references it.
        await asyncio.to_thread(os.fsync, file.fileno())
        await file.close()
        return StoredMedia(sha256=self._hash.hexdigest(), mime=mime, size=self._size)

    def _opened(self) -> AsyncBufferedIOBase:
        if self._file is None:  # a caller bug: the upload is used outside `async with`
            raise RuntimeError("upload used before __aenter__")
        return self._file

    def _detect_type(self) -> str:
        mime = sniff(self._head)
        check_claim(self._claimed, mime)
        self._mime = mime
        return mime


@contextmanager
def _disk_full_is_507() -> Iterator[None]:
    """Turn a full disk into MediaStorageFull (507); any other OSError passes unchanged."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _FULL_ERRNOS:
            raise MediaStorageFull() from exc
        raise


def _move_into_place(tmp: Path, final: Path) -> bool:
    """Move the temp file to its content address; False when identical content was already there."""
    if _touch(final):
        # Identical content is stored already (and its sweep grace period restarted by the touch).
        tmp.unlink(missing_ok=True)
        return False
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(tmp, final)
    except OSError:
        # Windows refuses to replace a file that is open (being served): a
        # concurrent upload of the same bytes won the race, which is fine.
        if not _touch(final):
            raise
        tmp.unlink(missing_ok=True)
        return False
    _fsync_dir(final.parent)
    return True


def _touch(path: Path) -> bool:
    """Restart the file's sweep grace period; False when there is no file (never stored, or just swept)."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    except OSError as exc:  # Windows: the file is open elsewhere, so the sweep cannot take it either
        log.debug("could not touch %s: %s", path, exc)
    return True


def _fsync_dir(path: Path) -> None:
    # Persists the new directory entry on POSIX; Windows cannot open a
    # directory for fsync and NTFS journals the rename itself.
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
