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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; flags override the environment."""
    parser = argparse.ArgumentParser(prog="run_server.py", description="SGP orders service")
    parser.add_argument("--bind", help="HOST:PORT to listen on (default 127.0.0.1:8000)")
    parser.add_argument("--workers", type=int, help="API worker processes (default: CPUs, at most 4)")
    parser.add_argument("--data-dir", help="database, media and the writer's address file (default ./data)")
    parser.add_argument("--synchronous", choices=["full", "normal"], help="SQLite durability (default full)")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    return parser.parse_args(argv)


def load_settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by the flags given."""
    overrides = {field: getattr(args, flag[2:].replace("-", "_")) for flag, field in CLI_FLAGS.items()}
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
    from supervisor import Supervisor

    return Supervisor(settings).run()


if __name__ == "__main__":
    sys.exit(main())
