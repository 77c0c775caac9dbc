"""Smoke test of the bench: each scenario once at tiny size, every row there, sane numbers."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.registry import SCENARIOS
from bench.scenarios import load_all

REPO = Path(__file__).resolve().parents[2]


def _quick_run(tmp_path: Path) -> tuple[dict[str, Any], str]:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=560,  # every scenario at tiny size, Ray's start included, on a loaded machine
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    payload: dict[str, Any] = json.loads(out.read_text())
    return payload, proc.stdout


@pytest.mark.timeout(600)
def test_quick_run_reports_every_scenario_with_sane_numbers(tmp_path: Path) -> None:
    load_all()
    payload, table = _quick_run(tmp_path)
    results = {result["name"]: result for result in payload["scenarios"]}
    assert list(results) == list(SCENARIOS)
    for name, result in results.items():
        assert result["error"] is None, f"{name}: {result['error']}"
        assert result["rows"], f"{name} reported no row"
        for row in result["rows"]:
            assert math.isfinite(row["value"]), row
            assert row["scenario"] in table
            assert row["status"] in ("met", "MISSED", "-")
    by_measure = {row["measure"]: row for s in results.values() for row in s["rows"]}
    tokens = by_measure["token requests per cold client"]
    assert tokens["value"] == 1, "a cold client made more than one token request under concurrency"
    for measure, row in by_measure.items():
        if "RSS" in measure:
            assert 0 <= row["value"] < 1024, row
        elif "seconds beyond" in measure:
            assert -1 < row["value"] < 5, row
        elif "open sockets" in measure:
            # the pool's 100 connections, plus the sockets a process has anyway (the worker's pipe)
            assert 0 < row["value"] <= 102, row
        elif measure.endswith("(ms)"):  # a time of the machine (Ray's per-task: 167 ms loaded)
            assert 0 < row["value"] < 60_000, row
        else:
            assert 0 < row["value"] < 100, row
    assert {"cpu", "python", "packages", "date"} <= set(payload["machine"])
