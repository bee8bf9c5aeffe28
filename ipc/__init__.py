"""The IPC surface between API workers (and the CLI, exporter, supervisor) and the writer process.

`protocol` (the message types), `framing` (length-prefixed msgpack frames, the
handshake and the address file), `client` (the asyncio client workers use),
`probe` (a blocking liveness ping) and `errors`. Importing this package loads
nothing of the writer process: no batcher, handlers, schema or storage.
"""

from .client import WriterClient
from .errors import CommandError, WriterClientError, WriterError, WriterOverloaded, WriterUnavailable

__all__ = [
    "WriterClient",
    "WriterError",
    "CommandError",
    "WriterClientError",
    "WriterUnavailable",
    "WriterOverloaded",
]
