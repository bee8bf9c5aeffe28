"""SGP_EXPORT_DIR: one consumer keeps pedidos/<id>.json current, across restarts."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import ServerProcess, pedido
from tests.support import wait_until as wait_for


def test_export_files_follow_the_event_log_and_survive_restarts(tmp_path: Path) -> None:
    export = tmp_path / "export"
    data = tmp_path / "data"
    env = {"SGP_EXPORT_DIR": str(export)}
    server = ServerProcess(data, workers=2, env=env).start()
    try:
        with server.client() as client:
            created = [client.post("/api/v1/pedidos/", json=pedido(f"Exp {i}")).json() for i in range(5)]
            client.patch(f"/api/v1/pedidos/{created[0]['id']}", json={"observacao": "alterado"})
            client.delete(f"/api/v1/pedidos/{created[1]['id']}")
            latest = client.get(f"/api/v1/pedidos/{created[0]['id']}").json()
        files = export / "pedidos"
        wait_for(
            lambda: (
                (files / f"{created[0]['id']}.json").exists()
                and json.loads((files / f"{created[0]['id']}.json").read_bytes()).get("version") == 2
                and not (files / f"{created[1]['id']}.json").exists()
            )
        )
        assert json.loads((files / f"{created[0]['id']}.json").read_bytes()) == latest
        assert sorted(p.name for p in files.glob("*.json")) == sorted(
            f"{c['id']}.json" for c in created if c is not created[1]
        )
    finally:
        assert server.stop() == 0, server.log()
    # Changes made while the exporter is down are caught up after a restart.
    server = ServerProcess(data, workers=1).start()  # no export
    with server.client() as client:
        client.patch(f"/api/v1/pedidos/{created[2]['id']}", json={"observacao": "offline"})
    server.stop()
    server = ServerProcess(data, workers=1, env=env).start()
    try:
        target = export / "pedidos" / f"{created[2]['id']}.json"
        wait_for(lambda: json.loads(target.read_bytes()).get("observacao") == "offline")
        assert not list((export / "pedidos").glob(".*.tmp"))
    finally:
        server.stop()
