"""Read-only access to the database: the per-worker connection pool and the read queries."""

from .pool import PoolTimeout, ReaderError, ReaderPool

__all__ = ["ReaderPool", "ReaderError", "PoolTimeout"]
