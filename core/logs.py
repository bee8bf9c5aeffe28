"""Logging setup shared by the supervisor, the writer and the API workers: one line per event."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from typing import TextIO

__all__ = ["configure_logging", "BufferedLineHandler"]


class _JsonFormatter(logging.Formatter):
    """One JSON object per line; `extra={...}` fields are included as keys."""

    _skip = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in self._skip and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


class BufferedLineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A StreamHandler that writes whole lines in chunks: at once for WARNING and above, else within `delay_s`.

    The API workers log one access line per request; a write and flush per line was
    a syscall per request. Chunks stay under PIPE_BUF (4096 bytes) and end at a
    line end, so lines of processes sharing one stderr pipe never interleave.
    """

    _CHUNK = 4096

    def __init__(self, stream: TextIO, delay_s: float = 0.1) -> None:
        super().__init__(stream)
        self._lines: list[str] = []
        self._size = 0
        self._delay_s = delay_s
        self._wake = threading.Event()
        threading.Thread(target=self._flusher, name="log-flusher", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        """Format now (the record's values are those of this moment); write later unless urgent."""
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        with self.lock:  # type: ignore[union-attr]
            self._lines.append(line)
            self._size += len(line)
            urgent = record.levelno >= logging.WARNING or self._size >= self._CHUNK
        if urgent:
            self.flush()
        else:
            self._wake.set()

    def flush(self) -> None:
        """Write what is buffered, in chunks of whole lines."""
        with self.lock:  # type: ignore[union-attr]
            lines, self._lines, self._size = self._lines, [], 0
            chunk: list[str] = []
            size = 0
            try:
                for line in lines:
                    if chunk and size + len(line) > self._CHUNK:
                        self.stream.write("".join(chunk))
                        chunk, size = [], 0
                    chunk.append(line)
                    size += len(line)
                if chunk:
                    self.stream.write("".join(chunk))
                if self.stream and hasattr(self.stream, "flush"):
                    self.stream.flush()
            except (OSError, ValueError):
                pass  # stderr closed or gone: nothing useful to do with a log line

    def _flusher(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self._delay_s)  # let lines gather: one write for all of them
            self._wake.clear()
            self.flush()


def configure_logging(level: str, fmt: str, process: str, *, buffered: bool = False) -> None:
    """Send this process's logs to stderr as text or JSON lines, tagged with its role.

    `buffered` (the API workers): lines below WARNING are written within 0.1 s, in chunks.
    """
    handler = BufferedLineHandler(sys.stderr) if buffered else logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s %(levelname)-7s {process}[{os.getpid()}] %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
