"""HTTP response for a stored media file: immutable caching, conditional GET and byte ranges.

The HTTP half of serving images: `media/` owns the bytes (store, sniff,
sweep) and knows nothing of HTTP; this module turns a stored file into a
Starlette response.

Starlette's ``FileResponse`` (1.x) already streams in 64 KiB chunks and
answers ``Range`` (206; multipart for several ranges; 416 when
unsatisfiable) and ``If-Range``. Two gaps are filled here: it ignores
``If-None-Match``, and it answers 400 to a malformed ``Range`` where
RFC 9110 (section 14.2) says to ignore the header and send the whole file.
Files are content-addressed, so the sha256 is a strong ETag and the content
under a URL never changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from starlette.responses import FileResponse, Response
from starlette.types import Receive, Scope, Send

__all__ = ["file_response"]

CACHE_CONTROL = "private, max-age=31536000, immutable"
# Uploads are served from our own origin: even a file a browser would run (a PDF
# with JavaScript, in a PDF viewer that honours it) gets no scripts, no plugins,
# no same-origin access, and no requests out.
CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
_EXTENSIONS = {"application/pdf": "pdf"}

_RANGE_SPEC = re.compile(r"\s*(?:(\d+)-(\d*)|-(\d+))\s*")


def file_response(path: Path, *, sha256: str, mime: str, request_headers: Mapping[str, str]) -> Response:
    """Build the response for a GET/HEAD of a stored file (304 when the client's copy is current)."""
    etag = f'"{sha256}"'
    headers = {
        "ETag": etag,
        "Cache-Control": CACHE_CONTROL,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    }
    # If-None-Match is evaluated before Range (RFC 9110, section 13.2.2).
    if _etag_matches(_header(request_headers, "if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = _disposition(sha256, mime)
    range_header = _header(request_headers, "range")
    response_class = FileResponse if range_header is None or _valid_range(range_header) else _FullFileResponse
    # Our ETag wins over FileResponse's mtime-based one (it only uses setdefault).
    return response_class(path, headers=headers, media_type=mime)


class _FullFileResponse(FileResponse):
    """FileResponse that ignores the request's Range header."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(name, value) for name, value in scope["headers"] if name != b"range"]
        await super().__call__({**scope, "headers": headers}, receive, send)


def _disposition(sha256: str, mime: str) -> str:
    """Images (which <img> shows without running anything) inline; anything else downloads."""
    if mime.startswith("image/"):
        return "inline"
    return f'attachment; filename="{sha256[:16]}.{_EXTENSIONS.get(mime, "bin")}"'


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # Starlette's Headers are case-insensitive; a plain dict may not be.
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison, as RFC 9110 prescribes for If-None-Match."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return etag in (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))


def _valid_range(value: str) -> bool:
    """True for a syntactically valid ``bytes=`` range set (satisfiable or not)."""
    unit, sep, specs = value.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return False
    for spec in specs.split(","):
        match = _RANGE_SPEC.fullmatch(spec)
        if match is None:
            return False
        first, last, _ = match.groups()
        try:
            if first is not None and last and int(last) < int(first):
                return False
        except ValueError:  # more digits than int() accepts (CVE-2020-10735 limit)
            return False
    return True
