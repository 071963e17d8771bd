"""Shared by the server's tests."""

BASE = "http://halo.test"
"""The Halo instance the unit tests fake at the HTTP layer with respx."""
