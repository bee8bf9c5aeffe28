"""Helpers for the service's child processes (writer, API workers, exporter)."""

from __future__ import annotations

import signal

__all__ = ["ignore_console_interrupts"]


def ignore_console_interrupts() -> None:
    """Ignore Ctrl-C (and Ctrl-Break on Windows): the console sends them to every process
    of the group, and the supervisor alone decides the order of shutdown."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGBREAK"):
        signal.signal(signal.SIGBREAK, signal.SIG_IGN)  # type: ignore[attr-defined]
