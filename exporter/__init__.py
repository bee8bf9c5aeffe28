"""The export process: keeps `<SGP_EXPORT_DIR>/pedidos/<id>.json` current from the writer's event log.

Not an API worker: a consumer of its own that the supervisor starts when
`SGP_EXPORT_DIR` is set. It talks to the writer over `ipc` and reads the
database through a read-only snapshot; it imports nothing of `api` or `writer`.
"""

from .process import Exporter, run_exporter

__all__ = ["Exporter", "run_exporter"]
