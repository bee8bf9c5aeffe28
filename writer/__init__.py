"""The writer process: the only read-write SQLite connection (its client surface is the `ipc` package)."""

from .process import run_writer

__all__ = ["run_writer"]
