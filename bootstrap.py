"""Set up a virtual environment from the hash-pinned lock files, then serve or test.

    python bootstrap.py serve [run_server.py flags...]   # the service, data in ./data (runtime lock only)
    python bootstrap.py test  [pytest args...]           # the whole suite, in parallel (-n 0: serially)
    python bootstrap.py lint                             # ruff, import-linter contracts, mypy --strict
    python bootstrap.py bench [bench/mixed.py args...]   # the load benchmark
    python bootstrap.py lock  [uv pip compile flags...]  # refresh requirements/*.lock (e.g. --upgrade)

Standard library only, so it runs on a fresh clone with any Python >= 3.11
(Windows and Linux). The venv lives in `.venv`; pip installs exactly what
requirements/runtime.lock (serve) or requirements/test.lock (everything else)
lists, every file checked against its sha256, then the project itself with
--no-deps. It reinstalls only when pyproject.toml or a lock file changes, or
when a command needs the test tools and only the runtime set is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".sgp-installed"
# Relative to ROOT: uv writes these paths into the lock files' headers.
RUNTIME_LOCK = "requirements/runtime.lock"
TEST_LOCK = "requirements/test.lock"  # the runtime set with the same pins, plus the test extra
LOCKS = {"runtime": RUNTIME_LOCK, "test": TEST_LOCK}
# Only `lock` uses uv (to compile); installing needs nothing but pip.
UV = "uv==0.13.9"


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", RUNTIME_LOCK, TEST_LOCK):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _installed() -> tuple[str, str]:
    """(profile, fingerprint) of the last complete install, or empty strings."""
    try:
        profile, _, fingerprint = STAMP.read_text().partition(" ")
    except FileNotFoundError:
        return "", ""
    return profile, fingerprint


def _create_venv() -> Path:
    if sys.version_info < (3, 11):  # noqa: UP036 - bootstrap runs on any Python to say which one it needs
        sys.exit(f"Python >= 3.11 is required (this is {sys.version.split()[0]})")
    python = _venv_python()
    if not python.exists():
        print("bootstrap: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    return python


def ensure_venv(profile: str) -> Path:
    """Create .venv and install `profile` ("runtime" or "test") from its lock, hashes checked."""
    python = _create_venv()
    fingerprint = _fingerprint()
    have, have_fingerprint = _installed()
    # The test set holds the runtime set with the same pins, so it serves `serve` too.
    if have_fingerprint == fingerprint and (have == profile or have == "test"):
        return python
    lock = LOCKS[profile]
    print(f"bootstrap: installing the {profile} dependencies ({lock}, hashes checked)", flush=True)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    STAMP.unlink(missing_ok=True)  # an interrupted install is redone next time
    subprocess.run([*pip, "--require-hashes", "-r", lock], cwd=ROOT, check=True)
    # The project itself: its dependencies are all in the lock, so pip must not resolve any.
    subprocess.run([*pip, "--no-deps", "-e", "."], cwd=ROOT, check=True)
    STAMP.write_text(f"{profile} {fingerprint}")
    return python


def lock(args: list[str]) -> int:
    """Recompile both lock files with uv (installed into .venv for this only); extra args go to uv."""
    python = _create_venv()
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, UV], check=True)
    # Universal (every OS, Python >= 3.11) and hashed; an existing lock's pins are kept unless
    # `--upgrade` / `--upgrade-package NAME` says otherwise.
    compile_ = [str(python), "-m", "uv", "pip", "compile", "pyproject.toml", "--universal", "--generate-hashes"]
    compile_ += ["--python-version", "3.11", "--custom-compile-command", "python bootstrap.py lock", "-q"]
    runtime = subprocess.run([*compile_, "-o", RUNTIME_LOCK, *args], cwd=ROOT)
    if runtime.returncode != 0:
        return runtime.returncode
    # The test lock is constrained by the runtime lock, so both sets share every runtime pin.
    test = [*compile_, "--extra", "test", "-c", RUNTIME_LOCK, "-o", TEST_LOCK, *args]
    return subprocess.run(test, cwd=ROOT).returncode


# The gates, in order; each fails on any finding.
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"
LINTERS = (
    ("ruff", ["-m", "ruff", "check", "."]),
    ("ruff format", ["-m", "ruff", "format", "--check", "."]),
    # import-linter has no `python -m` entry; this is its `lint-imports` script, portable.
    ("import-linter", ["-c", LINT_IMPORTS, "--no-cache"]),
    ("mypy", ["-m", "mypy"]),
)


def lint(python: Path) -> int:
    """Run every gate (all of them, so one run reports every finding); non-zero if any failed."""
    failed = []
    for name, args in LINTERS:
        print(f"bootstrap: {name}", flush=True)
        if subprocess.run([str(python), *args], cwd=ROOT).returncode != 0:
            failed.append(name)
    if failed:
        print(f"bootstrap: lint failed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


# Test processes by default: the suite mostly waits on servers it started, so two pytest
# processes pay even on 2 cores; more than 4 would only add server start-ups per process.
MAX_TEST_WORKERS = 4


def _parallel(rest: list[str]) -> list[str]:
    """pytest-xdist options unless the caller chose (`-n 0` runs serially); loadfile keeps a module in one process."""
    chosen = any(a.startswith(("-n", "--numprocesses", "--dist")) or a == "no:xdist" for a in rest)
    workers = min(MAX_TEST_WORKERS, os.cpu_count() or 1)
    if chosen or workers < 2:
        return []
    return ["-n", str(workers), "--dist", "loadfile"]


def main(argv: list[str]) -> int:
    """Dispatch `serve`, `test`, `lint`, `bench` or `lock`."""
    if not argv or argv[0] not in {"serve", "test", "lint", "bench", "lock"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "lock":
        return lock(rest)
    # Serving needs the runtime set only; tests, gates and the benchmark need the test tools too.
    python = ensure_venv("runtime" if command == "serve" else "test")
    if command == "lint":
        return lint(python)
    if command == "serve":
        args = [str(python), str(ROOT / "run_server.py"), *rest]
    elif command == "test":
        args = [str(python), "-m", "pytest", *_parallel(rest), *rest]
    else:
        args = [str(python), str(ROOT / "bench" / "mixed.py"), *rest]
    try:
        return subprocess.run(args, cwd=ROOT).returncode
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
