"""Benchmarks of the sandbox (`python -m bench`, `nox -s bench`): MCP overhead, scale, throughput,
startup and the contracts suite's wall time. Each prints a rich table and one JSON line."""
