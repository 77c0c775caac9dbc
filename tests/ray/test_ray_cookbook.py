"""``cookbooks/ray_pipeline.py`` end to end on the sandbox: read, embed in an actor pool, write
Parquet, query (on the Ray session of these tests)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pyarrow.parquet as pq
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "cookbooks" / "ray_pipeline.py"

pytestmark = [pytest.mark.cookbook, pytest.mark.usefixtures("ray_session")]


def test_the_pipeline_embeds_stores_and_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AIRBYTE_CLIENT_ID", "AIRBYTE_CLIENT_SECRET", "AIRBYTE_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    pipeline = runpy.run_path(str(SCRIPT))
    store = tmp_path / "chunks"
    hits = pipeline["main"](store)
    assert hits[0]["where"] == "contracts/acme-master-services-agreement.md"
    table = pq.read_table(store)
    customers = set(table.column("customer").to_pylist())
    assert customers == {"acme", "tenant-0001", "tenant-0002"}
    wheres = set(table.column("where").to_pylist())
    assert any(w.startswith("in_") for w in wheres), "the invoices are in the store"
    assert len(table.column("vector")[0].as_py()) == 384
