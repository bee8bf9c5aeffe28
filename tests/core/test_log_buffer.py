"""core.logs.BufferedLineHandler: whole lines, in order, chunks under PIPE_BUF, warnings at once."""

from __future__ import annotations

import io
import logging

from core.logs import BufferedLineHandler


class Recorder(io.StringIO):
    """A stream remembering each write call."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def _logger(stream: Recorder) -> tuple[logging.Logger, BufferedLineHandler]:
    handler = BufferedLineHandler(stream, delay_s=3600)  # only explicit or urgent flushes in this test
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(f"test.buffered.{id(stream)}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, handler


def test_info_lines_wait_warnings_flush_everything_in_order() -> None:
    stream = Recorder()
    logger, handler = _logger(stream)
    logger.info("one")
    logger.info("two")
    assert stream.getvalue() == ""
    logger.warning("three")
    assert stream.getvalue() == "INFO one\nINFO two\nWARNING three\n"
    logger.info("four")
    handler.flush()
    assert stream.getvalue().endswith("WARNING three\nINFO four\n")


def test_chunks_are_whole_lines_under_pipe_buf() -> None:
    stream = Recorder()
    logger, handler = _logger(stream)
    lines = [f"line {i} " + "x" * (i % 300) for i in range(200)]
    for line in lines:
        logger.info(line)
    handler.flush()
    assert stream.getvalue() == "".join(f"INFO {line}\n" for line in lines)
    assert len(stream.writes) > 1
    assert all(len(chunk) <= 4096 and chunk.endswith("\n") for chunk in stream.writes)
