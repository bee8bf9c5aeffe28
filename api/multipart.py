"""Stream the file part of a multipart/form-data upload without holding it in memory.

Starlette's form parser spools every file to a temporary file before the
route sees it, so a size or type check could only run after the whole upload
arrived. python-multipart's push parser is fed each network chunk as it comes
and hands out the file part's data in pieces no bigger than that chunk, which
the media store hashes, checks and writes as they arrive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

__all__ = ["FILE_FIELDS", "FilePartReader", "MultipartError", "multipart_boundary"]

# Form field names SGP clients use for the file; any part with a filename also counts.
FILE_FIELDS = frozenset({b"image", b"file", b"imagem"})
# Everything besides the file (order_item_id, the closing boundary): a few bytes in practice.
_MAX_OTHER_BYTES = 64 * 1024
# RFC 2046 section 5.1.1.
_MAX_BOUNDARY = 70


class MultipartError(ValueError):
    """The body is not the multipart/form-data upload this route accepts; the message is Portuguese."""


def multipart_boundary(content_type: str | None) -> bytes | None:
    """The boundary of a multipart/form-data Content-Type; None for any other type."""
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data":
        return None
    boundary = options.get(b"boundary")
    if not boundary:
        raise MultipartError("Content-Type multipart/form-data sem boundary.")
    if len(boundary) > _MAX_BOUNDARY:
        raise MultipartError(f"Boundary multipart com mais de {_MAX_BOUNDARY} caracteres (RFC 2046).")
    return boundary


class FilePartReader:
    """Feeds the body to the parser on demand and yields the first file part's bytes."""

    def __init__(self, body: AsyncIterator[bytes], boundary: bytes) -> None:
        self._body = body
        try:
            self._parser = MultipartParser(
                boundary,
                callbacks={
                    "on_part_begin": self._on_part_begin,
                    "on_header_field": self._on_header_field,
                    "on_header_value": self._on_header_value,
                    "on_header_end": self._on_header_end,
                    "on_headers_finished": self._on_headers_finished,
                    "on_part_data": self._on_part_data,
                    "on_part_end": self._on_part_end,
                    "on_end": self._on_end,
                },
            )
        except FormParserError as exc:
            raise MultipartError("Boundary multipart inválido.") from exc
        self._headers: dict[bytes, bytes] = {}
        self._field = bytearray()
        self._value = bytearray()
        self._state = "before"  # before the file part, "file" inside it, "after" once it ended
        self._in_file = False
        self._pending: list[bytes] = []
        self._other_bytes = 0
        self._ended = False
        self.content_type: str | None = None

    async def open(self) -> str | None:
        """Read until the file part's data starts; return the type the client declared for it."""
        while self._state == "before":
            if not await self._feed():
                raise MultipartError("Nenhum arquivo no corpo multipart: envie a imagem no campo 'image'.")
        return self.content_type

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file part's bytes, as they arrive."""
        while True:
            pending, self._pending = self._pending, []
            for piece in pending:
                yield piece
            if self._state != "file":
                return
            if not await self._feed():
                raise MultipartError("Upload interrompido antes do fim do arquivo.")

    async def finish(self) -> None:
        """Read the rest of the body (closing boundary, other fields), refusing more than a few KB."""
        while not self._ended:
            if not await self._feed():
                raise MultipartError("Corpo multipart incompleto (falta o boundary final).")

    async def _feed(self) -> bool:
        chunk = await anext(self._body, None)
        if chunk is None:
            return False
        try:
            self._parser.write(chunk)
        except FormParserError as exc:
            raise MultipartError("Corpo multipart malformado.") from exc
        return True

    # Parser callbacks (synchronous, called from inside _parser.write) ------------

    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[bytes(self._field).lower()] = bytes(self._value)
        self._field.clear()
        self._value.clear()

    def _on_headers_finished(self) -> None:
        if self._state != "before":
            return
        _, options = parse_options_header(self._headers.get(b"content-disposition"))
        if b"filename" in options or options.get(b"name") in FILE_FIELDS:
            self._state = "file"
            self._in_file = True
            declared = self._headers.get(b"content-type")
            self.content_type = declared.decode("latin-1") if declared else None

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._pending.append(data[start:end])
            return
        self._other_bytes += end - start
        if self._other_bytes > _MAX_OTHER_BYTES:
            raise MultipartError("Campos demais no upload: envie uma imagem por requisição.")

    def _on_part_end(self) -> None:
        if self._in_file:
            self._in_file = False
            self._state = "after"

    def _on_end(self) -> None:
        self._ended = True
