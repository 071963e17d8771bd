"""Provisioned MCP servers: filtered, expiring URLs for one account, and API tokens.

- `registry`: the SQLite registry in the state dir (servers, accounts, API tokens)
- `routes`: `/mcp/{token}` (per-token dispatch to a server built for the URL's filter) and the admin API
- `cli`: `halo-sandbox servers ...` and `halo-sandbox tokens ...`
"""
