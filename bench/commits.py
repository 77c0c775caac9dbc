"""Commits of the client in the same run: ``python -m bench.commits BASE [OTHER ...]``.

Each commit is checked out in a temporary git worktree; one sandbox (this checkout's) serves
both; each round runs every commit once (the order rotated), in a fresh worker process per commit
(``bench/commit_worker.py``) timing the client against raw httpx. Prints per-call client CPU
and latency medians over the rounds, each commit's ratio to raw httpx, and each OTHER / BASE.

``--instructions`` counts instead the client's instructions per call under valgrind (user-space
instructions: within about 1% run to run on a quiet machine, where CPU time varies by 20%; a
loaded one moves them a little too, as a slower server means more event-loop turns). Each count
is the difference of two runs of one worker, so start-up and warm-up cancel out.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.context import REPO_ROOT, Conn, sandbox
from bench.machine import load_average
from bench.timing import fmt_seconds

WORKER = Path(__file__).with_name("commit_worker.py")
MEASURES = [
    ("proxy", "warm proxied call"),
    ("list", "warm file listing"),
    ("cold", "cold client, calls 50 at a time"),
]


def _git(*args: str) -> str:
    out = subprocess.run(
        ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    return out.strip()


def _round(checkout: Path, conn: Conn, calls: int, batches: int) -> dict[str, Any]:
    """One worker process of one commit; its medians, checked to come from that checkout."""
    job = json.dumps({"conn": asdict(conn), "calls": calls, "batches": batches})
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    proc = subprocess.run(
        [sys.executable, str(WORKER), job],
        capture_output=True,
        text=True,
        env=env,
        cwd=checkout,
        timeout=900,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker for {checkout} failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    if not Path(result["package"]).resolve().is_relative_to(checkout.resolve()):
        raise RuntimeError(f"the worker imported {result['package']}, not the one in {checkout}")
    medians: dict[str, Any] = result["medians"]
    return medians


COUNT_CALLS = (50, 250)
"""The two runs of an instruction count (calls); their difference is what is counted."""


def _instructions(checkout: Path, conn: Conn, kind: str) -> float:
    """User-space instructions per call of one measure of one commit, under valgrind."""
    collected = []
    for calls in COUNT_CALLS:
        job = json.dumps({"conn": asdict(conn), "repeat": {"kind": kind, "calls": calls}})
        with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as tmp:
            proc = subprocess.run(
                [
                    "valgrind",
                    "--tool=callgrind",
                    f"--callgrind-out-file={tmp}/out",
                    sys.executable,
                    str(WORKER),
                    job,
                ],
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(checkout)},
                cwd=checkout,
                timeout=1800,
                check=False,
            )
        found = re.search(r"Collected : (\d+)", proc.stderr)
        if proc.returncode != 0 or found is None:
            raise RuntimeError(f"valgrind worker for {checkout} failed:\n{proc.stderr[-4000:]}")
        result = json.loads(proc.stdout.splitlines()[-1])
        if not Path(result["package"]).resolve().is_relative_to(checkout.resolve()):
            raise RuntimeError(f"the worker imported {result['package']}, not {checkout}'s")
        collected.append(int(found.group(1)))
    return (collected[1] - collected[0]) / (COUNT_CALLS[1] - COUNT_CALLS[0])


def _count_table(labels: list[str], counts: dict[tuple[str, str], float]) -> str:
    """Instructions per call per measure and commit, and each one's ratio to the first."""
    lines = ["| measure | commit | instructions / call | ratio to base |", "|---|---|---|---|"]
    for kind, title in MEASURES:
        for label in labels:
            ratio = counts[label, kind] / counts[labels[0], kind]
            lines.append(f"| {title} | {label} | {counts[label, kind]:,.0f} | {ratio:.3f} |")
    return "\n".join(lines)


def _table(labels: list[str], rounds: dict[str, list[dict[str, float]]]) -> str:
    """Medians over rounds, per measure: each commit's CPU and wall per call, ratios to raw."""

    def med(label: str, key: str) -> float:
        return statistics.median(r[key] for r in rounds[label])

    base = labels[0]
    lines = [
        "| measure | commit | client CPU / call | raw CPU / call | CPU ratio to raw "
        "| latency / call | latency ratio to raw |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, title in MEASURES:
        for label in labels:
            cpu, raw_cpu = med(label, f"{kind} ours cpu"), med(label, f"{kind} raw cpu")
            wall, raw_wall = med(label, f"{kind} ours wall"), med(label, f"{kind} raw wall")
            lines.append(
                f"| {title} | {label} | {fmt_seconds(cpu)} | {fmt_seconds(raw_cpu)} "
                f"| {cpu / raw_cpu:.2f} | {fmt_seconds(wall)} | {wall / raw_wall:.2f} |"
            )
        for other in labels[1:]:
            change = med(other, f"{kind} ours cpu") / med(base, f"{kind} ours cpu")
            lines.append(f"| {title} | {other} / {base} | {change:.2f} | | | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Check out both commits, run the rounds, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.commits", description=__doc__)
    parser.add_argument("base", help="the earlier commit")
    parser.add_argument("others", nargs="*", default=["HEAD"], help="later commits (HEAD)")
    parser.add_argument("--rounds", type=int, default=6, help="worker processes per commit")
    parser.add_argument("--calls", type=int, default=200, help="calls per timed batch")
    parser.add_argument("--batches", type=int, default=8, help="timed batches per worker")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions under valgrind instead"
    )
    args = parser.parse_args(argv)
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind on the PATH")
    shas = [_git("rev-parse", "--short", ref) for ref in (args.base, *args.others)]
    rounds: dict[str, list[dict[str, float]]] = {sha: [] for sha in shas}
    with tempfile.TemporaryDirectory(prefix="bench-commits-") as tmp:
        checkouts = {sha: Path(tmp) / sha for sha in shas}
        try:
            for sha, path in checkouts.items():
                _git("worktree", "add", "--detach", str(path), sha)
            with sandbox() as sb:
                conn = Conn.of(sb)
                if args.instructions:
                    counts = {
                        (sha, kind): _instructions(checkouts[sha], conn, kind)
                        for kind, _ in MEASURES
                        for sha in shas
                    }
                    print(_count_table(shas, counts))
                    print(f"\nvalgrind callgrind; load average at the end {load_average()}")
                    return 0
                for n in range(args.rounds):
                    shift = n % len(shas)
                    order = shas[shift:] + shas[:shift]
                    for sha in order:
                        print(f"round {n + 1}: {sha}", file=sys.stderr, flush=True)
                        rounds[sha].append(_round(checkouts[sha], conn, args.calls, args.batches))
        finally:
            for path in checkouts.values():
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(path)],
                    cwd=REPO_ROOT,
                    capture_output=True,
                    check=False,
                )
    print(_table(shas, rounds))
    print(
        f"\n{args.rounds} rounds per commit, alternating; each round {args.batches} batches of "
        f"{args.calls} warm calls per measure and {max(1, args.batches // 4)} cold runs of "
        f"{args.calls * 4} calls; medians; load average at the end {load_average()}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
