"""Start the SGP orders service: one writer process plus N API workers, supervised.

    python run_server.py [--bind HOST:PORT] [--workers N] [--data-dir DIR] [--synchronous full|normal]

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


def create_user(settings: Settings, args: argparse.Namespace) -> int:
    """`create-user NAME`: asks for the password (twice) unless --password-stdin."""
    import getpass

    from core.passwords import hash_password, validate_new_password
    from writer.admin import upsert_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password for {args.username}: ")
        if getpass.getpass("Repeat it: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 1
    try:
        validate_new_password(password)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    user = upsert_user(settings, args.username, hash_password(password), is_admin=args.admin, setor=args.setor)
    role = "admin" if user["is_admin"] else "user"
    print(f"{user['username']} (id {user['id']}, {role}) is ready; existing sessions of this user were ended.")
    return 0


def backup(settings: Settings, args: argparse.Namespace) -> int:
    """`backup PATH`: a verified copy of the database and media; exit code 1 when refused or failed."""
    import sqlite3
    from pathlib import Path

    from writer.backup import backup_via_writer_or_directly
    from ipc.errors import WriterError

    try:
        result = backup_via_writer_or_directly(settings, Path(args.path))
    except (WriterError, OSError, sqlite3.Error) as exc:
        code = getattr(exc, "code", type(exc).__name__)
        print(f"error: backup failed ({code}): {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    print(
        f"backup written to {result.path}: database {result.db_bytes} bytes (integrity ok, last seq "
        f"{result.last_seq}), {result.media_files} media files, {result.seconds:.1f} s"
    )
    return 0


def import_sgp(settings: Settings, args: argparse.Namespace) -> int:
    """`import-sgp OLD_DB`: prints the report; exit code 1 when the import could not run."""
    from pathlib import Path

    from importer import ImportFailed, ImportOptions, run_import

    options = ImportOptions(
        source=Path(args.old_db),
        media=Path(args.media) if args.media else None,
        merge=args.merge,
        dry_run=args.dry_run,
    )
    try:
        report = run_import(settings, options)
    except ImportFailed as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(report.render())
    return 0


def load_settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by the flags given."""
    overrides = {field: getattr(args, flag[2:].replace("-", "_"), None) for flag, field in CLI_FLAGS.items()}
    return Settings.load(overrides)


def main(argv: list[str] | None = None) -> int:
    """Run the service until Ctrl-C / SIGTERM."""
    args = parse_args(argv)
    try:
        settings = load_settings(args)
    except SettingsError as exc:
        print(f"run_server.py: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format, "supervisor")
    if args.command == "create-user":
        return create_user(settings, args)
    if args.command == "backup":
        return backup(settings, args)
    if args.command == "import-sgp":
        return import_sgp(settings, args)
    from supervisor import Supervisor

    return Supervisor(settings).run()


if __name__ == "__main__":
    sys.exit(main())
