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


def _import_seconds(modules: str) -> tuple[float, float]:
    """(CPU, wall) seconds ``import <modules>`` takes in a fresh interpreter, timed inside it."""
    code = (
        "import time; c, w = time.process_time(), time.perf_counter(); "
        f"import {modules}; "
        "print(time.process_time() - c, time.perf_counter() - w)"
    )
    cpu, wall = _python(code).stdout.split()
    return float(cpu), float(wall)


def _self_times(modules: str) -> dict[str, int]:
    """Module -> self import time in µs, from ``python -X importtime``."""
    out: dict[str, int] = {}
    for line in _python(f"import {modules}", "-X", "importtime").stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match:
            out[match.group(4)] = int(match.group(1))
    return out


def culprits(top: int = 4) -> str:
    """What our import adds beyond the baseline: our slowest modules, then other packages."""
    base = _self_times(BASE)
    extra = {name: us for name, us in _self_times(OURS).items() if name not in base}
    package = "airbyte_embedded_tools"
    own = sorted(
        ((us, name) for name, us in extra.items() if name.startswith(package)), reverse=True
    )
    others: dict[str, int] = defaultdict(int)
    for name, us in extra.items():
        if not name.startswith(package):
            others[name.split(".")[0]] += us
    ranked = sorted(((us, name) for name, us in others.items()), reverse=True)
    return (
        f"-X importtime (inflated by its own bookkeeping): {len(extra)} extra modules, "
        f"{sum(extra.values()) / 1000:.0f} ms self time; our slowest: "
        + ", ".join(f"{name.removeprefix(package)} {us / 1000:.1f} ms" for us, name in own[:top])
        + "; other packages: "
        + ", ".join(f"{name} {us / 1000:.1f} ms" for us, name in ranked[:top])
    )


@scenario("import-time", "import airbyte_embedded_tools")
def import_time(ctx: BenchContext) -> ScenarioResult:
    """Median seconds of ``import airbyte_embedded_tools`` beyond ``import httpx, pydantic``."""
    reps = ctx.sizes.import_repetitions
    times: dict[str, list[tuple[float, float]]] = {BASE: [], OURS: []}
    for rep in range(reps):
        for modules in (BASE, OURS) if rep % 2 == 0 else (OURS, BASE):
            times[modules].append(_import_seconds(modules))
    cpu = {key: median([c for c, _ in samples]) for key, samples in times.items()}
    wall = {key: median([w for _, w in samples]) for key, samples in times.items()}
    return ScenarioResult(
        name="import-time",
        rows=[
            Row(
                "import airbyte_embedded_tools",
                f"CPU seconds beyond `import {BASE}` (median of {reps} fresh processes)",
                fmt_seconds(cpu[OURS]),
                fmt_seconds(cpu[BASE]),
                cpu[OURS] - cpu[BASE],
                Target("<=", 0.15),
                unit=" s",
                digits=3,
            )
        ],
        notes=[
            "CPU time of the import statement, which equals its wall time on an idle machine but "
            "leaves out waiting for a busy CPU; wall time beyond the baseline in the same run: "
            f"{wall[OURS] - wall[BASE]:.3f} s ({fmt_seconds(wall[OURS])} vs "
            f"{fmt_seconds(wall[BASE])})",
            culprits(),
        ],
    )
