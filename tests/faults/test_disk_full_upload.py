"""An image upload on a full disk answers 507 like every other write and leaves no partial file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.support import ServerProcess

from .test_disk_full import fill, small_disk  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.timeout(90)

PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(2 * 1024 * 1024)


def leftovers(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


def test_image_upload_on_a_full_disk_is_507_and_leaves_nothing(small_disk: Path) -> None:  # noqa: F811
    server = ServerProcess(small_disk, workers=1).start()
    try:
        with server.client() as client:
            assert fill(small_disk / "ballast") > 0
            for headers in ({"Content-Type": "image/png"}, {}):
                files = None if headers else {"image": ("a.png", PNG, "image/png")}
                r = client.post(
                    "/pedidos/order-items/upload-image", content=PNG if headers else None, files=files, headers=headers
                )
                assert r.status_code == 507, r.text
                assert r.json()["code"] == "storage_full" and r.headers.get("retry-after")
            assert leftovers(small_disk / "media") == []
            (small_disk / "ballast").unlink()
            deadline = time.monotonic() + 10
            while (
                r := client.post(
                    "/pedidos/order-items/upload-image", content=PNG, headers={"Content-Type": "image/png"}
                )
            ).status_code != 200:
                assert time.monotonic() < deadline, r.text
                time.sleep(0.2)
            assert len(leftovers(small_disk / "media")) == 1
    finally:
        assert server.stop() == 0, server.log()
