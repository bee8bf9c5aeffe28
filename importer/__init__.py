"""Import an old SGP server's (api-sgp) SQLite database and media folder into this service's data directory."""

from .errors import ImportFailed, OldDatabaseError, TargetError
from .report import ImportReport, Progress
from .runner import ImportOptions, run_import

__all__ = ["ImportFailed", "ImportOptions", "ImportReport", "OldDatabaseError", "Progress", "TargetError", "run_import"]
