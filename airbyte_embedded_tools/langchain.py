"""LangChain face: the toolkit, one ``BaseTool`` per tool, and the document loader.

Imported lazily, so that ``import airbyte_embedded_tools.langchain`` costs nothing until a name
is used; needs the ``langchain`` extra (``pip install 'airbyte-embedded-tools[langchain]'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

if TYPE_CHECKING:
    from ._integrations.langchain_loader import AirbyteEmbeddedLoader
    from ._integrations.langchain_tools import (
        AirbyteEmbeddedToolkit,
        AirbyteToolAdapter,
        to_langchain_tool,
    )
    from .tools.context import CustomerContext, bind_customer

_TOOLS = "airbyte_embedded_tools._integrations.langchain_tools"
_LOADER = "airbyte_embedded_tools._integrations.langchain_loader"
_CONTEXT = "airbyte_embedded_tools.tools.context"

__all__ = [
    "AirbyteEmbeddedLoader",
    "AirbyteEmbeddedToolkit",
    "AirbyteToolAdapter",
    "CustomerContext",
    "bind_customer",
    "to_langchain_tool",
]

_HOMES = {"AirbyteEmbeddedLoader": _LOADER, "CustomerContext": _CONTEXT, "bind_customer": _CONTEXT}

__getattr__ = lazy_exports(__name__, {name: _HOMES.get(name, _TOOLS) for name in __all__})
