"""A stateful mock of the HaloITSM REST API (provider side of the sandbox)."""
