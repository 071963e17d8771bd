"""The `halo-sandbox verify` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from halo_sandbox.verify.report import PROPERTIES

__all__ = ["verify"]


def verify(
    server_command: Annotated[
        str | None,
        typer.Option(
            "--server-command",
            help="Command starting the server under test (stdio, or with --server-url the HTTP "
            "server to start first). Placeholders: {halo_url} (the sandbox's base URL), {api_url} "
            "({halo_url}/api), {auth_url} (the token endpoint {halo_url}/auth/token), {auth_server} "
            "({halo_url}/auth), {client_id} {client_secret} {tenant}, {port} (a free port), {python}.",
            show_default=False,
        ),
    ] = None,
    server_url: Annotated[
        str | None,
        typer.Option(
            "--server-url",
            help="MCP endpoint to verify over Streamable HTTP (or legacy SSE for a URL ending "
            "in /sse); same placeholders.",
            show_default=False,
        ),
    ] = None,
    env: Annotated[
        list[str] | None,
        typer.Option(
            "--env",
            help="NAME=VALUE for the server command (repeatable; placeholders allowed).",
            show_default=False,
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping", help="JSON or TOML file mapping tool names to {resource, role}.", show_default=False
        ),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the report as JSON here.", show_default=False)
    ] = None,
    junit_path: Annotated[
        Path | None, typer.Option("--junit", help="Write a JUnit XML report here.", show_default=False)
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help=f"Run only these properties (repeatable): {', '.join(PROPERTIES[1:])}.",
            show_default=False,
        ),
    ] = None,
    examples: Annotated[int, typer.Option(min=1, max=1000, help="Generated calls per tool (schemas).")] = 5,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds one tool call may take.")] = 20.0,
    startup_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds the server may take to answer.")
    ] = 30.0,
    sandbox_port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port of the sandbox's mock Halo (0: a free one).")
    ] = 0,
    seed: Annotated[int, typer.Option(help="Fixture seed of the sandbox.")] = 0,
    retry_policy: Annotated[
        str,
        typer.Option(
            "--retry-policy",
            help="How retries on 429/5xx are judged: harm-only (fail only retried writes, ignored "
            "Retry-After, unbounded waits, lost status or message), bounded (also more than 3 "
            "retries of a read, or a retried 4xx), pass-through (any retry fails).",
        ),
    ] = "harm-only",
) -> None:
    """Score any Halo MCP server against a fresh sandbox: schemas, true reads, pagination, error
    pass-through, writes, auth and attachments. Exit codes: 0 every applicable property holds; 1 a
    property failed; 2 verify could not run (usage error, a server that never answers, an internal
    error: one line and the path of a full log); 3 nothing verified (every check skipped)."""
    from rich.console import Console

    errors = Console(stderr=True, soft_wrap=True)
    try:
        _verify(
            server_command=server_command,
            server_url=server_url,
            env=env or [],
            mapping=mapping,
            json_path=json_path,
            junit_path=junit_path,
            only=only or [],
            examples=examples,
            timeout=timeout,
            startup_timeout=startup_timeout,
            sandbox_port=sandbox_port,
            seed=seed,
            retry_policy=retry_policy,
        )
    except (typer.Exit, typer.BadParameter):
        raise
    except KeyboardInterrupt:
        errors.print("halo-sandbox verify: interrupted", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except Exception as exc:  # noqa: BLE001 - never a traceback, never exit 1 (a property failed)
        from halo_sandbox.verify.report import clean
        from halo_sandbox.verify.runner import crash_log

        log = crash_log(exc, context="the verify run")
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        errors.print(
            f"halo-sandbox verify: internal error: {type(exc).__name__}: {clean(first)} (full log: {log})",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(2) from None


def _verify(
    *,
    server_command: str | None,
    server_url: str | None,
    env: list[str],
    mapping: Path | None,
    json_path: Path | None,
    junit_path: Path | None,
    only: list[str],
    examples: int,
    timeout: float,
    startup_timeout: float,
    sandbox_port: int,
    seed: int,
    retry_policy: str,
) -> None:
    import anyio
    from rich.console import Console

    from halo_sandbox.verify.discovery import load_mapping
    from halo_sandbox.verify.report import clean
    from halo_sandbox.verify.runner import VerifyOptions, exit_code, run_verify, write_reports
    from halo_sandbox.verify.target import ServerTarget, TargetError, parse_env

    console = Console(soft_wrap=True)
    if not console.is_terminal:
        console = Console(soft_wrap=True, width=160)
    try:
        target = ServerTarget(
            command=server_command, url=server_url, env=parse_env(env), startup_timeout=startup_timeout
        )
        options = VerifyOptions(
            target=target,
            mapping=load_mapping(mapping) if mapping else None,
            examples=examples,
            timeout=timeout,
            sandbox_port=sandbox_port,
            seed=seed,
            only=tuple(only),
            retry_policy=retry_policy,  # type: ignore[arg-type]  # checked by VerifyOptions
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    try:
        report = anyio.run(run_verify, options)
    except TargetError as exc:
        Console(stderr=True, soft_wrap=True).print(
            f"halo-sandbox verify: {clean(str(exc))}", markup=False, highlight=False
        )
        raise typer.Exit(2) from None
    report.render(console)
    write_reports(report, json_path=json_path, junit_path=junit_path)
    raise typer.Exit(exit_code(report))
