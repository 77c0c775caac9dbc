"""``airbyte-embedded ls`` and ``cat`` (stdout, ranges, resumable ``-o``) against the sandbox."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cli_helpers import RunCli

from airbyte_embedded_tools.cli.exit_codes import ExitCode


def _store_files(sb: Any) -> dict[str, Path]:
    root = Path(sb.files_dir)
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}


def _a_text_file(sb: Any) -> str:
    return sorted(p for p in _store_files(sb) if p.endswith(".md"))[0]


def test_ls_json_lists_the_store(cli: RunCli, sandbox: Any) -> None:
    proc = cli("ls", sandbox.file_source_id, "--json")
    assert proc.returncode == 0, proc.stderr
    entries = json.loads(proc.stdout)
    listed = {e["path"]: e["size"] for e in entries}
    expected = _store_files(sandbox)
    md = _a_text_file(sandbox)
    assert listed[md] == expected[md].stat().st_size
    assert set(listed) <= set(expected)


def test_ls_human_table_and_prefix(cli: RunCli, sandbox: Any) -> None:
    md = _a_text_file(sandbox)
    prefix = md.rsplit("/", 1)[0] + "/" if "/" in md else ""
    proc = cli("ls", sandbox.file_source_id, prefix)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert lines[0].split() == ["SIZE", "MODIFIED", "TYPE", "PATH"]
    assert any(line.endswith(md) for line in lines[1:])
    assert all(line.split()[-1].startswith(prefix) for line in lines[1:])
    assert b"file(s)" in proc.stderr


def test_ls_no_recursive_shows_this_level_and_its_folders(cli: RunCli, sandbox: Any) -> None:
    root = Path(sandbox.files_dir)
    top_files = sorted(p.name for p in root.iterdir() if p.is_file())
    top_folders = sorted(f"{p.name}/" for p in root.iterdir() if p.is_dir())
    flat = json.loads(cli("ls", sandbox.file_source_id, "--no-recursive", "--json").stdout)
    deep = json.loads(cli("ls", sandbox.file_source_id, "--json").stdout)
    assert len(flat) < len(deep)
    assert {e["kind"] for e in deep} == {"file"}
    folders = [e for e in flat if e["kind"] == "folder"]
    assert [e["path"] for e in folders] == top_folders
    assert all(set(e) == set(deep[0]) and e["size"] is None for e in folders)
    assert [e["path"] for e in flat if e["kind"] == "file"] == top_files

    human = cli("ls", sandbox.file_source_id, "contracts/", "--no-recursive")
    assert human.returncode == 0, human.stderr
    assert b"folder(s)" not in human.stderr  # contracts/ has no sub-folders
    top = cli("ls", sandbox.file_source_id, "--no-recursive")
    rows = top.stdout.decode().splitlines()[1:]
    assert [row.split()[-1] for row in rows[: len(top_folders)]] == top_folders
    assert all(row.split()[:3] == ["-", "-", "folder"] for row in rows[: len(top_folders)])
    assert f"{len(top_folders)} folder(s)".encode() in top.stderr


def test_cat_to_stdout_is_byte_identical(cli: RunCli, sandbox: Any) -> None:
    md = _a_text_file(sandbox)
    proc = cli("cat", sandbox.file_source_id, md)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == _store_files(sandbox)[md].read_bytes()


def test_cat_range(cli: RunCli, sandbox: Any) -> None:
    data = (Path(sandbox.files_dir) / sandbox.large_file_path).read_bytes()
    proc = cli("cat", sandbox.file_source_id, sandbox.large_file_path, "--range", "1000-1999")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == data[1000:2000]
    tail = cli(
        "cat", sandbox.file_source_id, sandbox.large_file_path, "--range", f"{len(data) - 7}-"
    )
    assert tail.stdout == data[-7:]


def test_cat_missing_file_exit_4(cli: RunCli, sandbox: Any) -> None:
    proc = cli("cat", sandbox.file_source_id, "no/such/file.txt")
    assert proc.returncode == ExitCode.NOT_FOUND
    assert proc.stderr.decode().startswith("error: ")


def test_cat_bad_range_is_a_usage_error(cli: RunCli, sandbox: Any) -> None:
    proc = cli("cat", sandbox.file_source_id, "x", "--range", "9-3")
    assert proc.returncode == 2


def test_cat_output_resumes_a_partial_download(cli: RunCli, sandbox: Any, tmp_path: Path) -> None:
    data = (Path(sandbox.files_dir) / sandbox.large_file_path).read_bytes()
    dest = tmp_path / "large.bin"
    dest.with_name("large.bin.part").write_bytes(data[:1_500_000])  # left by an interrupted run
    first = cli("cat", sandbox.file_source_id, sandbox.large_file_path, "-o", str(dest), "--json")
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    # an unknown .part (no marker from this file) is not trusted: restart from 0
    assert result["resumed_from"] == 0
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
    assert result["sha256"] == hashlib.sha256(data).hexdigest()
    assert not dest.with_name("large.bin.part").exists()


def test_cat_output_continues_a_shorter_file(cli: RunCli, sandbox: Any, tmp_path: Path) -> None:
    data = (Path(sandbox.files_dir) / sandbox.large_file_path).read_bytes()
    dest = tmp_path / "large.bin"
    dest.write_bytes(data[:2_000_003])
    proc = cli("cat", sandbox.file_source_id, sandbox.large_file_path, "-o", str(dest), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["resumed_from"] == 2_000_003
    assert result["size"] == len(data)
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
    again = cli("cat", sandbox.file_source_id, sandbox.large_file_path, "-o", str(dest), "--json")
    assert json.loads(again.stdout)["already_complete"] is True


def test_cat_output_resumes_its_own_part(cli: RunCli, sandbox: Any, tmp_path: Path) -> None:
    """A part left by an earlier run (with its marker) is continued, not restarted."""
    data = (Path(sandbox.files_dir) / sandbox.large_file_path).read_bytes()
    dest = tmp_path / "large.bin"
    full = cli("cat", sandbox.file_source_id, sandbox.large_file_path, "-o", str(dest), "--json")
    assert full.returncode == 0, full.stderr
    # simulate an interruption: the marker a run writes, and only part of the bytes
    marker = {
        "source_id": sandbox.file_source_id,
        "path": sandbox.large_file_path,
        "etag": None,
        "size": len(data),
    }
    probe = cli("ls", sandbox.file_source_id, sandbox.large_file_path, "--json")
    marker["etag"] = json.loads(probe.stdout)[0]["etag"]
    dest.unlink()
    dest.with_name("large.bin.part").write_bytes(data[:777_777])
    dest.with_name("large.bin.part.json").write_text(json.dumps(marker))
    proc = cli("cat", sandbox.file_source_id, sandbox.large_file_path, "-o", str(dest), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["resumed_from"] == 777_777
    assert hashlib.sha256(dest.read_bytes()).digest() == hashlib.sha256(data).digest()
    assert not dest.with_name("large.bin.part.json").exists()


def test_cat_output_failure_leaves_no_half_file(cli: RunCli, sandbox: Any, tmp_path: Path) -> None:
    dest = tmp_path / "missing.txt"
    proc = cli("cat", sandbox.file_source_id, "no/such/file.txt", "-o", str(dest))
    assert proc.returncode == ExitCode.NOT_FOUND
    assert not dest.exists()
