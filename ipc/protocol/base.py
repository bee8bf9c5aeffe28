"""Protocol constants and the small types every family shares (handshake, actor, image references)."""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = [
    "PROTOCOL_VERSION",
    "MAX_FRAME_BYTES",
    "Hello",
    "Welcome",
    "Actor",
    "Sha256",
    "ImageRef",
    "ItemImage",
]

PROTOCOL_VERSION = 1
# Commands carry references, never image bytes, so frames stay small.
MAX_FRAME_BYTES = 32 * 1024 * 1024


class Hello(msgspec.Struct, tag="hello", frozen=True):
    """First frame from a worker: proves it belongs to this run."""

    secret: str
    version: int
    client: str


class Welcome(msgspec.Struct, tag="welcome", frozen=True):
    """The writer accepted the connection."""

    version: int
    epoch: str
    last_seq: int
    writer_pid: int


class Actor(msgspec.Struct, frozen=True):
    """Who asked for a write; recorded in its event."""

    id: int
    username: str


Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]


class ImageRef(msgspec.Struct, frozen=True):
    """An image an API worker already stored: the writer records it, never sees its bytes."""

    sha256: Sha256
    mime: Annotated[str, msgspec.Meta(max_length=100)]
    size: Annotated[int, msgspec.Meta(ge=1)]


class ItemImage(msgspec.Struct, frozen=True):
    """The image of item `index`; that item's `imagem` holds the image's URL."""

    index: Annotated[int, msgspec.Meta(ge=0)]
    image: ImageRef
