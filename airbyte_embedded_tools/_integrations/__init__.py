"""Framework adapters: LangChain, LlamaIndex and MCP faces of the neutral tools and loaders.

With ``demo/`` (the offline walk-through) and ``ray/`` (Ray Data), the only modules that import a
framework; the core below them imports httpx and pydantic only.
"""
