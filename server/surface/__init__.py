"""The MCP surface, one module per MCP feature as the SDK keeps them.

- `tools`: `tools/list` and `tools/call` over the `Executor` (the tools themselves are generated in
  `..tools` from `..catalogue`)
- `resources`: the lookup tables and the `halo://tickets/{id}` template, read live from Halo
- `prompts`: the seed workflows as step-by-step instructions
- `completions`: prompt arguments and template variables completed from live data
- `reads`: the GETs to Halo that resources and completions share (errors become `MCPError`s)

Each module offers `*_handlers(...)` returning the `on_*` keyword arguments of the SDK's low-level
`Server(...)`; `..mcp_app.build_mcp_server` assembles them.
"""
