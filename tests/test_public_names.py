"""Every public name the package root and its framework faces promise resolves to a real object."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "airbyte_embedded_tools",
        "airbyte_embedded_tools.langchain",
        "airbyte_embedded_tools.llama_index",
        "airbyte_embedded_tools.mcp",
        "airbyte_embedded_tools.ray",
        "airbyte_embedded_tools.sandbox",
        "airbyte_embedded_tools.tools",
        "airbyte_embedded_tools.documents",
    ],
)
def test_all_names_resolve(module: str) -> None:
    mod = importlib.import_module(module)
    missing = [name for name in mod.__all__ if getattr(mod, name, None) is None]
    assert not missing, f"{module} promises {missing} but does not provide them"


def test_unknown_name_is_an_attribute_error() -> None:
    lc = importlib.import_module("airbyte_embedded_tools.langchain")
    with pytest.raises(AttributeError, match="NoSuchTool"):
        _ = lc.NoSuchTool
