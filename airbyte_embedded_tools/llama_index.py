"""LlamaIndex face: the tool spec, ``FunctionTool``s, and the reader.

Imported lazily; needs the ``llama-index`` extra
(``pip install 'airbyte-embedded-tools[llama-index]'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

if TYPE_CHECKING:
    from ._integrations.llama_index_reader import AirbyteEmbeddedReader
    from ._integrations.llama_index_tools import (
        AirbyteEmbeddedToolSpec,
        AirbyteFunctionTool,
        to_function_tool,
    )
    from .tools.context import CustomerContext, bind_customer

_TOOLS = "airbyte_embedded_tools._integrations.llama_index_tools"
_READER = "airbyte_embedded_tools._integrations.llama_index_reader"
_CONTEXT = "airbyte_embedded_tools.tools.context"

__all__ = [
    "AirbyteEmbeddedReader",
    "AirbyteEmbeddedToolSpec",
    "AirbyteFunctionTool",
    "CustomerContext",
    "bind_customer",
    "to_function_tool",
]

_HOMES = {"AirbyteEmbeddedReader": _READER, "CustomerContext": _CONTEXT, "bind_customer": _CONTEXT}

__getattr__ = lazy_exports(__name__, {name: _HOMES.get(name, _TOOLS) for name in __all__})
