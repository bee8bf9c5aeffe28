"""Each package states its public surface in __all__, and every name there exists."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from bootstrap import LINT_IMPORTS

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("package", ["api", "cli", "exporter", "ipc", "writer", "readers", "media", "core", "importer"])
def test_all_names_exist(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__, f"{package} declares no public surface"
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.__all__ lists {name!r}, which does not exist"


def test_import_layers_contract() -> None:
    """The import-linter contracts in pyproject.toml hold (dependency direction, docs/design.md)."""
    # The contracts live in pyproject.toml so `lint-imports` (.ci/run, bootstrap.py lint) and this test agree.
    command = [sys.executable, "-c", LINT_IMPORTS, "--no-cache"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


# Production modules stay under this many lines (one job per module, CONTRIBUTING.md).
MAX_MODULE_LINES = 400
# Known exceptions, each with why and until when.
OVERSIZED: dict[str, str] = {}


def test_production_modules_stay_small() -> None:
    """No production module is over MAX_MODULE_LINES lines (tests and bench/ excluded)."""
    too_long = {}
    for package in ("api", "cli", "exporter", "ipc", "writer", "readers", "media", "core", "importer"):
        for path in (ROOT / package).rglob("*.py"):
            name = path.relative_to(ROOT).as_posix()
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_MODULE_LINES and name not in OVERSIZED:
                too_long[name] = lines
    for name in ("run_server.py", "supervisor.py", "bootstrap.py"):
        lines = len((ROOT / name).read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            too_long[name] = lines
    assert not too_long, f"split these modules: {too_long}"


def test_the_ipc_client_loads_nothing_of_the_writer_process() -> None:
    """An API worker imports the IPC surface; that must not drag in the batcher, handlers or storage."""
    probe = (
        "import sys, ipc.client, ipc.probe, ipc.protocol, ipc.errors, ipc.framing\n"
        "print(sorted(m for m in sys.modules if m == 'writer' or m.startswith('writer.')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"ipc loaded writer modules: {result.stdout}"


def test_no_import_cycle_among_the_projects_modules() -> None:
    """No module reaches itself through imports (TYPE_CHECKING and function-level imports included)."""
    import grimp  # import-linter's graph builder, installed with the gates

    packages = ("api", "ipc", "writer", "readers", "media", "core", "importer", "exporter", "cli")
    graph = grimp.build_graph(*packages, cache_dir=None)
    modules = set(graph.modules)
    cycles = sorted(
        (module, imported)
        for module in modules
        for imported in graph.find_modules_directly_imported_by(module)
        if imported in modules and imported != module and graph.chain_exists(imported, module)
    )
    assert not cycles, f"import cycles: {cycles}"


def test_serving_loads_none_of_the_command_line_helpers() -> None:
    """`run_server.py` imports cli/ only for a subcommand; the exporter loads nothing of api/ or writer/."""
    probe = (
        "import sys, run_server, supervisor, exporter\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'cli'))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"serving loaded cli modules: {result.stdout}"
    probe = "import sys, exporter\nprint(sorted(m for m in sys.modules if m.split('.')[0] in ('api', 'writer')))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"the exporter loaded api/writer modules: {result.stdout}"
