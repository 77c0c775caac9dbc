"""Timing helpers: interleaved repetitions, medians and ratios measured in the same run."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping


async def interleaved(
    variants: Mapping[str, Callable[[], Awaitable[object]]],
    repetitions: int,
    *,
    collect: bool = False,
) -> dict[str, list[float]]:
    """Seconds per run of each variant, run in turn with the order rotated every repetition.

    Interleaving spreads the machine's noise (other processes, frequency changes) evenly over the
    variants, so their ratio stays meaningful even when absolute times drift.
    """
    names = list(variants)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(repetitions):
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            if collect:
                gc.collect()
            start = time.perf_counter()
            await variants[name]()
            samples[name].append(time.perf_counter() - start)
    return samples


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
