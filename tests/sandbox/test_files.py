"""The file proxy over HTTP: listing, pagination, ranges, headers, traversal refusals."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sandbox_helpers import bearer_for, files_path

from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.sandbox.file_store import CONTENT_HASH_MAX
from airbyte_embedded_tools.sandbox.seed_files import seed_documents

SEEDED = sorted([*seed_documents(), "data/large.bin"], key=str.encode)


def list_all(
    http: httpx.Client, sb: Sandbox, auth: dict[str, str], prefix: str = "", **params: Any
) -> tuple[list[dict[str, Any]], list[str], int]:
    """(files, prefixes, pages) of a listing walked to the end."""
    files: list[dict[str, Any]] = []
    prefixes: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        query = {**params, **({"page_token": token} if token else {})}
        response = http.get(
            files_path(sb.file_source_id, "list", prefix), params=query, headers=auth
        )
        assert response.status_code == 200, response.text
        body = response.json()
        files.extend(body["files"])
        prefixes.extend(body["prefixes"])
        pages += 1
        token = body["next_page_token"]
        if token is None:
            return files, prefixes, pages


def raw_get(sb: Sandbox, path: str, auth: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """GET a path exactly as written (no client-side normalisation of dots or escapes)."""
    parts = urlsplit(sb.base_url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in auth.items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def test_recursive_listing_has_every_seeded_file(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str]
) -> None:
    files, prefixes, pages = list_all(api, sandbox, auth)
    assert [f["path"] for f in files] == SEEDED
    assert prefixes == []
    assert pages == 1
    by_path = {f["path"]: f for f in files}
    pdf = by_path["contracts/globex-order-form.pdf"]
    content = (sandbox.files_dir / "contracts/globex-order-form.pdf").read_bytes()
    assert pdf["size"] == len(content)
    assert pdf["content_type"] == "application/pdf"
    assert pdf["etag"] == f'"{hashlib.md5(content).hexdigest()}"'
    assert pdf["last_modified"] == "2025-06-30T12:00:00Z"
    assert by_path["reports/q3-revenue.csv"]["content_type"] == "text/csv"
    assert by_path["contracts/acme-master-services-agreement.md"]["content_type"] == "text/markdown"
    assert by_path["images/logo.png"]["content_type"] == "image/png"
    assert by_path["data/large.bin"]["size"] == sandbox.large_file_size == 64 * 1024 * 1024
    assert by_path["notes/empty.txt"]["size"] == 0


def test_prefix_and_non_recursive_listing(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str]
) -> None:
    top, top_prefixes, _ = list_all(api, sandbox, auth, recursive="false")
    assert [f["path"] for f in top] == ["README.md"]
    assert top_prefixes == [
        "contracts/",
        "data/",
        "images/",
        "misc/",
        "notes/",
        "reports/",
        "tickets/",
    ]
    contracts, _, _ = list_all(api, sandbox, auth, "contracts/", recursive="false")
    assert [f["path"] for f in contracts] == [k for k in SEEDED if k.startswith("contracts/")]
    key_prefix, _, _ = list_all(api, sandbox, auth, "reports/q")
    assert [f["path"] for f in key_prefix] == ["reports/q3-revenue.csv"]
    folder_no_slash, prefixes, _ = list_all(api, sandbox, auth, "notes", recursive="false")
    assert folder_no_slash == []
    assert prefixes == ["notes/"]
    nothing, _, _ = list_all(api, sandbox, auth, "nope/")
    assert nothing == []


def test_listing_pagination(sandbox: Sandbox, api: httpx.Client, auth: dict[str, str]) -> None:
    files, _, pages = list_all(api, sandbox, auth, page_size=2)
    assert [f["path"] for f in files] == SEEDED
    assert pages == (len(SEEDED) + 1) // 2
    mixed, prefixes, mixed_pages = list_all(api, sandbox, auth, recursive="false", page_size=3)
    assert len(mixed) + len(prefixes) == 8
    assert mixed_pages == 3


@pytest.mark.parametrize(
    ("params", "status", "needle"),
    [
        ({"page_size": 0}, 422, "page_size"),
        ({"page_size": "many"}, 422, "page_size"),
        ({"recursive": "maybe"}, 422, "recursive"),
        ({"page_token": "!!!"}, 400, "page_token"),
    ],
)
def test_listing_parameter_errors(
    sandbox: Sandbox,
    api: httpx.Client,
    auth: dict[str, str],
    params: dict[str, Any],
    status: int,
    needle: str,
) -> None:
    response = api.get(files_path(sandbox.file_source_id, "list"), params=params, headers=auth)
    assert response.status_code == status
    assert needle in response.json()["detail"]


def test_get_whole_file(sandbox: Sandbox, api: httpx.Client, auth: dict[str, str]) -> None:
    response = api.get(
        files_path(sandbox.file_source_id, "get", "reports/q3-revenue.csv"), headers=auth
    )
    assert response.status_code == 200
    assert response.content == seed_documents()["reports/q3-revenue.csv"]
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"] == f'"{hashlib.md5(response.content).hexdigest()}"'
    assert parsedate_to_datetime(response.headers["last-modified"]).year == 2025
    assert "content-range" not in response.headers
    empty = api.get(files_path(sandbox.file_source_id, "get", "notes/empty.txt"), headers=auth)
    assert empty.status_code == 200
    assert empty.content == b""


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=0-99", 0, 99),
        ("bytes=-1", -1, -1),
        ("bytes=-16", -16, -1),
        ("bytes=100-", 100, -1),
        ("bytes=5-1000000000", 5, -1),
        ("bytes=-1000000000", 0, -1),
    ],
)
def test_ranges(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str], header: str, start: int, end: int
) -> None:
    key = "contracts/acme-master-services-agreement.md"
    content = seed_documents()[key]
    size = len(content)
    first, last = start % size, end % size
    response = api.get(
        files_path(sandbox.file_source_id, "get", key), headers={**auth, "Range": header}
    )
    assert response.status_code == 206
    assert response.content == content[first : last + 1]
    assert response.headers["content-range"] == f"bytes {first}-{last}/{size}"
    assert int(response.headers["content-length"]) == last - first + 1


def test_large_file_ranges_stream(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str]
) -> None:
    path = files_path(sandbox.file_source_id, "get", sandbox.large_file_path or "")
    on_disk = sandbox.files_dir / "data/large.bin"
    size = on_disk.stat().st_size
    last = api.get(path, headers={**auth, "Range": f"bytes={size - 1}-{size - 1}"})
    assert last.status_code == 206
    with on_disk.open("rb") as handle:
        handle.seek(size - 1)
        assert last.content == handle.read(1)
        handle.seek(1024 * 1024)
        expected_chunk = handle.read(1024 * 1024)
    chunk = api.get(path, headers={**auth, "Range": "bytes=1048576-2097151"})
    assert chunk.content == expected_chunk
    digest = hashlib.md5()
    received = 0
    with api.stream("GET", path, headers=auth) as response:
        assert response.headers["content-length"] == str(size)
        for part in response.iter_bytes():
            digest.update(part)
            received += len(part)
    assert received == size
    assert digest.hexdigest() == hashlib.md5(on_disk.read_bytes()).hexdigest()
    # Bigger than CONTENT_HASH_MAX: an etag of its metadata, not a hash of 64 MiB on first touch.
    assert size > CONTENT_HASH_MAX
    assert response.headers["etag"] != f'"{digest.hexdigest()}"'
    assert response.headers["etag"] == api.head(path, headers=auth).headers["etag"]


@pytest.mark.parametrize("header", ["bytes=5000-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_range_is_416(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str], header: str
) -> None:
    key = "reports/customers.json"
    size = len(seed_documents()[key])
    response = api.get(
        files_path(sandbox.file_source_id, "get", key), headers={**auth, "Range": header}
    )
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"
    assert "not satisfiable" in response.json()["detail"]


def test_range_on_empty_file_is_416(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str]
) -> None:
    response = api.get(
        files_path(sandbox.file_source_id, "get", "notes/empty.txt"),
        headers={**auth, "Range": "bytes=0-1048575"},
    )
    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */0"


@pytest.mark.parametrize(
    "header", ["bytes=abc", "items=0-1", "bytes=0-1,4-5", "bytes=9-3", "bytes=-"]
)
def test_malformed_range_is_400(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str], header: str
) -> None:
    response = api.get(
        files_path(sandbox.file_source_id, "get", "README.md"), headers={**auth, "Range": header}
    )
    assert response.status_code == 400
    assert "range" in response.json()["detail"].lower()


def test_missing_file_is_404(sandbox: Sandbox, api: httpx.Client, auth: dict[str, str]) -> None:
    for key in ("contracts/nope.pdf", "contracts", "notes/" + "ü" * 300):  # a too-long name too
        response = api.get(files_path(sandbox.file_source_id, "get", key), headers=auth)
        assert response.status_code == 404
        assert "not found" in response.json()["detail"]


@pytest.mark.parametrize(
    "tail",
    [
        "get/../../../../etc/passwd",
        "get/contracts/../../secret.txt",
        "get/%2e%2e/%2e%2e/etc/passwd",
        "get/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "get//etc/passwd",
        "get/%2Fetc%2Fpasswd",
        "get/..%5C..%5Cetc%5Cpasswd",
        "get/notes%00.txt",
        "get/C:%5Cwindows%5Cwin.ini",
        "get/./README.md",
        "get/",
        "list/../",
        "list/%2e%2e/",
    ],
)
def test_traversal_is_refused(sandbox: Sandbox, auth: dict[str, str], tail: str) -> None:
    status, body = raw_get(sandbox, f"/api/v1/sonar/files/{sandbox.file_source_id}/{tail}", auth)
    assert status == 400, body
    assert body["detail"]


def test_symlink_out_of_the_store_is_not_followed(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (tmp_path / "secret.txt").write_text("top secret")
    (store / "ok.txt").write_text("fine")
    os.symlink(tmp_path / "secret.txt", store / "leak.txt")
    with Sandbox(files_dir=store) as sb, httpx.Client(base_url=sb.base_url) as http:
        auth = bearer_for(sb, http)
        assert sb.large_file_path is None
        listing = http.get(files_path(sb.file_source_id, "list"), headers=auth).json()
        assert [f["path"] for f in listing["files"]] == ["ok.txt"]
        leak = http.get(files_path(sb.file_source_id, "get", "leak.txt"), headers=auth)
        assert leak.status_code == 400
        assert "top secret" not in leak.text
    assert (tmp_path / "secret.txt").exists()
    assert (store / "ok.txt").exists()


def test_modified_files_change_size_and_etag(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    with httpx.Client(base_url=sb.base_url) as http:
        auth = bearer_for(sb, http)
        path = files_path(sb.file_source_id, "get", "README.md")
        before = http.get(path, headers=auth)
        (sb.files_dir / "README.md").write_text("changed\n")
        (sb.files_dir / "new.txt").write_text("new\n")
        after = http.get(path, headers=auth)
        listing = http.get(
            files_path(sb.file_source_id, "list"), params={"recursive": "false"}, headers=auth
        )
    assert after.content == b"changed\n"
    assert after.headers["etag"] != before.headers["etag"]
    assert [f["path"] for f in listing.json()["files"]] == ["README.md", "new.txt"]
    assert sb.large_file_size == 1024 * 1024


def test_seeded_files_are_deterministic() -> None:
    first, second = seed_documents(), seed_documents()
    assert first == second
    assert first["notes/multilingual-utf16.txt"].startswith(b"\xff\xfe")
    with pytest.raises(UnicodeDecodeError):
        first["notes/legacy-latin1.txt"].decode("utf-8")
    assert b"<script>" in first["contracts/initech-sla.html"]
    assert first["contracts/globex-order-form.pdf"].count(b"/Type /Page\n") == 3
    assert first["misc/broken.pdf"].startswith(b"%PDF")


def test_temp_files_are_removed_on_stop() -> None:
    sb = Sandbox(large_file_size=10)
    with sb:
        root = sb.files_dir
        assert (root / "data/large.bin").stat().st_size == 10
    assert not root.exists()
    with pytest.raises(RuntimeError, match="not running"):
        _ = sb.files_dir


def test_api_source_is_not_a_file_source(
    sandbox: Sandbox, api: httpx.Client, auth: dict[str, str]
) -> None:
    for action in ("list", "get"):
        response = api.get(files_path(sandbox.stripe_source_id, action, "README.md"), headers=auth)
        assert response.status_code == 400
        assert "API source" in response.json()["detail"]
