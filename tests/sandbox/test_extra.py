"""Importing the sandbox without its extra names the extra to install."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SCRIPT = """
import json, sys
sys.modules[{module!r}] = None  # as if the 'sandbox' extra were not installed
try:
    import airbyte_embedded_tools.sandbox
except ImportError as exc:
    print(json.dumps([type(exc).__name__, exc.name, str(exc)]))
else:
    print(json.dumps(["imported", None, ""]))
"""


@pytest.mark.parametrize("module", ["starlette", "uvicorn", "fpdf"])
def test_a_missing_extra_is_named_with_the_command_to_install_it(module: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(module=module)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    kind, name, message = json.loads(proc.stdout)
    assert (kind, name) == ("ImportError", module)
    assert f"'sandbox' extra ({module} missing)" in message
    assert 'pip install "airbyte-embedded-tools[sandbox]"' in message
