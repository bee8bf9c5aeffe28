"""The lock files agree with pyproject.toml and with each other (README: Setup / dependencies).

`python bootstrap.py serve` installs requirements/runtime.lock, every other command
requirements/test.lock; both come from `python bootstrap.py lock`. A dependency added to
pyproject.toml without relocking, or a test lock whose runtime pins drifted, fails here.
"""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bootstrap import ROOT, RUNTIME_LOCK, TEST_LOCK


class Pin:
    """One locked distribution: version, environment marker and the hashes pip checks."""

    def __init__(self, line: str) -> None:
        requirement = Requirement(line)
        specs = list(requirement.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"not an exact pin: {line}"
        self.name = canonicalize_name(requirement.name)
        self.version = specs[0].version
        self.marker = str(requirement.marker or "")
        self.hashes: list[str] = []


def read_lock(name: str) -> dict[str, Pin]:
    """Parse a uv `--generate-hashes` lock: `name==version [; marker] \\` then `--hash=sha256:...` lines."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    for raw in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip().rstrip("\\").strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("--hash="):
            assert current is not None, f"{name}: a hash before any requirement"
            current.hashes.append(line.removeprefix("--hash="))
            continue
        current = Pin(line)
        assert current.name not in pins, f"{name}: {current.name} twice"
        pins[current.name] = current
    return pins


def declared() -> tuple[list[Requirement], list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = [Requirement(spec) for spec in project["dependencies"]]
    test = [Requirement(spec) for spec in project["optional-dependencies"]["test"]]
    return runtime, test


def test_every_pin_is_exact_and_hashed() -> None:
    for name in (RUNTIME_LOCK, TEST_LOCK):
        pins = read_lock(name)
        assert pins, f"{name} is empty"
        for pin in pins.values():
            assert pin.hashes, f"{name}: {pin.name} has no hash"
            assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in pin.hashes), f"{name}: {pin.name}"


def test_locks_hold_every_declared_dependency_at_an_allowed_version() -> None:
    runtime, test = declared()
    for name, requirements in ((RUNTIME_LOCK, runtime), (TEST_LOCK, runtime + test)):
        pins = read_lock(name)
        for requirement in requirements:
            pin = pins.get(canonicalize_name(requirement.name))
            assert pin is not None, f"{requirement.name} is declared in pyproject.toml but not locked in {name}"
            assert requirement.specifier.contains(pin.version, prereleases=True), (
                f"{name} pins {pin.name}=={pin.version}, outside pyproject.toml's {requirement}: run bootstrap.py lock"
            )


def test_serving_installs_no_test_tool() -> None:
    runtime_pins = read_lock(RUNTIME_LOCK)
    for tool in ("pytest", "ruff", "mypy", "schemathesis", "httpx", "import-linter"):
        assert tool not in runtime_pins, f"{tool} is a test tool but sits in {RUNTIME_LOCK}"


def test_the_test_lock_keeps_every_runtime_pin() -> None:
    """Same version, marker and hashes: tests run against exactly what `serve` installs."""
    runtime_pins, test_pins = read_lock(RUNTIME_LOCK), read_lock(TEST_LOCK)
    for name, pin in runtime_pins.items():
        other = test_pins.get(name)
        assert other is not None, f"{name} is in {RUNTIME_LOCK} but not in {TEST_LOCK}"
        assert (other.version, other.marker, sorted(other.hashes)) == (pin.version, pin.marker, sorted(pin.hashes))
