"""FastAPI dependencies as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from core.settings import Settings
from readers.pool import ReaderPool
from writer.client import WriterClient

from .state import WorkerState

__all__ = ["StateDep", "SettingsDep", "ReaderDep", "WriterDep"]


def _state(request: Request) -> WorkerState:
    return request.app.state.sgp


def _settings(request: Request) -> Settings:
    return request.app.state.sgp.settings


def _readers(request: Request) -> ReaderPool:
    return request.app.state.sgp.readers


def _writer(request: Request) -> WriterClient:
    return request.app.state.sgp.writer


StateDep = Annotated[WorkerState, Depends(_state)]
SettingsDep = Annotated[Settings, Depends(_settings)]
ReaderDep = Annotated[ReaderPool, Depends(_readers)]
WriterDep = Annotated[WriterClient, Depends(_writer)]
