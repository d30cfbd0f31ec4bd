"""The bench runs end to end at tiny sizes; its figures are not judged here."""

import json
from pathlib import Path

from bench.cli import main

WORKLOADS = [
    "write",
    "registration new",
    "registration known",
    "history",
    "report 2k",
    "report 10k",
]


def test_quick_bench_writes_json_with_every_workload_and_exact_reports(
    tmp_path: Path, postgres_unreachable: str | None
) -> None:
    out = tmp_path / "bench.json"

    status = main(["--quick", "--rounds", "1", "--json", str(out)])

    report = json.loads(out.read_text())
    assert status == 0
    expected_backends = ["sqlite"] if postgres_unreachable else ["sqlite", "postgres"]
    assert [b["backend"] for b in report["backends"]] == expected_backends
    assert report["skipped"] == (
        {"postgres": postgres_unreachable} if postgres_unreachable else {}
    )
    for backend in report["backends"]:
        name = backend["backend"]
        results = [r for r in report["results"] if r["backend"] == name]
        assert [r["workload"] for r in results] == WORKLOADS
        raw = "aiosqlite" if name == "sqlite" else "asyncpg"
        sides = ["project", raw, "sqlite3"] if name == "sqlite" else ["project", raw]
        assert all(sorted(r["sides"]) == sorted(sides) for r in results)
        assert all(len(side["rounds_s"]) == 1 for r in results for side in r["sides"].values())
        assert all(r["ratio_project_to_raw"] > 0 for r in results)

        reports = [c for c in backend["exactness"] if c["workload"].startswith("report")]
        assert [(c["inexact_groups"], c["sides_disagreeing"]) for c in reports] == [
            (0, []),
            (0, []),
        ]
        assert backend["known_user_statements"] == 1
        assert [load["exchanges"] for load in backend["loads"]] == [2_000, 10_000]
