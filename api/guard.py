"""What any request may cost before a route sees it: header limits, body size and body time.

A pure ASGI middleware, so it acts before FastAPI, Starlette's form parser
or any route reads a byte of the body:

- header section larger than `SGP_MAX_HEADER_BYTES` or with more than
  `SGP_MAX_HEADERS` lines: 431;
- a multipart boundary longer than RFC 2046's 70 characters: 400;
- a body larger than the caller may send: 413 at once when Content-Length
  says so, otherwise as soon as the streamed bytes pass it. A caller without
  a valid token (only login takes a body then) gets `SGP_ANON_MAX_BODY_BYTES`,
  so nothing large is ever parsed or spooled to disk for it;
- a body that takes longer than `SGP_BODY_TIMEOUT_S` (`SGP_ANON_BODY_TIMEOUT_S`
  without a token) to arrive as a whole: 408 and the connection is closed. A
  total deadline, not an idle timeout: one byte every few seconds never
  resets it.

Bodies read after the limits are exceeded raise `ApiError` from `receive`,
so whichever route or parser was reading answers through the usual error
handler.
"""

from __future__ import annotations

import asyncio
import hmac

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings

from .auth import unauthorized
from .errors import ApiError, error_response

__all__ = ["RequestGuard", "MAX_BOUNDARY_CHARS"]

# RFC 2046 section 5.1.1: a boundary is 1 to 70 characters.
MAX_BOUNDARY_CHARS = 70
# Room for the multipart framing around the largest image of an upload.
_MULTIPART_SLACK = 64 * 1024
_CLOSE = {"Connection": "close"}


class RequestGuard:
    """Pure ASGI middleware enforcing the header, body-size and body-time limits of `Settings`."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.user_limit = max(settings.max_body_bytes, settings.max_image_bytes + _MULTIPART_SLACK)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        refused = self._check_headers(headers)
        if refused is not None:
            await error_response(refused)(scope, receive, send)
            return
        content_length: bytes | None = None
        chunked = False
        authorization = b""
        for name, value in headers:
            if name == b"content-length":
                content_length = value
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"authorization":
                authorization = value
        if content_length is None and not chunked:
            await self.app(scope, receive, send)  # no body
            return
        refusal = self._token_refusal(scope, authorization)
        authorised = refusal is None and bool(authorization)
        s = self.settings
        limit = self.user_limit if authorised else s.anon_max_body_bytes
        timeout = s.body_timeout_s if authorised else s.anon_body_timeout_s
        # A client whose token expired must hear 401 (the app then asks it to log in
        # again, CLIENT_CONTRACT 0.5), not that its body is too large for a stranger.
        too_large = refusal or _too_large(limit, authorised)
        if content_length is not None and content_length.isdigit() and int(content_length) > limit:
            await error_response(too_large)(scope, receive, send)
            return
        await self.app(scope, _GuardedBody(receive, limit, timeout, too_large), send)

    def _check_headers(self, headers: list[tuple[bytes, bytes]]) -> ApiError | None:
        s = self.settings
        if len(headers) > s.max_headers:
            return ApiError(
                431, "too_many_headers", f"Cabeçalhos demais (máximo {s.max_headers}).", headers=dict(_CLOSE)
            )
        size = 0
        for name, value in headers:
            size += len(name) + len(value) + 4  # ": " and CRLF, as on the wire
            if name == b"content-type" and value[:10].lower() == b"multipart/":
                boundary = _boundary(value)
                if boundary is not None and not 0 < len(boundary) <= MAX_BOUNDARY_CHARS:
                    return ApiError(
                        400, "invalid_multipart",
                        f"Boundary multipart com mais de {MAX_BOUNDARY_CHARS} caracteres.", field="Content-Type",
                    )  # fmt: skip
        if size > s.max_header_bytes:
            return ApiError(
                431, "headers_too_large", f"Cabeçalhos maiores que {s.max_header_bytes} bytes.", headers=dict(_CLOSE)
            )
        return None

    def _token_refusal(self, scope: Scope, authorization: bytes) -> ApiError | None:
        """None for no token, a valid user token or the ops token; else the 401 the route would give.

        The route checks the token again under its own rule; this only picks the limits.
        """
        if not authorization:
            return None
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return unauthorized()
        ops = self.settings.ops_token
        if ops and hmac.compare_digest(token.encode(), ops.encode()):
            return None
        state = getattr(getattr(scope.get("app"), "state", None), "sgp", None)
        if state is None:
            return unauthorized()
        try:
            state.auth.authenticate(token)
        except ApiError as exc:
            exc.headers.setdefault("Connection", "close")
            return exc
        return None


class _GuardedBody:
    """`receive` counting body bytes against the limit and the whole body against one deadline."""

    def __init__(self, receive: Receive, limit: int, timeout: float, too_large: ApiError) -> None:
        self._receive = receive
        self._limit = limit
        self._timeout = timeout
        self._too_large = too_large
        self._deadline: float | None = None
        self._received = 0
        self._done = False

    async def __call__(self) -> Message:
        if self._done:
            return await self._receive()  # after the body: waiting for a disconnect is not bounded here
        loop = asyncio.get_running_loop()
        if self._deadline is None:
            self._deadline = loop.time() + self._timeout
        try:
            async with asyncio.timeout_at(self._deadline):
                message = await self._receive()
        except TimeoutError:
            self._done = True
            raise ApiError(
                408, "body_timeout",
                f"O corpo da requisição não chegou em {self._timeout:g} s.", headers=dict(_CLOSE),
            ) from None  # fmt: skip
        if message["type"] != "http.request":
            self._done = True
            return message
        self._received += len(message.get("body", b""))
        if not message.get("more_body", False):
            self._done = True
        if self._received > self._limit:
            self._done = True
            raise self._too_large
        return message


def _too_large(limit: int, authorised: bool) -> ApiError:
    setting = "SGP_MAX_BODY_BYTES" if authorised else "SGP_ANON_MAX_BODY_BYTES"
    return ApiError(
        413, "body_too_large", f"Corpo da requisição maior que o limite de {limit} bytes ({setting}).",
        headers=dict(_CLOSE),
    )  # fmt: skip


def _boundary(content_type: bytes) -> bytes | None:
    for param in content_type.split(b";")[1:]:
        key, _, value = param.strip().partition(b"=")
        if key.strip().lower() == b"boundary":
            return value.strip().strip(b'"')
    return None
