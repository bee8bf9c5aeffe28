"""Cost of one access-log line in a worker: a plain StreamHandler against BufferedLineHandler.

    python -m bench.log_cost --buffered --format text 2> >(cat > /dev/null)

Logs 20 000 lines shaped like api/metrics.py's access line to stderr (send it to a
pipe, as under a service manager) and prints the cost per line. In-process only.
"""

from __future__ import annotations

import argparse
import logging
import time

from core.logs import configure_logging

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Log the lines, print µs per line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buffered", action="store_true")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--lines", type=int, default=20_000)
    args = parser.parse_args(argv)
    configure_logging("info", args.format, "worker", buffered=args.buffered)
    log = logging.getLogger("sgp.access")
    extra = {"method": "GET", "route": "/pedidos/{pedido_id}", "status": 200, "duration_ms": 1.2, "request_id": "abc"}
    started = time.perf_counter()
    for _ in range(args.lines):
        log.info(
            "method=%s route=%s status=%d duration_ms=%.1f request_id=%s",
            "GET",
            "/pedidos/{pedido_id}",
            200,
            1.2,
            "abc",
            extra=extra,
        )
    per_line = (time.perf_counter() - started) / args.lines
    print(f"buffered={args.buffered} format={args.format}: {per_line * 1e6:.1f} us per line")


if __name__ == "__main__":
    main()
