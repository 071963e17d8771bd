"""The halo-mcp-sandbox MCP server: catalogue-generated Halo tools over Streamable HTTP, SSE and stdio."""
