"""Each package states its public surface in __all__, and every name there exists."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("package", ["api", "writer", "readers", "media", "core", "importer"])
def test_all_names_exist(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__, f"{package} declares no public surface"
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.__all__ lists {name!r}, which does not exist"


# Which project packages each package may import (DESIGN.md: dependency direction).
ALLOWED = {
    "core": {"core"},
    "readers": {"core", "readers"},
    "media": {"core", "media"},
    # media: the writer's sweeper deletes unreferenced files through MediaStore.sweep
    # (writer/media_refs.py); it never reads image bytes.
    "writer": {"core", "writer", "media"},
    # importer: the offline tool writes through the writer's schema and storage code and the media store.
    "importer": {"core", "writer", "media", "importer"},
}
PROJECT = {"api", "writer", "readers", "media", "core", "importer", "supervisor", "run_server"}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_go_one_way(package: str) -> None:
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for path in (root / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top not in PROJECT or top in ALLOWED[package], f"{path.relative_to(root)} imports {name}"
