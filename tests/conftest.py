"""Suite-wide test tiers: fault-injection and end-to-end tests are marked `slow`.

`python bootstrap.py test -m "not slow"` is the fast tier for the edit-test loop; CI and the
README command run everything.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# Whole directories and single modules that kill processes, fill disks or drive run_server.py end to end.
SLOW = (HERE / "faults", HERE / "e2e", HERE / "ops" / "test_ops_e2e.py", HERE / "security" / "test_ipc_flood.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(item.fspath)
        if any(path == slow or slow in path.parents for slow in SLOW):
            item.add_marker(pytest.mark.slow)
