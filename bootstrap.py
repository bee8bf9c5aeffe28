"""Set up a virtual environment from the pinned constraints, then serve or test.

    python bootstrap.py serve [run_server.py flags...]   # the service, data in ./data
    python bootstrap.py test  [pytest args...]           # the whole test suite (in parallel; -n 0: serially)
    python bootstrap.py lint                             # ruff, import-linter contracts, mypy --strict
    python bootstrap.py bench [bench/mixed.py args...]   # the load benchmark

Standard library only, so it runs on a fresh clone with any Python >= 3.11
(Windows and Linux). The venv lives in `.venv` and is reinstalled only when
pyproject.toml or constraints.txt change.
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


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_venv() -> Path:
    """Create .venv and install the project with its test extras, pinned by constraints.txt."""
    if sys.version_info < (3, 11):  # noqa: UP036 - bootstrap runs on any Python to say which one it needs
        sys.exit(f"Python >= 3.11 is required (this is {sys.version.split()[0]})")
    python = _venv_python()
    if not python.exists():
        print("bootstrap: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not STAMP.exists() or STAMP.read_text() != _fingerprint():
        print("bootstrap: installing dependencies (pinned by constraints.txt)", flush=True)
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "-c", str(ROOT / "constraints.txt"), "-e", f"{ROOT}[test]"], check=True)
        STAMP.write_text(_fingerprint())
    return python


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
    """Dispatch `serve`, `test`, `lint` or `bench`."""
    if not argv or argv[0] not in {"serve", "test", "lint", "bench"}:
        print(__doc__)
        return 2
    python = ensure_venv()
    command, rest = argv[0], argv[1:]
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
