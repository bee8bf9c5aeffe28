"""api/metrics.py (request observer) and writer/metrics.py (the writer's figures) without a server."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from api.metrics import RequestObserver, WorkerMetrics
from tests.support import run
from writer.metrics import WriterMetrics
from writer.stats import Summary, WriterHealth


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Exposition text as {(sample name, sorted labels): value}, through the official parser."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def observed_app() -> tuple[FastAPI, WorkerMetrics]:
    metrics = WorkerMetrics()
    app = FastAPI()

    @app.get("/api/v1/pedidos/{pedido_id}")
    async def one(pedido_id: int) -> dict[str, int]:
        return {"id": pedido_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("bug")

    app.add_middleware(RequestObserver, metrics=metrics)
    return app, metrics


def test_requests_counted_by_route_template_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    app, metrics = observed_app()

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [
                await client.get("/api/v1/pedidos/1", headers={"X-Request-ID": "pedido-1"}),
                await client.get("/api/v1/pedidos/2?token=segredo", headers={"X-Request-ID": "bad id\n"}),
                await client.get("/api/v1/pedidos/abc"),
                await client.get("/nowhere/123"),
                await client.get("/boom"),
            ]

    with caplog.at_level(logging.INFO, logger="sgp.access"):
        responses = run(go())
    assert [r.status_code for r in responses] == [200, 200, 422, 404, 500]
    assert responses[0].headers["x-request-id"] == "pedido-1"
    generated = responses[1].headers["x-request-id"]
    assert len(generated) == 32 and generated != "bad id\n"  # unsafe ids are replaced
    values = samples(metrics.render().decode())
    route = "/api/v1/pedidos/{pedido_id}"
    assert values["sgp_http_requests_total", (("method", "GET"), ("route", route), ("status", "2xx"))] == 2
    assert values["sgp_http_requests_total", (("method", "GET"), ("route", route), ("status", "4xx"))] == 1
    assert values["sgp_http_requests_total", (("method", "GET"), ("route", "unmatched"), ("status", "4xx"))] == 1
    assert values["sgp_http_requests_total", (("method", "GET"), ("route", "/boom"), ("status", "5xx"))] == 1
    assert values["sgp_http_request_duration_seconds_count", (("method", "GET"), ("route", route))] == 3
    records = [r for r in caplog.records if r.name == "sgp.access"]
    assert len(records) == 5
    first = records[0]
    assert (first.method, first.route, first.status, first.request_id) == ("GET", route, 200, "pedido-1")  # type: ignore[attr-defined]
    assert all("segredo" not in r.getMessage() and "/2" not in r.getMessage() for r in records)


def health(**overrides: object) -> WriterHealth:
    figures = dict(
        pid=1,
        uptime_s=5.0,
        restarts=2,
        crash_loop=False,
        queue_depth=3,
        queue_capacity=100,
        in_flight=0,
        batches_total=4,
        commands_total=10,
        batch_size=Summary(1, 1, 1, 1),
        commit_ms=Summary(1, 1, 1, 1),
        busy_retries_total=1,
        failed_commands_total={"not_found": 2},
        rejected_total={},
        last_commit_age_s=0.1,
        last_seq=10,
        epoch="e",
        db_bytes=4096,
        wal_bytes=8192,
        last_checkpoint_age_s=None,
        last_optimize_age_s=None,
        indexes={},
    )
    figures.update(overrides)
    return WriterHealth(**figures)  # type: ignore[arg-type]


def test_writer_counters_follow_its_figures_and_never_go_down() -> None:
    metrics = WriterMetrics()
    metrics.observe_batch(3, 0.002)
    metrics.sync(health())
    metrics.sync(health())  # the same figures again: nothing counted twice
    values = samples(_render(metrics))
    assert values["sgp_writer_commands_total", ()] == 10
    assert values["sgp_writer_failed_commands_total", (("reason", "not_found"),)] == 2
    assert values["sgp_writer_rejected_total", (("reason", "queue_full"),)] == 0
    assert values["sgp_writer_restarts_total", ()] == 1  # this writer is one restart
    assert values["sgp_writer_wal_bytes", ()] == 8192
    assert values["sgp_writer_batch_size_commands_count", ()] == 1
    assert values["sgp_writer_commit_duration_seconds_sum", ()] == pytest.approx(0.002)
    metrics.sync(health(commands_total=15, failed_commands_total={"not_found": 3, "busy": 1}, queue_depth=0))
    values = samples(_render(metrics))
    assert values["sgp_writer_commands_total", ()] == 15
    assert values["sgp_writer_failed_commands_total", (("reason", "busy"),)] == 1
    assert values["sgp_writer_queue_depth", ()] == 0


def _render(metrics: WriterMetrics) -> str:
    from prometheus_client import generate_latest

    return generate_latest(metrics.registry).decode()
