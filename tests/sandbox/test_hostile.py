"""Hostile input against the sandbox: odd headers and names, id probing, huge files."""

from __future__ import annotations

import hashlib
import http.client
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sandbox_helpers import bearer_for, files_path, proxy_path

from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.sandbox.file_store import CONTENT_HASH_MAX

HUGE = 2 * 1024**3


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with literal ``%2e%2e`` names, a name that is not UTF-8 and a sparse 2 GiB file."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "%2e%2e").write_text("a file named %2e%2e\n")
    (root / "dir" / "%2e%2e").mkdir(parents=True)
    (root / "dir" / "%2e%2e" / "x.txt").write_text("deeper\n")
    (root / "ok.txt").write_text("fine\n")
    (root / "back\\slash.txt").write_text("a backslash in a key\n")
    with open(os.path.join(os.fsencode(root), b"latin1-\xff.txt"), "wb") as handle:
        handle.write(b"not an S3 key\n")
    with (root / "huge.bin").open("wb") as handle:
        handle.truncate(HUGE)  # sparse: no disk used, but 2 GiB to read for a content hash
    return root


@pytest.fixture(scope="module")
def sb(store: Path) -> Iterator[Sandbox]:
    with Sandbox(files_dir=store) as sandbox:
        yield sandbox


@pytest.fixture
def api(sb: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sb.base_url, timeout=30) as client:
        yield client


def raw_get(sb: Sandbox, path: str, auth: dict[str, str]) -> tuple[int, bytes]:
    """GET a path exactly as written (httpx would normalise the percent-encoding)."""
    url = urlsplit(sb.base_url)
    connection = http.client.HTTPConnection(str(url.hostname), url.port, timeout=10)
    try:
        connection.request("GET", path, headers=auth)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_non_ascii_header_value_is_a_clear_422(sb: Sandbox, api: httpx.Client) -> None:
    auth = bearer_for(sb, api)
    before = len(sb.upstream_requests)
    call = {
        "method": "GET",
        "url": "https://api.stripe.com/v1/invoices",
        "headers": {"X-Note": "café"},
    }
    answer = api.post(proxy_path(sb.stripe_source_id), json=call, headers=auth)
    assert answer.status_code == 422  # was a 500, which clients retry
    assert "'X-Note'" in answer.json()["detail"]
    assert "ASCII" in answer.json()["detail"]
    assert len(sb.upstream_requests) == before


def test_odd_names_never_break_a_listing(sb: Sandbox, api: httpx.Client) -> None:
    auth = bearer_for(sb, api)
    everything = api.get(files_path(sb.file_source_id, "list"), headers=auth)
    assert everything.status_code == 200, everything.text
    assert [f["path"] for f in everything.json()["files"]] == [
        "%2e%2e",
        "back\\slash.txt",
        "dir/%2e%2e/x.txt",
        "huge.bin",
        "ok.txt",
    ]  # the name that is not UTF-8 cannot be an S3 key: left out, the rest listed
    top = api.get(files_path(sb.file_source_id, "list"), params={"recursive": "false"},
                   headers=auth).json()  # fmt: skip
    assert top["prefixes"] == ["dir/"]
    deeper = api.get(files_path(sb.file_source_id, "list", "dir/"), headers=auth)
    assert [f["path"] for f in deeper.json()["files"]] == ["dir/%2e%2e/x.txt"]
    status, body = raw_get(sb, f"/api/v1/sonar/files/{sb.file_source_id}/get/%252e%252e", auth)
    assert (status, body) == (200, b"a file named %2e%2e\n")  # the literal key, decoded once
    status, _ = raw_get(sb, f"/api/v1/sonar/files/{sb.file_source_id}/get/%2e%2e/ok.txt", auth)
    assert status == 400  # a real '..' segment is still refused


def test_a_foreign_source_answers_exactly_like_an_unknown_one(
    sb: Sandbox, api: httpx.Client
) -> None:
    auth = bearer_for(sb, api)
    other = sb.other_workspace
    call = {"method": "GET", "url": "https://api.stripe.com/v1/invoices"}
    unknown_id = "4f1c2b6e-0000-4000-8000-000000000000"
    pairs = [
        (proxy_path(other.stripe_source_id), proxy_path(unknown_id), other.stripe_source_id),
        (files_path(other.file_source_id, "list"), files_path(unknown_id, "list"),
         other.file_source_id),
        (files_path(other.file_source_id, "get", "ok.txt"), files_path(unknown_id, "get", "ok.txt"),
         other.file_source_id),
    ]  # fmt: skip
    for foreign_path, unknown_path, foreign_id in pairs:
        if "/apis/" in foreign_path:
            foreign = api.post(foreign_path, json=call, headers=auth)
            unknown = api.post(unknown_path, json=call, headers=auth)
        else:
            foreign, unknown = (
                api.get(foreign_path, headers=auth),
                api.get(unknown_path, headers=auth),
            )
        assert foreign.status_code == unknown.status_code == 404
        assert foreign.text.replace(foreign_id, unknown_id) == unknown.text
        assert dict(foreign.headers).keys() == dict(unknown.headers).keys()


def test_huge_files_get_a_cheap_stable_etag_that_follows_their_content(
    sb: Sandbox, api: httpx.Client, store: Path
) -> None:
    auth = bearer_for(sb, api)
    path = files_path(sb.file_source_id, "get", "huge.bin")
    started = time.monotonic()
    first = api.head(path, headers=auth)
    elapsed = time.monotonic() - started
    assert first.status_code == 200
    assert first.headers["content-length"] == str(HUGE)
    assert elapsed < 3.0  # hashing 2 GiB took 9 s; a stat takes milliseconds
    etag = first.headers["etag"]
    listed = api.get(files_path(sb.file_source_id, "list"), headers=auth).json()["files"]
    assert next(f["etag"] for f in listed if f["path"] == "huge.bin") == etag
    assert api.head(path, headers=auth).headers["etag"] == etag  # stable while untouched
    huge = store / "huge.bin"
    stat = huge.stat()
    with huge.open("r+b") as handle:  # same size, and the modification time put back
        handle.seek(HUGE // 2)
        handle.write(b"x")
    os.utime(huge, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (huge.stat().st_size, huge.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    assert api.head(path, headers=auth).headers["etag"] != etag
    small = api.head(files_path(sb.file_source_id, "get", "ok.txt"), headers=auth)
    digest = hashlib.md5(b"fine\n").hexdigest()
    assert small.headers["etag"] == f'"{digest}"'  # small files: the MD5 of their content
    assert HUGE > CONTENT_HASH_MAX
