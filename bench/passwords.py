"""Password hashing cost: one argon2id hash and verification with the service's parameters, and a login burst.

    python -m bench.passwords --burst 100 --threads 4

Prints the mean time of one hash and one verification (one core), and the
wall time of `--burst` verifications spread over `--threads` threads (what a
start-of-shift wave of logins costs a worker's thread pool). Not part of the
test suite.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/passwords.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.passwords import ARGON2_MEMORY_KIB, ARGON2_PARALLELISM, ARGON2_TIME_COST, hash_password, verify_password


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    started = time.perf_counter()
    stored = [hash_password(f"senha {i}") for i in range(args.rounds)]
    hash_ms = (time.perf_counter() - started) / args.rounds * 1000
    started = time.perf_counter()
    assert all(verify_password(f"senha {i}", h) for i, h in enumerate(stored))
    verify_ms = (time.perf_counter() - started) / args.rounds * 1000
    started = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(lambda i: verify_password("senha 0", stored[0]), range(args.burst)))
    burst_s = time.perf_counter() - started
    print(
        f"argon2id t={ARGON2_TIME_COST} m={ARGON2_MEMORY_KIB} KiB p={ARGON2_PARALLELISM}: "
        f"hash {hash_ms:.1f} ms, verify {verify_ms:.1f} ms; "
        f"{args.burst} logins on {args.threads} threads: {burst_s:.2f} s wall"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
