"""Every eval run is kept in the data folder; the newest are summarised for QA."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from replydraft.evals.archive import latest_reports

KeepRun = Callable[[Path, str, list[str]], Path]


def test_runs_are_kept_newest_first_with_their_verdict_and_suite_rates(
        tmp_path: Path, keep_eval_run: KeepRun) -> None:
    folder = tmp_path / "eval-reports"
    keep_eval_run(folder, "2026-03-01T10:00:00+00:00", ["passed", "failed"])
    keep_eval_run(folder, "2026-03-02T10:00:00+00:00", ["passed", "passed"])
    reports = latest_reports(folder, limit=5)
    assert [r.id for r in reports] == ["20260302T100000", "20260301T100000"]
    newest, oldest = reports
    assert newest.passed is True and newest.by_suite["policy"].pass_rate == 1.0
    assert oldest.passed is False and oldest.by_suite["policy"].failed == 1
    assert oldest.reasons and "policy" in oldest.reasons[0]
    assert newest.cases == 2 and newest.knowledge_version == 4
    assert [r.id for r in latest_reports(folder, limit=1)] == ["20260302T100000"]


def test_only_the_newest_runs_are_kept(tmp_path: Path, keep_eval_run: KeepRun) -> None:
    from replydraft.evals import archive

    folder = tmp_path / "eval-reports"
    for day in range(1, archive.KEEP + 3):
        keep_eval_run(folder, f"2026-03-{day:02d}T10:00:00+00:00", ["passed"])
    kept = sorted(p.name for p in folder.iterdir())
    assert len(kept) == archive.KEEP
    assert kept[0] == "20260303T100000.json"


def test_a_file_that_is_not_a_results_file_is_skipped(tmp_path: Path,
                                                      keep_eval_run: KeepRun) -> None:
    folder = tmp_path / "eval-reports"
    keep_eval_run(folder, "2026-03-01T10:00:00+00:00", ["passed"])
    (folder / "99999999T999999.json").write_text("{not json", encoding="utf-8")
    assert [r.id for r in latest_reports(folder, limit=5)] == ["20260301T100000"]
    assert latest_reports(tmp_path / "missing", limit=5) == []
