"""`python -m bench [overhead scale throughput stall startup contracts context others callprofile] [--quick]
[--profile]
[--install]`: run the benchmarks (all by default) and print a summary of the ratios against their targets."""

from __future__ import annotations

import argparse
from typing import Any

from bench import callprofile, context, contracts, others, overhead, scale, stall, startup, throughput
from bench._support import console, report, verdict

BENCHES = {
    "overhead": overhead,
    "scale": scale,
    "throughput": throughput,
    "stall": stall,
    "startup": startup,
    "contracts": contracts,
    "context": context,
    "others": others,
    "callprofile": callprofile,
}


def _summary(results: dict[str, dict[str, Any]]) -> None:
    rows: list[tuple[str, str, str, str]] = []

    def add(name: str, value: float, target: float, unit: str = "x") -> None:
        rows.append((name, f"{value:.2f}{unit}", f"<= {target:g}{unit}", verdict(value, target)))

    if "overhead" in results:
        for op in ("get", "list"):
            entry = results["overhead"][op]
            add(f"MCP/direct p50, {op}, 2026-07-28", entry["modern_ratio_p50"], overhead.P50_TARGET)
            add(
                f"MCP/direct p50, {op}, legacy session", entry["legacy_ratio_p50"], overhead.P50_LEGACY_TARGET
            )
            add(f"MCP/direct p99, {op}, 2026-07-28", entry["modern_ratio_p99"], overhead.P99_TARGET)
            add(f"MCP/direct p99, {op}, legacy session", entry["legacy_ratio_p99"], overhead.P99_TARGET)
    if "scale" in results:
        for name, values in results["scale"]["latency"].items():
            add(f"100k/1k, {name}", values["ratio"], scale.target(name))
        add("10k traversal last/first page", results["scale"]["traversal"]["ratio"], scale.PAGE_TARGET)
        add("100k generation", results["scale"]["generation_s"], scale.GENERATION_TARGET_S, " s")
        add("RSS up --tickets 100000", results["scale"]["memory"]["rss_mb"], scale.RSS_TARGET_MB, " MB")
    if "startup" in results:
        add("startup to initialize", results["startup"]["median_s"], startup.TARGET_S, " s")
    if "contracts" in results:
        add("nox -s contracts", results["contracts"]["wall_s"], contracts.TARGET_S, " s")
        if results["contracts"]["exit_code"] != 0:
            rows[-1] = (*rows[-1][:3], f"[red]suite failed (exit {results['contracts']['exit_code']})[/red]")
    if "context" in results:
        add("tools/list bytes, discovery / curated all", results["context"]["ratio"], context.TARGET_RATIO)
    if "stall" in results:
        add(
            "longest wait of another client during heavy work",
            results["stall"]["worst_ms"],
            stall.TARGET_MS,
            " ms",
        )
    if "throughput" in results:
        lean = results["throughput"]["lean"]
        for prefix, what in (("", "get"), ("list_", "list")):
            add(
                f"server CPU per tool call / per direct request, {what}",
                lean[f"{prefix}cpu_ratio"],
                throughput.CPU_TARGET,
            )
            if f"{prefix}rate_ratio" in lean:
                ratio = lean[f"{prefix}rate_ratio"]
                rows.append(
                    (
                        f"tool calls/s vs {lean['baseline_ref']} (today's), {what}",
                        f"{ratio:.2f}x",
                        f">= {throughput.RATE_TARGET:g}x",
                        "[green]met[/green]" if ratio >= throughput.RATE_TARGET else "[red]missed[/red]",
                    )
                )
        for name, rate in results["throughput"]["rates_per_s"].items():
            rows.append((name, f"{rate:,.0f}/s", "(context)", ""))
    if "others" in results:
        for server, ops in results["others"]["servers"].items():
            for op, entry in ops.items():
                rows.append(
                    (f"{server}: tool call/direct p50, {op}", f"{entry['ratio_p50']:.2f}x", "(context)", "")
                )
        for server in results["others"]["not_available"]:
            rows.append((server, "not available", "(context)", ""))
    report(
        "summary",
        "Summary",
        ["measure", "value", "target", "verdict"],
        rows,
        {name: result for name, result in results.items()},
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="name", help=f"benchmarks to run (default: all): {', '.join(BENCHES)}"
    )
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    parser.add_argument(
        "--profile", action="store_true", help="throughput: also print a cProfile of the mock"
    )
    parser.add_argument(
        "--install",
        action="store_true",
        help="others: first install the other MCP servers into .nox/_others (npm, PyPI)",
    )
    args = parser.parse_args()
    unknown = set(args.names) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    results: dict[str, dict[str, Any]] = {}
    if args.install and "others" in (args.names or BENCHES):
        others.install()
    for name in args.names or list(BENCHES):
        console.rule(name)
        if name == "throughput":
            results[name] = throughput.run(quick=args.quick, profile=args.profile)
        else:
            results[name] = BENCHES[name].run(quick=args.quick)
    if len(results) > 1:
        _summary(results)


if __name__ == "__main__":
    main()
