"""HTTP limits enforced before any parsing: body size and time, header size and count, RFC-forbidden forms."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable, Iterator

import psutil
import pytest

from tests.support import ServerProcess

pytestmark = pytest.mark.timeout(120)

MB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    base = tmp_path_factory.mktemp("http")
    spool = base / "spool"
    spool.mkdir()
    env = {"TMPDIR": str(spool), "TEMP": str(spool), "TMP": str(spool), "SGP_ANON_BODY_TIMEOUT_S": "2"}
    server = ServerProcess(base / "data", workers=1, env=env).start()
    server.spool = spool  # type: ignore[attr-defined]
    yield server
    server.stop()


def spool_bytes(server: ServerProcess) -> int:
    return sum(p.stat().st_size for p in server.spool.rglob("*") if p.is_file())  # type: ignore[attr-defined]


def worker_rss(server: ServerProcess) -> int:
    assert server.process is not None
    children = psutil.Process(server.process.pid).children(recursive=True)
    return sum(c.memory_info().rss for c in children)


def status_of(raw: bytes) -> int:
    line = raw.split(b"\r\n", 1)[0]
    return int(line.split()[1])


def exchange(server: ServerProcess, head: bytes, body_chunks: Iterable[bytes] = (), timeout: float = 20) -> int:
    """Send a raw request (stopping when the server answers or hangs up); the answer's status."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        answer = b""
        try:
            for chunk in body_chunks:
                try:
                    answer += sock.recv(65536)
                except BlockingIOError:
                    pass
                if answer:
                    break
                sock.setblocking(True)
                sock.sendall(chunk)
                sock.setblocking(False)
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.setblocking(True)
        sock.settimeout(timeout)
        while b"\r\n" not in answer:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            answer += data
    assert answer, "no answer"
    return status_of(answer)


def test_anonymous_multipart_is_refused_before_anything_is_spooled(server: ServerProcess) -> None:
    before = spool_bytes(server)
    boundary = b"x" * 30
    part = b"--" + boundary + b'\r\nContent-Disposition: form-data; name="username"; filename="a.bin"\r\n\r\n'
    declared = 1024 * MB  # claims 1 GB: refused on the header alone
    head = (
        b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary="
        + boundary
        + b"\r\nContent-Length: "
        + str(declared).encode()
        + b"\r\n\r\n"
        + part
    )
    assert exchange(server, head, (b"\0" * MB for _ in range(64))) == 413
    # Chunked, with no length to judge by: cut off as the streamed bytes pass the anonymous limit.
    head = (
        b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary="
        + boundary
        + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunks = (b"%x\r\n%s\r\n" % (len(c), c) for c in [part] + [b"\0" * MB] * 64)
    assert exchange(server, head, chunks) == 413
    assert spool_bytes(server) - before < MB


def test_anonymous_urlencoded_body_does_not_grow_the_worker(server: ServerProcess) -> None:
    rss = worker_rss(server)
    head = (
        b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    # Fields just under the form parser's 1 MB per-field limit: it keeps every one (100 MB once grew a worker so).
    field = b"f=" + b"a" * (MB - 64) + b"&"
    chunks = iter([b"%x\r\n%s\r\n" % (len(field), field)] * 100 + [b"0\r\n\r\n"])
    status = exchange(server, head, chunks)
    assert worker_rss(server) - rss < 32 * MB
    assert status == 413


def test_a_trickled_anonymous_body_times_out_with_408(server: ServerProcess) -> None:
    head = b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"

    def trickle() -> Iterator[bytes]:
        for _ in range(40):  # 20 s at most, 10x the 2 s setting
            yield b" "
            time.sleep(0.5)

    started = time.monotonic()
    assert exchange(server, head, trickle()) == 408
    assert time.monotonic() - started < 15


def test_header_size_and_count_limits(server: ServerProcess) -> None:
    assert exchange(server, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8000 + b"\r\n\r\n") == 200
    assert exchange(server, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 32 * 1024 + b"\r\n\r\n") in (
        400,
        431,
    )
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(2000))
    assert exchange(server, b"GET /health HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n") == 431
    assert exchange(server, b"GET /health HTTP/1.1\r\nHost: x\r\n" + many[:900] + b"\r\n") == 200


def test_obsolete_line_folding_is_refused(server: ServerProcess) -> None:
    folded = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  b\r\n\r\n"
    assert exchange(server, folded) == 400
    assert exchange(server, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Plain: a b\r\n\r\n") == 200


def test_overlong_multipart_boundary_is_refused(server: ServerProcess) -> None:
    token = server.token.encode()
    for length, expected in ((200, 400), (71, 400)):
        boundary = b"b" * length
        body = (
            b"--"
            + boundary
            + b'\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\nx\r\n--'
            + boundary
            + b"--\r\n"
        )
        head = (
            b"POST /pedidos/order-items/upload-image HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + token
            + b"\r\nContent-Type: multipart/form-data; boundary="
            + boundary
            + b"\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
        assert exchange(server, head) == expected


def test_a_bad_token_with_a_large_body_hears_401_not_413(server: ServerProcess) -> None:
    body = b'{"cliente": "' + b"x" * 200_000 + b'"}'
    for token in (b"abc", server.token.encode()[:-2] + b"xx"):
        head = (
            b"POST /pedidos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + token
            + b"\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
        )
        assert exchange(server, head, iter([body])) == 401
