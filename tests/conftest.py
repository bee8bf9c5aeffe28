"""Suite-wide test tiers: fault-injection, end-to-end and the schemathesis sweep are marked `slow`.

`python bootstrap.py test -m "not slow"` is the fast tier for the edit-test loop; CI and the
README command run everything.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# Whole directories and single modules that kill processes, fill disks or drive run_server.py end to end,
# and the schemathesis sweep (~60 requests for each of 116 operations: a quarter of the fast tier's CPU).
SLOW = (
    HERE / "faults",
    HERE / "e2e",
    HERE / "ops" / "test_ops_e2e.py",
    HERE / "security" / "test_ipc_flood.py",
    HERE / "security" / "test_openapi_fuzz.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _operation_node_ids(items)
    for item in items:
        path = Path(item.fspath)
        if any(path == slow or slow in path.parents for slow in SLOW):
            item.add_marker(pytest.mark.slow)


def _operation_node_ids(items: list[pytest.Item]) -> None:
    """Give each schemathesis item (tests/security/test_openapi_fuzz.py) its operation in its node id.

    pytest >= 9.2 builds a test's id from `originalname` and its parametrize callspec; schemathesis 4
    items have none, so every operation got the same id. pytest-xdist keys items by id and ran just one
    of them (2 passed instead of one per operation), and `-k`/`--lf` could not tell them apart.
    """
    for item in items:
        label = getattr(item, "operation_label", None)
        node_id = getattr(item, "_id", None)  # pytest's private NodeId; older pytest put the label in the name
        if label and node_id is not None and "[" not in item.nodeid:
            item._id = node_id.with_params(label)
