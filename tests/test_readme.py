"""The README's blocks are true: every Python block runs as is, and every CLI line parses.

Each Python block is a complete program; it runs in a subprocess of its own (its own sandbox, no
``AIRBYTE_*`` variable set), with a timeout. A block whose first line is the marker
``# needs: a chat model`` needs a paid model and is skipped, with that reason.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from airbyte_embedded_tools.cli.parser import UsageError, build_parser

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK_RE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
PAID_MODEL_MARKER = "# needs: a chat model"
BLOCK_TIMEOUT = 120
"""Seconds one block may take (a sandbox start and a few calls take about two)."""


def _blocks(language: str) -> list[tuple[str, str]]:
    """``(heading, code)`` of every fenced block in ``language``, the nearest heading above it."""
    text = README.read_text(encoding="utf-8")
    found = []
    for match in BLOCK_RE.finditer(text):
        if match.group(1) != language:
            continue
        headings = re.findall(r"^#+ (.+)$", text[: match.start()], re.MULTILINE)
        found.append((headings[-1] if headings else "top", match.group(2)))
    return found


PYTHON_BLOCKS = _blocks("python")


def _block_id(index: int) -> str:
    heading, _ = PYTHON_BLOCKS[index]
    return f"{index}-{re.sub(r'[^a-z0-9]+', '-', heading.lower()).strip('-')}"


def test_the_readme_has_its_blocks() -> None:
    assert len(PYTHON_BLOCKS) >= 4
    marked = [code for _, code in PYTHON_BLOCKS if PAID_MODEL_MARKER in code]
    headings = [heading for heading, code in PYTHON_BLOCKS if PAID_MODEL_MARKER in code]
    # the agent with a real model, and the web handler serving many customers with one
    assert len(headings) == 2, f"only the two agent examples need a paid model: {headings}"
    assert all(code.startswith(PAID_MODEL_MARKER) for code in marked)


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)), ids=_block_id)
def test_python_block_runs_as_is(index: int, tmp_path: Path) -> None:
    heading, code = PYTHON_BLOCKS[index]
    if code.startswith(PAID_MODEL_MARKER):
        pytest.skip(f"{heading}: {code.splitlines()[0].removeprefix('# ')}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRBYTE_")}
    script = tmp_path / "block.py"
    script.write_text(code, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=BLOCK_TIMEOUT,
        check=False,
        text=True,
    )
    assert proc.returncode == 0, f"the block under {heading!r} failed:\n{proc.stderr}"
    assert proc.stdout.strip(), f"the block under {heading!r} printed nothing"
    assert "Traceback" not in proc.stderr
    assert not re.search(r"^Error: ", proc.stdout, re.MULTILINE), proc.stdout  # a tool refused


def _cli_lines() -> list[list[str]]:
    """The ``airbyte-embedded ...`` command lines of the README's bash blocks, as argv lists."""
    lines = []
    for _, code in _blocks("bash"):
        for line in code.splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["airbyte-embedded"]:
                lines.append(words[1:])
    return lines


def test_every_cli_line_of_the_readme_parses() -> None:
    lines = _cli_lines()
    assert {words[0] for words in lines} >= {"sandbox", "request", "ls", "cat", "token"}
    parser = build_parser()
    for words in lines:
        try:
            args, extra = parser.parse_known_args(words)
        except UsageError as exc:
            raise AssertionError(f"airbyte-embedded {' '.join(words)}: {exc}") from None
        assert not extra or args.command == "demo", words
