"""The many-customer sandbox the Ray tests read from: ``Sandbox(tenants=N)``, one tenant
workspace per customer (its own file source and Stripe source), plus the demo workspace as the
customer ``acme`` whose files the tests write (a PDF, a binary and a broken PDF among them)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from airbyte_embedded_tools.ray import Credentials, FileSource
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.sandbox.seed_files import seed_documents

TENANTS = 20
FIXED_MTIME = 1_750_000_000
ACME = "acme"


@dataclass
class Customers:
    """A running sandbox with its customers' files, and how to reach them."""

    sandbox: Sandbox
    root: Path
    """The folder behind ``acme``'s file source (the tests may change it)."""
    credentials: Credentials
    sources: list[FileSource]
    """``acme`` first, then one per tenant (customer name = tenant workspace name)."""


def write_acme_files(root: Path) -> None:
    """The demo workspace's files: text, a PDF, a binary and a broken PDF (the last two are
    skipped with a reason)."""
    seeds = seed_documents()
    files = {
        "notes.md": b"# Acme\n\nRenewal notes for acme.\n",
        "ticket.txt": b"Ticket for acme: the export is slow.\n",
        "contracts/order-form.pdf": seeds["contracts/globex-order-form.pdf"],
        "images/logo.png": seeds["images/logo.png"],
        "misc/broken.pdf": seeds["misc/broken.pdf"],
    }
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))


def many_customers(root: Path, tenants: int = TENANTS) -> Iterator[Customers]:
    """A sandbox serving ``acme`` and ``tenants`` tenant customers, each in its own workspace."""
    write_acme_files(root)
    with Sandbox(files_dir=root, tenants=tenants) as sb:
        acme = FileSource(
            customer=ACME, workspace_id=sb.workspace_id, source_id=sb.primary.file_source_id
        )
        sources = [acme] + [
            FileSource(customer=t.name, workspace_id=t.workspace_id, source_id=t.file_source_id)
            for t in sb.tenants
        ]
        credentials = Credentials(
            client_id=sb.client_id, client_secret=sb.client_secret, base_url=sb.base_url
        )
        yield Customers(sb, root, credentials, sources)
