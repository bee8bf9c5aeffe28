"""Process-local metrics that merge across processes into one Prometheus page.

Every process (the writer and each API worker) owns a `Registry`. Workers send
`registry.snapshot()` to the writer about once a second; the writer keeps the
latest snapshot per worker id and `merge()`s them with its own, so `/metrics`
renders the same numbers whichever worker serves it.

Not thread-safe, on purpose: each process updates its metrics from its single
asyncio loop thread, so plain attribute updates are enough and the hot path
(one dict lookup plus an addition per call) takes no lock. Code running in an
executor thread must hand its figures back to the loop before recording them.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from typing import Any, Generic, Literal, TypeVar

import msgspec

__all__ = [
    "CONTENT_TYPE",
    "LATENCY_BUCKETS",
    "Counter",
    "Family",
    "Gauge",
    "Histogram",
    "Registry",
    "Sample",
    "Snapshot",
    "merge",
    "render",
    "status_class",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Seconds; covers a cached read (~1 ms) up to a write stuck behind a busy lock.
LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)

Kind = Literal["counter", "gauge", "histogram"]
Aggregate = Literal["sum", "max", "last"]
_M = TypeVar("_M", bound="_Metric[Any]")
_C = TypeVar("_C", bound="_Value | _HistogramChild")  # what .labels() returns

_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# Suffixes the exposition format gives meaning to; a metric named like them
# would collide with another metric's series.
_RESERVED_SUFFIXES = ("_bucket", "_sum", "_count")

# Wire form. array_like keeps msgpack free of field names; omit_defaults drops
# the trailing fields that only histograms or gauges use.


class Sample(msgspec.Struct, array_like=True, omit_defaults=True, frozen=True):
    """One series: label values (in the family's labelnames order) and its value."""

    labels: tuple[str, ...]
    value: float  # counter or gauge value; histogram sum of observations
    counts: tuple[int, ...] = ()  # histogram only: per-bucket counts, last is +Inf


class Family(msgspec.Struct, array_like=True, omit_defaults=True, frozen=True):
    """A metric's description and all its series."""

    name: str
    kind: Kind
    help: str
    labelnames: tuple[str, ...] = ()
    samples: tuple[Sample, ...] = ()
    buckets: tuple[float, ...] = ()  # histogram upper bounds, +Inf implied
    aggregate: Aggregate = "sum"  # gauges only: how merge() combines processes


class Snapshot(msgspec.Struct, array_like=True, frozen=True):
    """A registry's values at one instant; msgpack-encodable."""

    families: tuple[Family, ...] = ()


class _Value:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def _sample(self, key: tuple[str, ...]) -> Sample:
        return Sample(key, self.value)


class _CounterChild(_Value):
    __slots__ = ()

    def inc(self, n: float = 1) -> None:
        """Add n (>= 0) to the counter."""
        if n < 0:
            raise ValueError("counters only go up; use a gauge for values that fall")
        self.value += n


class _GaugeChild(_Value):
    __slots__ = ()

    def set(self, v: float) -> None:
        """Set the gauge to v."""
        self.value = float(v)

    def inc(self, n: float = 1) -> None:
        """Add n (may be negative) to the gauge."""
        self.value += n


class _HistogramChild:
    __slots__ = ("_bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self._bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, v: float) -> None:
        """Record one observation."""
        # bisect_left finds the first bound >= v: Prometheus buckets are `le`.
        self.counts[bisect_left(self._bounds, v)] += 1
        self.sum += v

    def _sample(self, key: tuple[str, ...]) -> Sample:
        return Sample(key, self.sum, tuple(self.counts))


def _check_names(kind: Kind, name: str, labelnames: Sequence[str]) -> tuple[str, ...]:
    if not _NAME_RE.fullmatch(name) or not name.startswith("sgp_"):
        raise ValueError(f"metric name {name!r} must match {_NAME_RE.pattern}, start with 'sgp_'")
    if name.endswith(_RESERVED_SUFFIXES):
        raise ValueError(f"metric name {name!r} must not end with {_RESERVED_SUFFIXES}")
    if kind == "counter" and not name.endswith("_total"):
        raise ValueError(f"counter {name!r} must end with '_total'")
    names = tuple(labelnames)
    if kind == "histogram" and "le" in names:
        raise ValueError(f"{name}: 'le' is reserved for histogram buckets")
    for label in names:
        if not _LABEL_RE.fullmatch(label) or label.startswith("__"):
            raise ValueError(f"{name}: bad label name {label!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"{name}: duplicate label names in {names}")
    return names


class _Metric(Generic[_C]):
    kind: Kind
    _new_child: Callable[[], _C]

    def __init__(self, name: str, help: str, labelnames: Sequence[str] = ()) -> None:
        self.name = name
        self.help = help
        self.labelnames = _check_names(self.kind, name, labelnames)
        self._children: dict[tuple[str, ...], _C] = {}
        # An unlabelled metric has one series, exported as 0 before first use.
        self._default = None if self.labelnames else self.labels()

    def labels(self, **values: object) -> _C:
        """Return the series for these label values, creating it on first use."""
        try:
            key = tuple([str(values[n]) for n in self.labelnames])
        except KeyError:
            key = None
        if key is None or len(values) != len(key):
            raise ValueError(f"{self.name}: labels {sorted(values)} != {self.labelnames}")
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._new_child()
        return child

    def _only(self) -> _C:
        if self._default is None:
            raise ValueError(f"{self.name} has labels {self.labelnames}; use .labels(...)")
        return self._default

    def _family(self, **extra: Any) -> Family:
        samples = tuple(c._sample(k) for k, c in self._children.items())
        return Family(self.name, self.kind, self.help, self.labelnames, samples, **extra)


class Counter(_Metric[_CounterChild]):
    """A monotonically increasing count; names end with `_total`."""

    kind = "counter"
    _new_child = _CounterChild

    def inc(self, n: float = 1) -> None:
        """Add n (>= 0) to an unlabelled counter."""
        self._only().inc(n)


class Gauge(_Metric[_GaugeChild]):
    """A value that goes up and down; `aggregate` says how merge() combines processes."""

    kind = "gauge"
    _new_child = _GaugeChild

    def __init__(self, name: str, help: str, labelnames: Sequence[str] = (), aggregate: Aggregate = "sum") -> None:
        if aggregate not in ("sum", "max", "last"):
            raise ValueError(f"{name}: aggregate must be 'sum', 'max' or 'last'")
        self.aggregate = aggregate
        super().__init__(name, help, labelnames)

    def set(self, v: float) -> None:
        """Set an unlabelled gauge to v."""
        self._only().set(v)

    def inc(self, n: float = 1) -> None:
        """Add n (may be negative) to an unlabelled gauge."""
        self._only().inc(n)

    def _family(self, **extra: Any) -> Family:
        return super()._family(aggregate=self.aggregate)


class Histogram(_Metric[_HistogramChild]):
    """Observations counted into fixed buckets (+Inf implied), plus their sum and count."""

    kind = "histogram"

    def __init__(self, name: str, help: str, buckets: Iterable[float], labelnames: Sequence[str] = ()) -> None:
        bounds = tuple(float(b) for b in buckets)
        if bounds and bounds[-1] == math.inf:
            bounds = bounds[:-1]
        if not bounds or not all(math.isfinite(b) for b in bounds):
            raise ValueError(f"{name}: buckets must be finite numbers, at least one")
        if any(a >= b for a, b in pairwise(bounds)):
            raise ValueError(f"{name}: buckets must be strictly increasing, got {bounds}")
        self.buckets = bounds
        super().__init__(name, help, labelnames)

    def _new_child(self) -> _HistogramChild:
        return _HistogramChild(self.buckets)

    def observe(self, v: float) -> None:
        """Record one observation on an unlabelled histogram."""
        self._only().observe(v)

    def _family(self, **extra: Any) -> Family:
        return super()._family(buckets=self.buckets)


class Registry:
    """The metrics of one process; create each metric once, at start-up."""

    def __init__(self) -> None:
        self._metrics: dict[str, _Metric[Any]] = {}

    def counter(self, name: str, help: str, labelnames: Sequence[str] = ()) -> Counter:
        """Create a counter; its name must end with `_total`."""
        return self._add(Counter(name, help, labelnames))

    def gauge(self, name: str, help: str, labelnames: Sequence[str] = (), aggregate: Aggregate = "sum") -> Gauge:
        """Create a gauge; `aggregate` is "sum", "max" or "last" across processes."""
        return self._add(Gauge(name, help, labelnames, aggregate))

    def histogram(self, name: str, help: str, buckets: Iterable[float], labelnames: Sequence[str] = ()) -> Histogram:
        """Create a histogram with these bucket upper bounds (+Inf is added)."""
        return self._add(Histogram(name, help, buckets, labelnames))

    def snapshot(self) -> Snapshot:
        """Copy every metric's current values."""
        return Snapshot(tuple(m._family() for m in self._metrics.values()))

    def _add(self, metric: _M) -> _M:
        if metric.name in self._metrics:
            raise ValueError(f"metric {metric.name!r} is already registered")
        self._metrics[metric.name] = metric
        return metric


def _combine(family: Family, a: Sample, b: Sample) -> Sample:
    if family.kind == "histogram":
        counts = tuple(x + y for x, y in zip(a.counts, b.counts, strict=True))
        return Sample(a.labels, a.value + b.value, counts)
    if family.kind == "gauge" and family.aggregate == "max":
        return Sample(a.labels, max(a.value, b.value))
    if family.kind == "gauge" and family.aggregate == "last":
        return b
    return Sample(a.labels, a.value + b.value)


def _shape(f: Family) -> tuple[object, ...]:
    return f.kind, f.labelnames, f.buckets, f.aggregate


def merge(snapshots: Iterable[Snapshot]) -> Snapshot:
    """Sum snapshots of several processes; gauges follow their `aggregate` mode."""
    # "last" gauges keep the value of the last snapshot that has the series, so
    # the writer passes its own snapshot last.
    merged: dict[str, tuple[Family, dict[tuple[str, ...], Sample]]] = {}
    for snapshot in snapshots:
        for family in snapshot.families:
            first, series = merged.setdefault(family.name, (family, {}))
            if _shape(first) != _shape(family):
                raise ValueError(
                    f"metric {family.name!r} is defined differently in two processes; "
                    "every process must run the same code version"
                )
            for sample in family.samples:
                prev = series.get(sample.labels)
                series[sample.labels] = sample if prev is None else _combine(first, prev, sample)
    # Sorted output: the page must not depend on which process reported first.
    return Snapshot(
        tuple(
            msgspec.structs.replace(first, samples=tuple(series[k] for k in sorted(series)))
            for first, series in sorted(merged.values(), key=lambda e: e[0].name)
        )
    )


def _fmt(v: float) -> str:
    v = float(v)  # int.is_integer() only exists from Python 3.12
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    return repr(v)


def _escape_label(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    body = ",".join(f'{k}="{_escape_label(v)}"' for k, v in pairs)
    return f"{{{body}}}" if body else ""


def render(snapshot: Snapshot) -> str:
    """Render a snapshot in the Prometheus text exposition format 0.0.4."""
    lines: list[str] = []
    for f in snapshot.families:
        help_text = f.help.replace("\\", "\\\\").replace("\n", "\\n")
        lines += (f"# HELP {f.name} {help_text}", f"# TYPE {f.name} {f.kind}")
        for s in f.samples:
            pairs = list(zip(f.labelnames, s.labels, strict=True))
            if f.kind != "histogram":
                lines.append(f"{f.name}{_labels(pairs)} {_fmt(s.value)}")
                continue
            total = 0
            # repr() gives "0.5"/"1.0" bounds, as the official Python client does.
            for bound, count in zip((*map(repr, f.buckets), "+Inf"), s.counts, strict=True):
                total += count
                lines.append(f"{f.name}_bucket{_labels([*pairs, ('le', bound)])} {total}")
            lines.append(f"{f.name}_sum{_labels(pairs)} {_fmt(s.value)}")
            lines.append(f"{f.name}_count{_labels(pairs)} {total}")
    return "\n".join(lines) + "\n" if lines else ""


def status_class(code: int) -> str:
    """Map an HTTP status to a low-cardinality label: "2xx", "4xx", ... or "other"."""
    return f"{code // 100}xx" if 100 <= code <= 599 else "other"
