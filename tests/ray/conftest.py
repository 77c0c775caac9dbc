"""One local Ray for every test here, and the many-customer sandboxes they read from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from ray_customers import Customers, many_customers  # noqa: E402


@pytest.fixture(scope="package")
def ray_session() -> Iterator[None]:
    """A local Ray on 2 CPUs, no dashboard, shut down after the last test of this folder."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="package")
def customers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Customers]:
    """The many-customer sandbox (20 tenants and acme), shared by the tests that change nothing."""
    yield from many_customers(tmp_path_factory.mktemp("customers"))


@pytest.fixture
def fresh_customers(tmp_path: Path) -> Iterator[Customers]:
    """A small sandbox of its own (acme and 3 tenants), for tests that change files or faults."""
    yield from many_customers(tmp_path, tenants=3)
