"""The command line's subcommands (`run_server.py create-user | backup | import-sgp`), apart from the processes.

Each module is one subcommand: it talks to a running writer over `ipc`, or,
with the server stopped, becomes the writer for one transaction (`writes`)
or runs the writer's backup on the file itself. Only `run_server.py` imports
this package, and only for a subcommand, so serving loads none of it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from core.settings import Settings

from .backup import run_backup
from .imports import import_sgp
from .users import create_user

__all__ = ["COMMANDS", "create_user", "import_sgp", "run_backup"]

# Subcommand name (as argparse stores it in `command`) -> its function; returns the exit code.
COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "create-user": create_user,
    "backup": run_backup,
    "import-sgp": import_sgp,
}
