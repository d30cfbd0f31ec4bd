"""Rounds, medians and the table."""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass, field
from typing import Any

# Project over raw driver, as the issue sets them; None where only the figure is shown.
RATIO_TARGETS: dict[tuple[str, str], float] = {
    ("sqlite", "write"): 1.2,
    ("postgres", "write"): 1.1,
    ("sqlite", "history"): 1.5,
    ("postgres", "history"): 1.5,
    ("sqlite", "report"): 1.1,
    ("postgres", "report"): 1.1,
}
# The million-row report must also finish within this, through the project.
REPORT_SECONDS = 1.0


@dataclass
class Result:
    """The times of one workload on one backend, per side, in seconds per round."""

    backend: str
    workload: str
    ops: int
    detail: str
    times: dict[str, list[float]] = field(default_factory=dict)

    def median(self, side: str) -> float:
        return statistics.median(self.times[side])

    @property
    def raw_side(self) -> str:
        return "aiosqlite" if self.dialect == "sqlite" else "asyncpg"

    @property
    def dialect(self) -> str:
        return self.backend.split("-", 1)[0]

    @property
    def ratio(self) -> float:
        return self.median("project") / self.median(self.raw_side)

    @property
    def family(self) -> str:
        return self.workload.split(" ", 1)[0]

    @property
    def target(self) -> str:
        limit = RATIO_TARGETS.get((self.dialect, self.family))
        parts = [] if limit is None else [f"<= {limit:.2f}x"]
        if self.workload == "report 1M":
            parts.append(f"< {REPORT_SECONDS:.0f} s")
        return ", ".join(parts)

    @property
    def met(self) -> bool | None:
        limit = RATIO_TARGETS.get((self.dialect, self.family))
        if limit is None:
            return None
        met = self.ratio <= limit
        if self.workload == "report 1M":
            met = met and self.median("project") < REPORT_SECONDS
        return met

    def as_json(self) -> dict[str, Any]:
        sides = {
            name: {
                "median_s": self.median(name),
                "min_s": min(times),
                "max_s": max(times),
                "rounds_s": times,
                "median_us_per_op": self.median(name) / self.ops * 1e6,
            }
            for name, times in self.times.items()
        }
        return {
            "backend": self.backend,
            "workload": self.workload,
            "ops": self.ops,
            "detail": self.detail,
            "sides": sides,
            "ratio_project_to_raw": self.ratio,
            "target": self.target,
            "met": self.met,
        }


def cell(result: Result, side: str) -> str:
    if side not in result.times:
        return "-"
    times = result.times[side]
    med, low, high = result.median(side), min(times), max(times)
    if med >= 1:
        return f"{med:.2f} s ({low:.2f}-{high:.2f})"
    return f"{med * 1e3:.1f} ms ({low * 1e3:.1f}-{high * 1e3:.1f})"


def table(results: list[Result]) -> str:
    """A Markdown table: median (min-max) per side, the ratio and the target."""
    head = ["backend", "workload", "project", "raw driver", "sqlite3", "ratio", "target", ""]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        verdict = {None: "", True: "met", False: "MISSED"}[r.met]
        row = [
            r.backend,
            f"{r.workload} ({r.detail})",
            cell(r, "project"),
            cell(r, r.raw_side),
            cell(r, "sqlite3"),
            f"{r.ratio:.2f}x",
            r.target,
            verdict,
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


class Progress:
    """One line on stderr that rewrites itself on a terminal, plain lines elsewhere."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()

    def __call__(self, text: str) -> None:
        if self.quiet:
            return
        if self.tty:
            sys.stderr.write("\r\033[K" + text)
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def done(self) -> None:
        if self.tty and not self.quiet:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
