"""Tests for core.metrics: registry, snapshot, merge, Prometheus rendering."""

import math
from types import SimpleNamespace

import msgspec
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core import metrics
from core.metrics import (
    CONTENT_TYPE,
    Registry,
    Snapshot,
    merge,
    render,
    status_class,
)


def parse(text: str) -> dict[tuple[str, tuple], float]:
    """Parse exposition text into {(sample name, sorted labels): value}."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def worker_registry() -> tuple[Registry, SimpleNamespace]:
    """The same metric definitions every process would create."""
    reg = Registry()
    m = SimpleNamespace(
        requests=reg.counter("sgp_http_requests_total", "HTTP requests.", ("method", "status")),
        latency=reg.histogram("sgp_http_request_seconds", "Latency.", (0.1, 1.0), ("method",)),
        clients=reg.gauge("sgp_ws_clients", "Open WebSockets."),
        depth=reg.gauge("sgp_writer_queue_depth", "Commands waiting.", aggregate="last"),
        peak=reg.gauge("sgp_reader_pool_peak", "Busiest reader pool.", aggregate="max"),
    )
    return reg, m


def test_all_names_exist():
    assert all(hasattr(metrics, name) for name in metrics.__all__)
    assert CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"


def test_render_parses_with_prometheus_client():
    reg = Registry()
    requests = reg.counter("sgp_http_requests_total", "HTTP requests.", ("method", "status"))
    latency = reg.histogram("sgp_http_request_seconds", "Latency.", (0.1, 0.5, 1), ("method",))
    depth = reg.gauge("sgp_writer_queue_depth", "Commands waiting.")
    reg.counter("sgp_errors_total", "Errors.")
    requests.labels(method="GET", status="2xx").inc()
    requests.labels(method="GET", status="2xx").inc(2)
    requests.labels(method="POST", status=status_class(503)).inc()
    for v in (0.05, 0.1, 0.3, 2.0):
        latency.labels(method="GET").observe(v)
    depth.set(7.25)

    text = render(reg.snapshot())
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert {f: families[f].type for f in families} == {
        "sgp_http_requests": "counter",
        "sgp_http_request_seconds": "histogram",
        "sgp_writer_queue_depth": "gauge",
        "sgp_errors": "counter",
    }
    assert families["sgp_http_requests"].documentation == "HTTP requests."
    values = parse(text)
    get_2xx = (("method", "GET"), ("status", "2xx"))
    assert values["sgp_http_requests_total", get_2xx] == 3
    assert values["sgp_http_requests_total", (("method", "POST"), ("status", "5xx"))] == 1
    assert values["sgp_errors_total", ()] == 0  # unlabelled series exist from the start
    assert values["sgp_writer_queue_depth", ()] == 7.25
    buckets = {
        le: values["sgp_http_request_seconds_bucket", (("le", le), ("method", "GET"))]
        for le in ("0.1", "0.5", "1.0", "+Inf")
    }
    assert buckets == {"0.1": 2, "0.5": 3, "1.0": 3, "+Inf": 4}  # cumulative, le inclusive
    assert values["sgp_http_request_seconds_count", (("method", "GET"),)] == 4
    assert values["sgp_http_request_seconds_sum", (("method", "GET"),)] == pytest.approx(2.45)
    assert text.endswith("\n")


def test_special_floats_render():
    reg = Registry()
    reg.gauge("sgp_a", "a").set(math.inf)
    reg.gauge("sgp_b", "b").set(-math.inf)
    reg.gauge("sgp_c", "c").set(math.nan)
    reg.gauge("sgp_d", "d").set(1e-7)
    values = parse(render(reg.snapshot()))
    assert values["sgp_a", ()] == math.inf
    assert values["sgp_b", ()] == -math.inf
    assert math.isnan(values["sgp_c", ()])
    assert values["sgp_d", ()] == 1e-7


def test_label_and_help_escaping_round_trip():
    reg = Registry()
    tricky = 'C:\\pedidos\\"novo"\nlinha 2 – ação'
    help_text = 'Help with \\ and\nnewline "quoted".'
    reg.counter("sgp_x_total", help_text, ("path",)).labels(path=tricky).inc()
    text = render(reg.snapshot())
    assert len(text.splitlines()) == 3  # HELP, TYPE, one sample: newlines were escaped
    (family,) = text_string_to_metric_families(text)
    assert family.samples[0].labels == {"path": tricky}
    assert family.documentation == help_text


def test_merge_sums_counters_and_histograms():
    (a, ma), (b, mb) = worker_registry(), worker_registry()
    for m, n in ((ma, 2), (mb, 5)):
        m.requests.labels(method="GET", status="2xx").inc(n)
        m.latency.labels(method="GET").observe(0.05 * n)
    mb.requests.labels(method="PATCH", status="4xx").inc()

    merged = merge([a.snapshot(), b.snapshot()])
    values = parse(render(merged))
    assert values["sgp_http_requests_total", (("method", "GET"), ("status", "2xx"))] == 7
    assert values["sgp_http_requests_total", (("method", "PATCH"), ("status", "4xx"))] == 1
    get = (("method", "GET"),)
    assert values["sgp_http_request_seconds_bucket", (("le", "0.1"), *get)] == 1
    assert values["sgp_http_request_seconds_bucket", (("le", "1.0"), *get)] == 2
    assert values["sgp_http_request_seconds_bucket", (("le", "+Inf"), *get)] == 2
    assert values["sgp_http_request_seconds_count", get] == 2
    assert values["sgp_http_request_seconds_sum", get] == pytest.approx(0.35)


def test_merge_is_independent_of_order():
    (a, ma), (b, mb) = worker_registry(), worker_registry()
    ma.requests.labels(method="GET", status="2xx").inc()
    mb.requests.labels(method="DELETE", status="2xx").inc()
    sa, sb = a.snapshot(), b.snapshot()
    assert render(merge([sa, sb])) == render(merge([sb, sa]))


def test_gauge_aggregation_modes():
    snaps = []
    for clients, depth, peak in ((3, 0, 4), (5, 0, 9), (0, 42, 1)):  # last one plays the writer
        reg, m = worker_registry()
        m.clients.set(clients)
        m.depth.set(depth)
        m.peak.set(peak)
        snaps.append(reg.snapshot())
    values = parse(render(merge(snaps)))
    assert values["sgp_ws_clients", ()] == 8
    assert values["sgp_writer_queue_depth", ()] == 42
    assert values["sgp_reader_pool_peak", ()] == 9


def test_merge_rejects_mismatched_definitions():
    a, b = Registry(), Registry()
    a.gauge("sgp_x", "x")
    b.gauge("sgp_x", "x", aggregate="max")
    with pytest.raises(ValueError, match="same code version"):
        merge([a.snapshot(), b.snapshot()])


def test_snapshot_msgpack_round_trip():
    reg, m = worker_registry()
    m.requests.labels(method="GET", status="2xx").inc(3)
    m.latency.labels(method="GET").observe(0.2)
    m.depth.set(2.5)
    snap = reg.snapshot()
    data = msgspec.msgpack.encode(snap)
    assert msgspec.msgpack.decode(data, type=Snapshot) == snap
    assert b"labelnames" not in data  # array_like: no field names on the wire
    assert render(msgspec.msgpack.decode(data, type=Snapshot)) == render(snap)


def test_snapshot_is_a_copy():
    reg = Registry()
    c = reg.counter("sgp_x_total", "x")
    h = reg.histogram("sgp_h", "h", (1,))
    snap = reg.snapshot()
    c.inc()
    h.observe(0.5)
    assert parse(render(snap))["sgp_x_total", ()] == 0
    assert parse(render(snap))["sgp_h_count", ()] == 0


@pytest.mark.parametrize(
    "name",
    ["http_requests", "sgp-x", "sgp x", "1sgp_x", "", "sgp_x_bucket", "sgp_x_count", "sgp_x_sum"],
)
def test_bad_metric_names_rejected(name):
    with pytest.raises(ValueError):
        Registry().gauge(name, "h")


def test_name_and_label_rules():
    reg = Registry()
    with pytest.raises(ValueError, match="_total"):
        reg.counter("sgp_requests", "h")
    with pytest.raises(ValueError, match="label"):
        reg.counter("sgp_a_total", "h", ("bad-label",))
    with pytest.raises(ValueError, match="label"):
        reg.counter("sgp_b_total", "h", ("__reserved",))
    with pytest.raises(ValueError, match="duplicate"):
        reg.counter("sgp_c_total", "h", ("x", "x"))
    with pytest.raises(ValueError, match="le"):
        reg.histogram("sgp_d", "h", (1,), ("le",))
    with pytest.raises(ValueError, match="aggregate"):
        reg.gauge("sgp_e", "h", aggregate="min")
    reg.gauge("sgp_f", "h")
    with pytest.raises(ValueError, match="already registered"):
        reg.gauge("sgp_f", "h")


def test_label_usage_errors():
    reg = Registry()
    c = reg.counter("sgp_x_total", "x", ("status",))
    with pytest.raises(ValueError):
        c.inc()  # labelled metric needs .labels()
    with pytest.raises(ValueError):
        c.labels(code="2xx")
    with pytest.raises(ValueError):
        c.labels(status="2xx", extra="y")
    with pytest.raises(ValueError, match="only go up"):
        c.labels(status="2xx").inc(-1)
    assert c.labels(status=200) is c.labels(status="200")  # values are str()-ed, child cached


@pytest.mark.parametrize("buckets", [(), (1, 1), (2, 1), (1, math.nan)])
def test_bad_buckets_rejected(buckets):
    with pytest.raises(ValueError, match="buckets"):
        Registry().histogram("sgp_h", "h", buckets)


def test_explicit_inf_bucket_is_not_duplicated():
    reg = Registry()
    reg.histogram("sgp_h", "h", (1, math.inf)).observe(5)
    text = render(reg.snapshot())
    assert text.count('le="+Inf"') == 1
    assert parse(text)["sgp_h_bucket", (("le", "+Inf"),)] == 1


def test_status_class():
    assert [status_class(c) for c in (101, 200, 204, 302, 404, 503)] == [
        "1xx",
        "2xx",
        "2xx",
        "3xx",
        "4xx",
        "5xx",
    ]
    assert status_class(0) == status_class(999) == "other"
