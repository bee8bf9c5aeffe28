"""Errors of the writer package.

WriterError
 ├── CommandError            a command failed; carried back to the caller in its reply
 └── WriterClientError       raised by ipc.client in API workers
      ├── WriterUnavailable  no connection to the writer (down or restarting)
      └── WriterOverloaded   queue full, or the write deadline passed
"""

from __future__ import annotations

__all__ = [
    "WriterError",
    "CommandError",
    "WriterClientError",
    "WriterUnavailable",
    "WriterOverloaded",
    "TRANSIENT_CODES",
]

# Failure codes the caller may retry; every other code is permanent.
TRANSIENT_CODES = frozenset({"busy", "queue_full", "deadline", "storage_full", "shutting_down", "io_error"})


class WriterError(Exception):
    """Base class of every error of the writer package."""


class CommandError(WriterError):
    """A command failed: `code` is stable English, `message` Portuguese for the user."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    @property
    def transient(self) -> bool:
        """True when the same command may succeed if retried later."""
        return self.code in TRANSIENT_CODES


class WriterClientError(WriterError):
    """A write could not be handed to the writer or answered by it."""


class WriterUnavailable(WriterClientError):
    """The writer is not reachable (restarting or down); retry after a moment."""


class WriterOverloaded(WriterClientError):
    """The writer's queue is full or the command waited past its deadline."""
