"""Bring a live Halo into the sandbox, read-only: `halo-sandbox record` (a tenant snapshot, anonymised by
default) and `halo-sandbox drift` (where the mock's answers and a live Halo's differ in shape).

`client.ReadOnlyHalo` is the one way either talks to a live tenant: the token request and GETs, nothing
else. See README.md ("Your own tenant in the sandbox") for the commands and what anonymisation replaces.
"""
