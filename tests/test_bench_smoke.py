"""The benchmark's machinery runs end to end at a tiny size and writes results in the agreed
shape, so that `make bench` cannot rot between runs.  Timings are never asserted here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import run
from zhaoshang.evaluation.models import Score
from zhaoshang.projects.models import Project
from zhaoshang.screening.models import Verdict

PAGES = {"enterprise_list", "enterprise_search", "project_list", "kanban"}


@pytest.mark.django_db
def test_benchmark_writes_results_and_report_at_a_tiny_size(tmp_path: Path) -> None:
    committed_json = run.DEFAULT_JSON.read_bytes() if run.DEFAULT_JSON.exists() else None
    committed_md = run.DEFAULT_MD.read_bytes() if run.DEFAULT_MD.exists() else None
    json_path, md_path = tmp_path / "results.json", tmp_path / "benchmarks.md"
    sizes = ["--enterprises", "200", "--projects", "40", "--import-rows", "50", "--runs", "3", "--warmups", "1"]
    sizes += ["--batch-projects", "60"]
    opts = run.parse_args([*sizes, "--json", str(json_path), "--md", str(md_path)])
    said: list[str] = []

    run.execute(opts, say=said.append)

    data: dict[str, Any] = json.loads(json_path.read_text(encoding="utf-8"))
    assert {"database", "enterprises", "projects", "pages", "import"} <= set(data)
    assert data["enterprises"] == 200 and data["projects"] == 40
    assert set(data["pages"]) == PAGES
    for page in data["pages"].values():
        assert {"p50_ms", "p95_ms", "queries", "raw_sql_ms"} <= set(page)
        assert 0 < page["p50_ms"] <= page["p95_ms"]
        assert page["raw_sql_ms"] > 0
        # No query per row: the page over 200 enterprises issues what it issues over 20.
        assert page["queries"] == page["queries_small"]
    assert {"xlsx_rows_per_s", "csv_rows_per_s", "raw_insert_rows_per_s"} <= set(data["import"])
    assert data["import"]["xlsx_created"] == data["import"]["csv_created"] == 50
    assert data["import"]["csv_checkpoint_after_seconds"] >= 0
    assert all(data["import"][k] > 0 for k in ("xlsx_rows_per_s", "csv_rows_per_s", "raw_insert_rows_per_s"))

    # The batch screens and scores every project: the 40 of the pipeline and 20 more.
    batch = data["batch"]
    assert {"screen_and_score_100k_s", "read_100k_s"} <= set(batch) and batch["projects"] == 60
    assert Verdict.objects.count() == Score.objects.count() == Project.objects.count() == 60

    text = md_path.read_text(encoding="utf-8")
    assert "make bench" in text and "973 ms" in text and "coordinator" in text and "Batch screening" in text
    # The committed figures are never overwritten by a test.
    assert (run.DEFAULT_JSON.read_bytes() if run.DEFAULT_JSON.exists() else None) == committed_json
    assert (run.DEFAULT_MD.read_bytes() if run.DEFAULT_MD.exists() else None) == committed_md


def test_benchmark_refuses_sizes_below_its_tiny_registry() -> None:
    with pytest.raises(SystemExit):
        run.parse_args(["--enterprises", "5"])
