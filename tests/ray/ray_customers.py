"""The many-customer sandbox the Ray tests read from (one helper builds the tenants)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from airbyte_embedded_tools.ray import Credentials, FileSource
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.sandbox.seed_files import seed_documents

CUSTOMERS = 24
FIXED_MTIME = 1_750_000_000


@dataclass
class Customers:
    """A running sandbox with ``CUSTOMERS`` customers' files, and how to reach them."""

    sandbox: Sandbox
    root: Path
    credentials: Credentials
    sources: list[FileSource]


def write_customer_files(root: Path, index: int) -> None:
    """A few files of one customer: text of its own, a PDF, and for some a binary and a
    broken PDF (skipped with a reason)."""
    seeds = seed_documents()
    folder = root / "customers" / f"c{index:02d}"
    files = {
        "notes.md": f"# Customer {index}\n\nRenewal notes for customer {index}.\n".encode(),
        "ticket.txt": f"Ticket for customer {index}: the export is slow.\n".encode(),
        "data/profile.json": f'{{"customer": {index}, "plan": "pro"}}'.encode(),
        "contracts/order-form.pdf": seeds["contracts/globex-order-form.pdf"],
    }
    if index % 3 == 0:
        files["images/logo.png"] = seeds["images/logo.png"]
    if index % 4 == 1:
        files["misc/broken.pdf"] = seeds["misc/broken.pdf"]
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))


def many_customers(root: Path, count: int = CUSTOMERS) -> Iterator[Customers]:
    """A sandbox serving ``count`` customers, alternating between the demo organization's two
    workspaces, each customer under its own prefix of that workspace's file source.

    The one place that builds the tenants: it becomes ``Sandbox(tenants=count)`` once the
    sandbox has per-customer workspaces.
    """
    for index in range(count):
        write_customer_files(root, index)
    with Sandbox(files_dir=root) as sb:
        workspaces = (sb.primary, sb.sibling_workspace)
        sources = [
            FileSource(
                customer=f"customer-{index:02d}",
                workspace_id=workspaces[index % 2].workspace_id,
                source_id=workspaces[index % 2].file_source_id,
                prefix=f"customers/c{index:02d}/",
            )
            for index in range(count)
        ]
        credentials = Credentials(
            client_id=sb.client_id, client_secret=sb.client_secret, base_url=sb.base_url
        )
        yield Customers(sb, root, credentials, sources)
