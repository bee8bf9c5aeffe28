"""Helpers for the service's child processes (writer, API workers, exporter)."""

from __future__ import annotations

import signal

__all__ = ["ignore_shutdown_signals"]


def ignore_shutdown_signals() -> None:
    """Leave Ctrl-C, Ctrl-Break and SIGTERM to the supervisor.

    A console sends Ctrl-C / Ctrl-Break to every process of the group, and
    `timeout`, service managers (systemd's default KillMode) or `kill -TERM -PGID`
    send SIGTERM to all of them: the children must not die out of order. The
    supervisor tells them when to stop, and each also stops by itself when the
    supervisor is gone.
    """
    for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
