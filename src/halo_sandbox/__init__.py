"""halo-mcp-sandbox: a stateful HaloITSM mock tenant and a catalogue-generated MCP server.

One import root. Its rooms:

- `halo_sandbox.mock`: the mock Halo tenant (provider; never imports the server)
- `halo_sandbox.server`: the MCP server that runs against any Halo (consumer; never imports the mock)
- `halo_sandbox.fixtures`: the deterministic seed world
- `halo_sandbox.provisioning`: provisioned MCP URLs and API tokens
- `halo_sandbox.console`: the `/_sandbox/` web console and `halo-sandbox journal`
- `halo_sandbox.sandbox`: the composition behind `halo-sandbox up`
- `halo_sandbox.cli`: the `halo-sandbox` command
"""

__version__ = "0.1.0"
