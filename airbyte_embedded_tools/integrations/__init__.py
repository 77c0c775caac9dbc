"""Framework adapters: the only modules that import LangChain, LlamaIndex or MCP."""
