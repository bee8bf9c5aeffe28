"""Why an import cannot start or go on.

ImportFailed            base: a message that tells the operator what to do
 ├── OldDatabaseError   the old file is missing, not SQLite, corrupt or not an SGP database
 └── TargetError        the target is in use by a running server, or not empty without --merge
"""

from __future__ import annotations

__all__ = ["ImportFailed", "OldDatabaseError", "TargetError"]


class ImportFailed(Exception):
    """The import stopped; `message` says why and what to change."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OldDatabaseError(ImportFailed):
    """The old server's database cannot be read safely (nothing was written)."""


class TargetError(ImportFailed):
    """The target data directory cannot receive this import (nothing was written)."""
