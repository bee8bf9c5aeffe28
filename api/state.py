"""Per-worker state, created in the app's lifespan and reached through api.deps."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import Settings
from ipc.client import WriterClient
from media import MediaStore
from readers.pool import ReaderPool

from .auth import Authenticator
from .feed import FeedHub
from .list_cache import ListCache

__all__ = ["WorkerState"]


@dataclass
class WorkerState:
    """What one API worker process holds open while it serves."""

    settings: Settings
    readers: ReaderPool
    writer: WriterClient
    auth: Authenticator
    hub: FeedHub
    media: MediaStore
    lists: ListCache
