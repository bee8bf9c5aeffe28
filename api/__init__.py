"""The HTTP side: FastAPI app, routes, auth, order feed; one instance per API worker process."""

from .app import create_app

__all__ = ["create_app"]
