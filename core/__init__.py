"""Definitions every side shares: settings, the domain model, auth and metrics primitives."""

from .settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError"]
