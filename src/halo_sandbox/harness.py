"""Run `halo-sandbox up`, `mock` or `mcp` as a child process: on a free 127.0.0.1 port, waited for
until it answers, its output drained in the background, stopped (SIGTERM, then SIGKILL).

Used by the end-to-end and reliability tests, the benchmarks and `nox -s conformance`; usable from
a user's own test suite:

    from halo_sandbox.harness import start

    with start("up", "--seed", "7") as sandbox:
        ...  # sandbox.mcp_url, sandbox.base, sandbox.admin("POST", "/reset")

`serving(app)` serves an ASGI app with uvicorn inside the caller's event loop instead (no child
process), for as long as an `async with` block lasts.

Environment: the child gets the parent's environment without any `HALO_*` variable (its settings
come from its arguments), plus what `env=` adds. Readiness: `up` and `mock` answer
`GET /api/authinfo` with 200; `mcp --transport http|sse` answers anything on its path.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from halo_sandbox.protocol import ADMIN_KEY_HEADER, CONTROL_PREFIX

__all__ = [
    "HarnessError",
    "Process",
    "clean_env",
    "cli_path",
    "free_port",
    "token_form",
    "main",
    "serving",
    "start",
    "terminate",
]

#: Where each command is ready: the path polled and the status it must answer (None: any answer).
_READY: Mapping[str, tuple[str, int | None]] = {"up": ("/api/authinfo", 200), "mock": ("/api/authinfo", 200)}


class HarnessError(RuntimeError):
    """The process exited or did not become ready in time; the message ends with its output."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the OS's pick)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(
    app: Any, *, sock: socket.socket | None = None, startup_timeout: float = 10, **config: Any
) -> AsyncIterator[int]:
    """Serve ``app`` with uvicorn in a task of the running event loop, on ``sock`` (default: a free
    127.0.0.1 port), until the block ends; yields the port once the server has started. ``config``
    goes to `uvicorn.Config` (default: no log config, lifespan on)."""
    import anyio
    import uvicorn

    if sock is None:  # TCP by protocol number too, so asyncio sets TCP_NODELAY on its connections
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, **{"log_config": None, "lifespan": "on", **config}))
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(lambda: server.serve(sockets=[sock]))
            with anyio.fail_after(startup_timeout):
                while not server.started:
                    await anyio.sleep(0.01)
            try:
                yield sock.getsockname()[1]
            finally:
                server.should_exit = True
    finally:
        sock.close()


def cli_path() -> str:
    """The `halo-sandbox` script next to the running interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / "halo-sandbox"
    if beside.exists():
        return str(beside)
    found = shutil.which("halo-sandbox")
    if found is None:
        raise HarnessError("halo-sandbox is not installed next to this Python nor on PATH")
    return found


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without `HALO_*` variables, plus `extra` (a wide terminal for tables)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALO_")}
    return {**env, "COLUMNS": "200", **extra}


def terminate(proc: subprocess.Popen[Any], *, timeout: float = 15) -> None:
    """SIGTERM, then SIGKILL if `proc` has not exited within `timeout` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Process:
    """A running `halo-sandbox` command. `output()` is everything it printed so far (stdout and stderr)."""

    def __init__(
        self, proc: subprocess.Popen[str], *, command: str, port: int, state_dir: Path, admin_key: str | None
    ) -> None:
        self.proc = proc
        self.command = command
        self.port = port
        self.state_dir = state_dir
        self.admin_key = admin_key
        self.base = f"http://127.0.0.1:{port}"
        self._chunks: list[str] = []
        self._drainer = threading.Thread(
            target=self._drain, name=f"halo-sandbox {command} output", daemon=True
        )
        self._drainer.start()
        self._scratch: tempfile.TemporaryDirectory[str] | None = None

    @property
    def mcp_url(self) -> str:
        return f"{self.base}/mcp"

    @property
    def sse_url(self) -> str:
        return f"{self.base}/sse"

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._chunks.append(line)

    def output(self) -> str:
        return "".join(self._chunks)

    def wait_output(self, text: str, *, timeout: float = 10) -> str:
        """The output once it contains `text` (or once `timeout` seconds pass, or the process ends)."""
        deadline = time.monotonic() + timeout
        while text not in self.output() and time.monotonic() < deadline and self._drainer.is_alive():
            time.sleep(0.02)
        return self.output()

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call to the admin API (`/_sandbox{path}`) with the admin key; raises on a 4xx/5xx answer."""
        headers = {ADMIN_KEY_HEADER: self.admin_key} if self.admin_key else {}
        response = httpx.request(
            method, f"{self.base}{CONTROL_PREFIX}{path}", headers=headers, timeout=60, **kwargs
        )
        if response.is_error:
            raise HarnessError(
                f"{method} {CONTROL_PREFIX}{path} answered {response.status_code}: {response.text}"
            )
        return response

    def wait_ready(self, *, path: str, status: int | None, timeout: float) -> None:
        """Poll `path` until it answers (with `status`, when given); raises `HarnessError` when the
        process exits first or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                self._drainer.join(timeout=5)
                raise HarnessError(
                    f"halo-sandbox {self.command} exited with {self.proc.returncode}:\n{self.output()}"
                )
            try:
                answer = httpx.get(f"{self.base}{path}", timeout=2)
                if status is None or answer.status_code == status:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise HarnessError(
                    f"halo-sandbox {self.command} did not answer {path} within {timeout:g} s:\n"
                    f"{self.output()}"
                )
            time.sleep(0.05)

    def stop(self, *, timeout: float = 15) -> str:
        """SIGTERM, then SIGKILL after `timeout` seconds; returns everything the process printed."""
        terminate(self.proc, timeout=timeout)
        self._drainer.join(timeout=timeout)
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None
        return self.output()

    def kill(self) -> None:
        """SIGKILL at once (a crash, as far as clients can tell)."""
        self.proc.kill()
        self.proc.wait()

    def __enter__(self) -> Process:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def token_form(client_id: str, client_secret: str, *, scope: str = "all") -> dict[str, str]:
    """The form of a client-credentials token request (`POST /auth/token`)."""
    return {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
        "scope": scope,
    }


DEFAULT_ADMIN_KEY = "harness-admin-key"
"""The admin key `start` gives an `up` or `mock` process unless told otherwise (the pytest plugin's
``halo_sandbox`` process has it)."""


def start(
    command: str,
    *args: str,
    port: int | None = None,
    state_dir: Path | str | None = None,
    admin_key: str | None = DEFAULT_ADMIN_KEY,
    env: Mapping[str, str] | None = None,
    ready_path: str | None = None,
    ready_status: int | None = None,
    wait: bool = True,
    timeout: float = 60,
    cli: str | None = None,
    extra_args: Sequence[str] = (),
) -> Process:
    """Start `halo-sandbox <command> --port <port> [--state-dir <dir>] <args>` and (with `wait`) return
    once it is ready. `port` defaults to a free one; `state_dir` (up, mock) to a temporary directory
    removed on `stop()`; `admin_key` is passed as `HALO_SANDBOX_ADMIN_KEY` (up, mock)."""
    port = free_port() if port is None else port
    argv = [cli or cli_path(), command, "--port", str(port)]
    scratch = None
    if command in ("up", "mock"):
        if state_dir is None:
            scratch = tempfile.TemporaryDirectory(prefix=f"halo-sandbox-{command}-")
            state_dir = scratch.name
        argv += ["--state-dir", str(state_dir)]
    variables = dict(env or {})
    if admin_key is not None and command in ("up", "mock"):
        variables.setdefault("HALO_SANDBOX_ADMIN_KEY", admin_key)
    proc = subprocess.Popen(
        [*argv, *args, *extra_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=clean_env(**variables),
        stdin=subprocess.DEVNULL,
    )
    process = Process(
        proc,
        command=command,
        port=port,
        state_dir=Path(state_dir or "."),
        admin_key=admin_key if command in ("up", "mock") else None,
    )
    process._scratch = scratch
    if wait:
        default_path, default_status = _READY.get(command, ("/mcp", None))
        process.wait_ready(
            path=ready_path or default_path,
            status=ready_status if ready_path is not None else default_status,
            timeout=timeout,
        )
    return process


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m halo_sandbox.harness COMMAND [ARGS...] -- PROGRAM [ARGS...]`: start `halo-sandbox
    COMMAND ARGS` on a free port, run PROGRAM once it is ready (`{base}`, `{mcp_url}` and `{port}` in
    its arguments are filled in), stop the sandbox; exits with PROGRAM's status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--" not in args or args.index("--") == 0 or args[-1] == "--":
        print(main.__doc__, file=sys.stderr)
        return 2
    split = args.index("--")
    command, options, program = args[0], args[1:split], args[split + 1 :]
    try:
        process = start(command, *options, timeout=120)
    except HarnessError as exc:
        print(exc, file=sys.stderr)
        return 1
    with process:
        values = {"{base}": process.base, "{mcp_url}": process.mcp_url, "{port}": str(process.port)}
        filled = []
        for part in program:
            for placeholder, value in values.items():
                part = part.replace(placeholder, value)
            filled.append(part)
        return subprocess.run(filled, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
