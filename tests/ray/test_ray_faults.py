"""Faults: a read task whose worker dies is retried by Ray with every row once; a customer whose
credentials are rejected is named, and the others can go on; no secret reaches Ray's surfaces."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import ray
import ray.cloudpickle
from ray.data.datasource import ReadTask
from ray_customers import Customers

from airbyte_embedded_tools.ray import (
    CustomerError,
    FilesDatasource,
    FileSource,
    RecordSource,
    read_files,
    read_records,
)
from airbyte_embedded_tools.sandbox import FaultConfig

pytestmark = pytest.mark.usefixtures("ray_session")

# The workers cannot import this test module: its fault-injecting wrapper travels by value.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])


def _die_once(marker: str, read: Callable[[], Iterable[Any]]) -> Iterable[Any]:
    """The first attempt kills its worker process half way (after reading, before the block)."""
    blocks = list(read())
    if not os.path.exists(marker):
        Path(marker).touch()
        os._exit(1)
    return blocks


class _DyingOnce(FilesDatasource):
    """The real datasource, with its first read task's worker killed on the first attempt."""

    marker = ""

    def get_read_tasks(self, parallelism: int, **kwargs: Any) -> list[ReadTask]:
        tasks = super().get_read_tasks(parallelism, **kwargs)
        first = tasks[0]
        tasks[0] = ReadTask(
            functools.partial(_die_once, self.marker, first.read_fn), first.metadata
        )
        return tasks


def _ids(rows: list[dict[str, Any]]) -> list[Any]:
    return sorted((r["customer"], r["status"], r["path"], r["id"]) for r in rows)


def test_a_killed_read_task_is_retried_and_every_row_arrives_once(
    customers: Customers, tmp_path: Path
) -> None:
    sources = customers.sources[:4]
    expected = read_files(sources, customers.credentials, files_per_task=4).take_all()
    datasource = _DyingOnce(sources, customers.credentials, files_per_task=4)
    datasource.marker = str(tmp_path / "died")
    rows = ray.data.read_datasource(datasource).take_all()
    assert (tmp_path / "died").exists(), "the first attempt did die"
    assert _ids(rows) == _ids(expected)
    ids = [r["id"] for r in rows if r["id"] is not None]
    assert len(ids) == len(set(ids))


def test_dropped_connections_are_retried_without_losing_or_doubling_rows(
    fresh_customers: Customers,
) -> None:
    c = fresh_customers
    expected = read_files(c.sources, c.credentials).take_all()
    c.sandbox.set_faults(FaultConfig(rate_drop=0.15, seed=7, targets=frozenset({"files"})))
    patient = c.credentials.model_copy(update={"max_retries": 10})
    rows = read_files(c.sources, patient, files_per_task=2).take_all()
    assert c.sandbox.fault_calls > 0
    assert _ids(rows) == _ids(expected)


def _with_stranger(c: Customers) -> list[FileSource]:
    """The customers plus one whose workspace the credentials may not reach (another org's)."""
    other = c.sandbox.other_workspace
    stranger = FileSource(
        customer="stranger", workspace_id=other.workspace_id, source_id=other.file_source_id
    )
    return [*c.sources[:3], stranger, *c.sources[3:6]]


def test_a_rejected_customer_is_named(customers: Customers) -> None:
    with pytest.raises(CustomerError, match="customer 'stranger'") as caught:
        read_files(_with_stranger(customers), customers.credentials)
    assert caught.value.customer == "stranger"
    assert "PermissionDeniedError" in str(caught.value)
    assert customers.sandbox.client_secret not in str(caught.value)


def test_skip_goes_on_with_the_other_customers(customers: Customers) -> None:
    rows = read_files(_with_stranger(customers), customers.credentials, on_error="skip").take_all()
    errors = [r for r in rows if r["status"] == "error"]
    assert [(r["customer"], "stranger" in r["reason"]) for r in errors] == [("stranger", True)]
    done = {r["customer"] for r in rows if r["status"] == "document"}
    assert done == {s.customer for s in customers.sources[:6]}


def test_a_rejected_records_customer_fails_the_job_or_gives_an_error_row(
    customers: Customers,
) -> None:
    sb = customers.sandbox
    tenant = sb.tenants[0]
    good = RecordSource(
        customer=tenant.name, workspace_id=tenant.workspace_id, source_id=tenant.stripe_source_id
    )
    bad = RecordSource(
        customer="stranger",
        workspace_id=sb.other_workspace.workspace_id,
        source_id=sb.other_workspace.stripe_source_id,
    )
    with pytest.raises(Exception, match="customer 'stranger'") as caught:
        read_records([good, bad], customers.credentials).take_all()
    assert isinstance(caught.value, CustomerError) or "CustomerError" in str(caught.value)
    rows = read_records([good, bad], customers.credentials, on_error="skip").take_all()
    assert {r["customer"] for r in rows if r["status"] == "document"} == {tenant.name}
    assert [r["customer"] for r in rows if r["status"] == "error"] == ["stranger"]


def test_no_secret_reaches_reprs_task_metadata_stats_or_rows(customers: Customers) -> None:
    secret = customers.sandbox.client_secret
    datasource = FilesDatasource(customers.sources[:4], customers.credentials)
    tasks = datasource.get_read_tasks(4)
    dataset = read_files(customers.sources[:4], customers.credentials)
    rows = dataset.take_all()
    surfaces = [
        repr(customers.credentials),
        str(customers.credentials),
        repr(datasource),
        datasource.get_name(),
        repr(dataset),
        dataset.stats(),
        *(repr(t.metadata) for t in tasks),
        *(repr(t) for t in tasks),
        repr(rows),
    ]
    assert rows
    for text in surfaces:
        assert secret not in text
