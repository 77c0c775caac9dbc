"""Import cost of the package beyond its two dependencies, in fresh processes."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict

from bench.context import REPO_ROOT, BenchContext
from bench.registry import Row, ScenarioResult, Target, scenario
from bench.timing import fmt_seconds, median

BASE = "httpx, pydantic"
OURS = "httpx, pydantic, airbyte_embedded_tools"
_IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)$")


def _python(code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
        timeout=120,
    )


def _import_seconds(modules: str) -> float:
    """Seconds ``import <modules>`` takes in a fresh interpreter, timed inside it."""
    code = f"import time; t = time.perf_counter(); import {modules}; print(time.perf_counter() - t)"
    return float(_python(code).stdout.strip())


def _self_times(modules: str) -> dict[str, int]:
    """Module -> self import time in µs, from ``python -X importtime``."""
    out: dict[str, int] = {}
    for line in _python(f"import {modules}", "-X", "importtime").stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match:
            out[match.group(4)] = int(match.group(1))
    return out


def culprits(top: int = 5) -> str:
    """The modules our import adds beyond the baseline, summed by top-level package."""
    base = _self_times(BASE)
    extra = {name: us for name, us in _self_times(OURS).items() if name not in base}
    by_package: dict[str, int] = defaultdict(int)
    for name, us in extra.items():
        by_package[name.split(".")[0]] += us
    ranked = sorted(by_package.items(), key=lambda item: -item[1])[:top]
    listed = ", ".join(f"{name} {us / 1000:.1f} ms" for name, us in ranked)
    total = sum(extra.values()) / 1000
    return (
        f"{len(extra)} extra modules, {total:.1f} ms self time (-X importtime); "
        f"by package: {listed}"
    )


@scenario("import-time", "import airbyte_embedded_tools")
def import_time(ctx: BenchContext) -> ScenarioResult:
    """Median seconds of ``import airbyte_embedded_tools`` beyond ``import httpx, pydantic``."""
    reps = ctx.sizes.import_repetitions
    base: list[float] = []
    ours: list[float] = []
    for rep in range(reps):
        pair = (BASE, OURS) if rep % 2 == 0 else (OURS, BASE)
        for modules in pair:
            (base if modules == BASE else ours).append(_import_seconds(modules))
    extra = median(ours) - median(base)
    return ScenarioResult(
        name="import-time",
        rows=[
            Row(
                "import airbyte_embedded_tools",
                f"seconds beyond `import {BASE}` (median of {reps} fresh processes)",
                fmt_seconds(median(ours)),
                fmt_seconds(median(base)),
                extra,
                Target("<=", 0.15),
                unit=" s",
                digits=3,
            )
        ],
        notes=[culprits()],
    )
