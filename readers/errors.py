"""The readers package's errors.

ReaderError
 └── PoolTimeout
"""

from __future__ import annotations

__all__ = ["PoolTimeout", "ReaderError"]


class ReaderError(Exception):
    """Base class of the readers package's errors."""


class PoolTimeout(ReaderError):
    """Every reader connection stayed busy past the acquire timeout."""
