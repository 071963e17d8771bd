"""The MCP server under test and how the verify run reaches it: a command spoken to over stdio, or
a URL (Streamable HTTP, or the legacy HTTP+SSE transport for a URL ending in ``/sse``), optionally
with a command the run starts first and stops afterwards."""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import anyio

from halo_sandbox.verify.served_mock import check_placeholders, fill_placeholders

__all__ = ["ServerTarget", "TargetError", "connect"]


class TargetError(Exception):
    """The server under test could not be started or never answered (exit code 2)."""


@dataclass(frozen=True, kw_only=True)
class ServerTarget:
    command: str | None = None
    url: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    startup_timeout: float = 30.0

    def __post_init__(self) -> None:
        if not self.command and not self.url:
            raise ValueError("give --server-command (stdio) or --server-url (HTTP), or both")
        if self.command is not None and not shlex.split(self.command):
            raise ValueError("--server-command is empty")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"--server-url must be an http(s) URL, got {self.url!r}")
        if self.command is not None:
            check_placeholders(self.command, where="--server-command")
        if self.url is not None:
            check_placeholders(self.url, where="--server-url")
        for name, value in self.env.items():
            check_placeholders(value, where=f"--env {name}")

    @property
    def restartable(self) -> bool:
        """Whether the run starts the server itself (and so can give a check a fresh process)."""
        return bool(self.command)

    @property
    def transport(self) -> str:
        if not self.url:
            return "stdio"
        return "sse" if self.url.rstrip("/").endswith("/sse") else "streamable-http"

    def describe(self, values: Mapping[str, str]) -> dict[str, Any]:
        return {
            "transport": self.transport,
            "command": fill_placeholders(self.command, dict(values)) if self.command else None,
            "url": fill_placeholders(self.url, dict(values)) if self.url else None,
        }


def parse_env(pairs: Sequence[str]) -> dict[str, str]:
    """``["K=V", ...]`` -> ``{"K": "V"}``; raises ``ValueError`` for an entry without ``=``."""
    env: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--env takes NAME=VALUE, got {pair!r}")
        env[name.strip()] = value
    return env


def _wait_for_url(url: str, process: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise TargetError(
                f"the server command exited with {process.returncode} before {url} answered:\n" + _tail(log)
            )
        parts = urlsplit(url)
        try:  # a listening socket is enough: an SSE endpoint's GET would never finish
            socket.create_connection(
                (parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)), timeout=1.0
            ).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TargetError(f"{url} did not answer within {timeout:g} s:\n{_tail(log)}") from None
            time.sleep(0.1)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@contextlib.asynccontextmanager
async def connect(target: ServerTarget, values: Mapping[str, str], *, timeout: float) -> AsyncIterator[Any]:
    """An entered `mcp.Client` on the server under test (started first when a command is given).
    Raises `TargetError` when it cannot be started or reached."""
    from mcp import Client, StdioServerParameters
    from mcp.client.sse import sse_client
    from mcp.client.stdio import stdio_client
    from mcp.client.streamable_http import streamable_http_client

    env = {name: fill_placeholders(value, dict(values)) for name, value in target.env.items()}
    argv = shlex.split(fill_placeholders(target.command, dict(values))) if target.command else []
    url = fill_placeholders(target.url, dict(values)) if target.url else None
    with tempfile.TemporaryDirectory(prefix="halo-verify-") as scratch:
        log_path = Path(scratch, "server.log")
        with open(log_path, "w+", encoding="utf-8") as log:
            process = None
            try:
                if url is None:
                    transport: Any = stdio_client(
                        StdioServerParameters(command=argv[0], args=argv[1:], env=env), errlog=log
                    )
                    client = Client(transport, read_timeout_seconds=timeout, cache=None)
                else:
                    if argv:
                        process = _spawn(argv, env, log)
                        await anyio.to_thread.run_sync(
                            _wait_for_url, url, process, target.startup_timeout, log_path
                        )
                    transport = sse_client(url) if target.transport == "sse" else streamable_http_client(url)
                    client = Client(
                        transport,
                        read_timeout_seconds=timeout,
                        cache=None,
                        mode="legacy" if target.transport == "sse" else "auto",
                    )
                entered = False
                try:
                    async with client:
                        entered = True
                        yield client
                except Exception as exc:
                    if entered:
                        raise
                    log.flush()
                    raise TargetError(_start_failure(target, argv, url, exc, log_path)) from None
            finally:
                if process is not None:
                    _stop(process)


def _innermost(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _start_failure(
    target: ServerTarget, argv: Sequence[str], url: str | None, exc: BaseException, log: Path
) -> str:
    """One clear sentence on why the server under test could not be reached, then its output's tail."""
    cause = _innermost(exc)
    reason = str(cause) or type(cause).__name__
    if url is None:
        command = shlex.join(argv)
        head = f"the server command {command!r} did not complete the MCP handshake over stdio ({reason})"
    else:
        head = f"could not open an MCP session at {url} ({reason})"
    tail = _tail(log)
    return head + (f"; its last output:\n{tail}" if tail else "; it printed nothing")


def _spawn(argv: list[str], env: Mapping[str, str], log: IO[str]) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            argv,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    except OSError as exc:
        raise TargetError(f"cannot start {argv[0]!r}: {exc}") from None


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
