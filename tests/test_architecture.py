"""The import direction of docs/architecture.md, checked on the source: layers import only below."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "airbyte_embedded_tools"

# Layer of each top-level module or subpackage; a module may import its own layer or lower ones.
LAYERS: dict[str, int] = {
    "_config": 0,
    "_lazy": 0,
    "_errors": 0,
    "_version": 0,
    "_models": 1,
    "_redact": 1,
    "_refuse": 1,
    "_sources": 1,
    "_upstream": 1,
    "_wire": 2,
    "_inflate": 2,
    "_retry": 2,
    "_affinity": 3,
    "_checks": 3,
    "_request_options": 3,
    "_streaming": 3,
    "_auth": 3,
    "_client": 4,
    "_access": 5,
    "_sync_client": 6,
    "documents": 7,
    "tools": 8,
    "_integrations": 9,
    "langchain": 10,
    "llama_index": 10,
    "mcp": 10,
    "ray": 10,
    "__init__": 10,
    "_demo": 11,
    "cli": 11,
}
FRAMEWORKS = ("langchain", "langchain_core", "llama_index", "mcp", "langgraph", "ray", "pyarrow")
CORE_ALLOWED_THIRD_PARTY = ("httpx", "pydantic", "typing_extensions")
OPTIONAL_EXTRAS = ("pypdf", "tqdm")
"""Extras the core may import lazily, inside the function that needs them."""


def _module_key(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _package_imports(path: Path) -> tuple[set[str], set[str]]:
    """(our top-level modules imported, third-party top-level packages imported) by one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    depth = len(path.relative_to(PACKAGE).parts) - 1
    ours: set[str] = set()
    third: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                up = node.level - 1
                if up > depth:
                    continue
                rel = path.relative_to(PACKAGE).parts[: depth - up]
                parts = [*rel, *(node.module.split(".") if node.module else [])]
                if parts:
                    ours.add(parts[0].removesuffix(".py"))
                else:
                    ours.update(alias.name for alias in node.names)
            elif node.module:
                top = node.module.split(".")[0]
                if top == "airbyte_embedded_tools":
                    sub = node.module.split(".")[1:]
                    ours.update([sub[0]] if sub else [alias.name for alias in node.names])
                else:
                    third.add(top)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "airbyte_embedded_tools" and len(parts) > 1:
                    ours.add(parts[1])
                elif parts[0] != "airbyte_embedded_tools":
                    third.add(parts[0])
    return ours, third


def _top_level_third_party(path: Path) -> set[str]:
    """Third-party packages imported at module level (not inside a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names - {"airbyte_embedded_tools", "__future__"}


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path: Path) -> None:
    key = _module_key(path)
    ours, third = _package_imports(path)
    ours.discard(key)
    if key == "sandbox":
        assert not ours, f"the sandbox must not import the client side: {sorted(ours)}"
        return
    assert "sandbox" not in ours or key in {"_demo", "cli"}, "only the demo and CLI start a sandbox"
    ours.discard("sandbox")
    layer = LAYERS.get(key)
    assert layer is not None, f"{key} has no layer in docs/architecture.md; add it to LAYERS"
    above = {m for m in ours if LAYERS.get(m, 99) > layer}
    assert not above, f"{path.name} ({key}) imports from a higher layer: {sorted(above)}"
    if layer <= LAYERS["tools"]:
        stdlib = set(sys.stdlib_module_names)
        allowed = {*stdlib, *CORE_ALLOWED_THIRD_PARTY}
        foreign = {t for t in third if t not in allowed | set(OPTIONAL_EXTRAS)}
        assert not foreign, f"the core imports only httpx and pydantic, {key} imports {foreign}"
        eager = _top_level_third_party(path) - allowed
        assert not eager, f"{key} imports the optional {sorted(eager)} at import time"


def test_importing_the_package_imports_no_framework() -> None:
    code = (
        "import sys, airbyte_embedded_tools; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]", f"import airbyte_embedded_tools pulled in frameworks: {out}"


def test_the_version_has_one_source() -> None:
    tomllib = pytest.importorskip("tomllib")
    import airbyte_embedded_tools
    from airbyte_embedded_tools import _client as client
    from airbyte_embedded_tools import _version

    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "airbyte_embedded_tools/_version.py"
    assert airbyte_embedded_tools.__version__ == _version.__version__
    assert client.USER_AGENT.split("/") == ["airbyte-embedded-tools", _version.__version__]


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_loggers_redact(path: Path) -> None:
    """Client-side modules log through ``_redact.get_logger`` so every record is masked."""
    if _module_key(path) in {"sandbox", "_redact"}:
        return
    assert "logging.getLogger(" not in path.read_text(encoding="utf-8"), (
        f"{path.name}: use airbyte_embedded_tools._redact.get_logger, not logging.getLogger"
    )
