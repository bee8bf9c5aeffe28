"""CORS for the SGP desktop app out of the box.

The desktop window is a webview on its own origin (`http://tauri.localhost`
on Windows, `tauri://localhost` elsewhere), so every REST call is
cross-origin and, with the client's custom headers, preflighted. Those
origins are allowed by default; `SGP_CORS_ORIGINS` adds more (a web build's
own origin). Origins are always listed, never `*`, since credentials are allowed.
"""

from __future__ import annotations

from core.settings import Settings

__all__ = ["DESKTOP_ORIGINS", "CORS_METHODS", "CORS_HEADERS", "CORS_EXPOSE", "cors_origins"]

# Tauri 2 on Windows (WebView2) over http and https, Tauri on macOS/Linux, and `tauri dev`.
DESKTOP_ORIGINS = (
    "http://tauri.localhost",
    "https://tauri.localhost",
    "tauri://localhost",
    "http://localhost:1420",
)
CORS_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
# What the desktop client sends (CLIENT_CONTRACT.md 0.3) plus our own request headers.
CORS_HEADERS = (
    "Accept",
    "Authorization",
    "Content-Type",
    "ngrok-skip-browser-warning",
    "X-Silent-Request",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-Request-ID",
)
CORS_EXPOSE = ("X-Total-Count", "X-SGP-Seq", "ETag", "Retry-After", "X-Request-ID", "Content-Disposition")


def cors_origins(settings: Settings) -> list[str]:
    """The desktop app's origins, then every origin of `SGP_CORS_ORIGINS` (comma-separated)."""
    extra = [origin.strip().rstrip("/") for origin in settings.cors_origins.split(",") if origin.strip()]
    return list(dict.fromkeys([*DESKTOP_ORIGINS, *extra]))
