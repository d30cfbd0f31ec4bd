"""``python -m bench``: every workload on every backend, the table, and ``--json``."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import tempfile
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.run import QUICK, BackendRun, Sizes, run_backend
from bench.stats import Progress, table
from bench.targets import DEFAULT_POSTGRES_URL, PostgresTarget, SqliteTarget


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time the ledger's workloads through the services and the raw drivers.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per workload (5)")
    parser.add_argument(
        "--backends", default="sqlite,postgres", help="comma-separated (sqlite,postgres)"
    )
    parser.add_argument(
        "--no-million", action="store_true", help="stop the report ledger at 100,000 exchanges"
    )
    parser.add_argument(
        "--pool-reset",
        action="store_true",
        help="also run PostgreSQL with asyncpg's reset query on every release, to compare",
    )
    parser.add_argument(
        "--json", metavar="PATH", help="also write the results as JSON ('-': stdout)"
    )
    parser.add_argument("--profile", metavar="DIR", type=Path, help="pyinstrument profiles here")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL")
        or os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="the server to create throw-away databases on",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def sizes_for(args: argparse.Namespace) -> Sizes:
    sizes = QUICK if args.quick else Sizes()
    return replace(sizes, ledgers=sizes.ledgers[:1]) if args.no_million else sizes


def machine() -> dict[str, Any]:
    memory_kib = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kib / 2**20, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


async def run_all(args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    sizes = sizes_for(args)
    wanted = [b.strip() for b in args.backends.split(",") if b.strip()]
    runs: list[BackendRun] = []
    skipped: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as folder:
        for backend in wanted:
            if backend == "sqlite":
                runs.append(
                    await run_backend(
                        SqliteTarget(folder), sizes, args.rounds, progress, args.profile
                    )
                )
            elif backend == "postgres":
                target = PostgresTarget(args.postgres_url)
                reason = await target.reachable()
                if reason is not None:
                    skipped["postgres"] = reason
                    continue
                runs.append(await run_backend(target, sizes, args.rounds, progress, args.profile))
                if args.pool_reset:
                    variant = PostgresTarget(args.postgres_url, pool_reset=True)
                    runs.append(
                        await run_backend(variant, sizes, args.rounds, progress, args.profile)
                    )
            else:
                raise SystemExit(f"unknown backend {backend!r}: use sqlite and/or postgres")
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "rounds": args.rounds,
        "sizes": asdict(sizes),
        "backends": [
            {
                "backend": run.backend,
                "version": run.version,
                "loads": run.loads,
                "exactness": run.exactness,
                "known_user_statements": run.known_user_statements,
            }
            for run in runs
        ],
        "results": [r.as_json() for run in runs for r in run.results],
        "skipped": skipped,
        "_runs": runs,
    }


def summary(report: dict[str, Any]) -> str:
    runs: list[BackendRun] = report["_runs"]
    lines = [
        f"{report['date']}, {report['machine']['cpus']} cores, "
        f"{report['machine']['memory_gib']} GiB, Python {report['machine']['python']}; "
        f"medians of {report['rounds']} rounds (min-max), whole workload per round",
        "",
        table([r for run in runs for r in run.results]),
        "",
    ]
    for run in runs:
        lines.append(f"{run.backend} ({run.version}):")
        for load in run.loads:
            lines.append(
                f"  loaded up to {load['exchanges']:,} exchanges in {load['seconds']:.1f} s "
                f"({load['method']})"
            )
        for check in run.exactness:
            disagreeing = ", ".join(check["sides_disagreeing"]) or "none"
            groups = ""
            if "inexact_groups" in check:
                groups = f"{check['inexact_groups']} inexact groups of {check['groups']:,}; "
            if "plain_sum_inexact_groups" in check:
                groups += f"SQLite's own SUM(cost): {check['plain_sum_inexact_groups']:,} off; "
            lines.append(f"  {check['workload']}: {groups}sides disagreeing: {disagreeing}")
        lines.append(f"  known user registration: {run.known_user_statements} statement(s)")
    for backend, reason in report["skipped"].items():
        lines.append(f"{backend}: skipped ({reason})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    progress = Progress()
    report = asyncio.run(run_all(args, progress))
    progress.done()
    print(summary(report))
    report.pop("_runs")
    if args.json == "-":
        print(json.dumps(report, indent=2))
    elif args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    inexact = sum(
        check.get("inexact_groups", 0) for b in report["backends"] for check in b["exactness"]
    )
    return 1 if inexact else 0
