"""Timing helpers: interleaved repetitions, medians and ratios measured in the same run."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any


async def interleaved(
    variants: Mapping[str, Callable[[], Awaitable[object]]],
    repetitions: int,
    *,
    collect: bool = False,
) -> dict[str, Any]:
    """Wall and CPU seconds per run of each variant, run in turn, the order rotated every time.

    Interleaving spreads the machine's noise (other processes, frequency changes) evenly over the
    variants, so their ratio stays meaningful even when absolute times drift. The process's CPU
    time is recorded too: it shows the client's own cost even when the machine is busy.
    Returns ``{"wall": {name: [s, ...]}, "cpu": {name: [s, ...]}}``.
    """
    names = list(variants)
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(repetitions):
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            if collect:
                gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            await variants[name]()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return {"wall": wall, "cpu": cpu}


def median(values: list[float]) -> float:
    """The median of ``values`` (which must not be empty)."""
    return statistics.median(values)


def ratio(ours: list[float], raw: list[float]) -> float:
    """median(ours) / median(raw)."""
    return median(ours) / median(raw)


def fmt_seconds(seconds: float) -> str:
    """A duration with a unit that keeps three significant figures readable."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def cpu_note(out: dict[str, Any], per: int, unit: str, names: Mapping[str, str]) -> str:
    """Median client CPU time per ``unit`` of each variant, e.g. ``ours 1.20 ms, raw 0.90 ms``."""
    parts = [
        f"{label} {fmt_seconds(median(out['cpu'][key]) / per)}" for key, label in names.items()
    ]
    return f"client CPU per {unit} (worker process, median): " + ", ".join(parts)
