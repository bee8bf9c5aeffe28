"""Send and write syscalls per HTTP request of a worker, counted with strace (Linux only).

    python -m bench.syscalls --requests 1000

One fresh server with one worker (bench/server.py), `strace -f -c` attached to
its processes, `--requests` sequential `GET /health` on one keep-alive
connection. `sendto` are socket sends (the responses; /health never calls the
writer), `write` mostly log lines. Loopback only; bounded in count.
"""

from __future__ import annotations

import argparse
import http.client
import secrets
import subprocess
import time

from bench.server import BenchServer

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Run the requests under strace; print the syscall table and the calls per request."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args(argv)
    with BenchServer(workers=1, env={"SGP_ADMIN_PASSWORD": secrets.token_urlsafe(12)}) as server:
        children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        command = ["strace", "-f", "-c", "-e", "trace=sendto,sendmsg,write"]
        for pid in children:
            command += ["-p", pid]
        tracer = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)  # attached
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        for _ in range(args.requests):
            conn.request("GET", "/health")
            conn.getresponse().read()
        conn.close()
        time.sleep(0.5)  # buffered log lines reach stderr
        tracer.send_signal(2)
        table = tracer.communicate(timeout=30)[1]
    for line in table.splitlines():
        parts = line.split()
        if parts and parts[-1] in ("sendto", "sendmsg", "write"):
            calls = int(parts[3])  # % time, seconds, usecs/call, calls, [errors,] syscall
            print(f"{parts[-1]:8} {calls:7d} calls = {calls / args.requests:.3f} per request")


if __name__ == "__main__":
    main()
