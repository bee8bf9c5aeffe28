"""Start the SGP orders service: one writer process plus N API workers, supervised.

    python run_server.py [--bind HOST:PORT] [--workers N] [--data-dir DIR] [--synchronous full|normal]
    python run_server.py create-user NAME | backup PATH | import-sgp OLD_DB   # cli/, one module each

Every setting can also come from an `SGP_*` environment variable (README.md).
"""

from __future__ import annotations

import argparse
import logging
import sys

from core.logs import configure_logging
from core.settings import CLI_FLAGS, Settings, SettingsError

log = logging.getLogger("sgp")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="database, media and the writer's address file (default ./data)")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; flags override the environment."""
    parser = argparse.ArgumentParser(prog="run_server.py", description="SGP orders service")
    parser.add_argument("--bind", help="HOST:PORT to listen on (default 127.0.0.1:8000)")
    parser.add_argument("--workers", type=int, help="API worker processes (default: CPUs, at most 4)")
    parser.add_argument("--synchronous", choices=["full", "normal"], help="SQLite durability (default full)")
    _common(parser)
    commands = parser.add_subparsers(dest="command")
    user = commands.add_parser("create-user", help="create a user, or reset its password (server running or not)")
    user.add_argument("username")
    user.add_argument("--admin", action="store_true", help="make the user an administrator")
    user.add_argument("--setor", help="the user's sector (optional)")
    user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    _common(user)
    backup = commands.add_parser(
        "backup", help="online backup of the database and media to PATH (server running or not)"
    )
    backup.add_argument("path", help="a new or empty directory")
    _common(backup)
    old = commands.add_parser(
        "import-sgp", help="import an old SGP server's database and media (server stopped on the target data dir)"
    )
    old.add_argument("old_db", help="the old server's SQLite file (banco.db; its -wal beside it is read too)")
    old.add_argument("--media", help="the old server's media folder (shared/media), for item and ficha images")
    old.add_argument("--dry-run", action="store_true", help="read and check everything, write nothing")
    old.add_argument("--merge", action="store_true", help="add to a target that already holds data")
    _common(old)
    return parser.parse_args(argv)


def load_settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by the flags given."""
    overrides = {field: getattr(args, flag[2:].replace("-", "_"), None) for flag, field in CLI_FLAGS.items()}
    return Settings.load(overrides)


def main(argv: list[str] | None = None) -> int:
    """Run a subcommand (cli/), or the service until Ctrl-C / SIGTERM."""
    args = parse_args(argv)
    try:
        settings = load_settings(args)
    except SettingsError as exc:
        print(f"run_server.py: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format, "supervisor")
    if args.command:
        from cli import COMMANDS  # a subcommand only: serving loads none of the command line's helpers

        return COMMANDS[args.command](settings, args)
    from supervisor import Supervisor

    return Supervisor(settings).run()


if __name__ == "__main__":
    sys.exit(main())
