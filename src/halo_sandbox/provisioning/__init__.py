"""Provisioned MCP servers: filtered, expiring URLs for one account, and API tokens.

- `registry`: the SQLite registry in the state dir (servers, accounts, API tokens)
- `records`: the record types the registry returns, input validation, row conversion
- `state_files`: the state directory (0700) and its private files (0600 from creation)
- `routes`: `/mcp/{token}` (per-token dispatch to a server built for the URL's filter) and the admin API
- `cli`: `halo-sandbox servers ...` and `halo-sandbox tokens ...`
"""
