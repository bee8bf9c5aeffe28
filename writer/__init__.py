"""The writer process (the only read-write SQLite connection) and the client workers use to reach it."""

from .client import WriterClient
from .errors import CommandError, WriterClientError, WriterError, WriterOverloaded, WriterUnavailable
from .process import run_writer

__all__ = [
    "WriterClient",
    "WriterError",
    "CommandError",
    "WriterClientError",
    "WriterUnavailable",
    "WriterOverloaded",
    "run_writer",
]
