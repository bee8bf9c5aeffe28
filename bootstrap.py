"""Set up a virtual environment from the pinned constraints, then serve or test.

    python bootstrap.py serve [run_server.py flags...]   # the service, data in ./data
    python bootstrap.py test  [pytest args...]           # the whole test suite
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
        args = [str(python), "-m", "pytest", *rest]
    else:
        args = [str(python), str(ROOT / "bench" / "mixed.py"), *rest]
    try:
        return subprocess.run(args, cwd=ROOT).returncode
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
