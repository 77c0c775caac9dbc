"""Command line of the bench: pick scenarios, run them, print the table, record the results."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
import traceback
from dataclasses import asdict
from pathlib import Path

from bench import scenarios
from bench.context import REPO_ROOT, BenchContext
from bench.machine import load_average, machine_info
from bench.registry import SCENARIOS, ScenarioResult
from bench.results import render_run, write_results
from bench.table import render_text


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure airbyte-embedded-tools against raw httpx on the local sandbox.",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes (the smoke test)")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(SCENARIOS),
        metavar="NAME",
        help=f"run only this scenario (repeatable): {', '.join(SCENARIOS)}",
    )
    parser.add_argument(
        "--write-results", action="store_true", help="record the run in bench/RESULTS.md"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the rows as JSON")
    return parser.parse_args(argv)


def run(names: list[str], *, quick: bool) -> list[ScenarioResult]:
    """Run the named scenarios in order, each failure recorded rather than stopping the run."""
    ctx = BenchContext(quick=quick)
    results = []
    try:
        for name in names:
            print(f"running {name} ...", file=sys.stderr, flush=True)
            start = time.perf_counter()
            try:
                result = SCENARIOS[name].run(ctx)
            except Exception as exc:
                traceback.print_exc()
                result = ScenarioResult(name=name, error=f"{type(exc).__name__}: {exc}")
            result.seconds = time.perf_counter() - start
            print(f"  {name}: {result.seconds:.1f} s", file=sys.stderr, flush=True)
            results.append(result)
    finally:
        ctx.close()
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the bench; exit status 1 when a scenario failed to run (a missed target is not one)."""
    scenarios.load_all()
    args = _parse(argv)
    names = args.only or list(SCENARIOS)
    machine = machine_info(REPO_ROOT)
    started = time.perf_counter()
    results = run(names, quick=args.quick)
    machine["load average at end"] = load_average()
    machine["bench wall time"] = f"{time.perf_counter() - started:.0f} s"
    print(render_text([row for result in results for row in result.rows]))
    for result in results:
        for note in result.notes:
            print(f"* {result.name}: {note}")
        if result.error:
            print(f"* {result.name} FAILED: {result.error}")
    print()
    for label, value in machine.items():
        print(f"{label}: {value}")
    command = shlex.join(["python", "-m", "bench", *(argv if argv is not None else sys.argv[1:])])
    if args.write_results:
        write_results(render_run(results, machine, command))
    if args.json:
        payload = {
            "machine": machine,
            "scenarios": [
                {**asdict(r), "rows": [{**asdict(row), "status": row.status} for row in r.rows]}
                for r in results
            ],
        }
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 1 if any(result.error for result in results) else 0
