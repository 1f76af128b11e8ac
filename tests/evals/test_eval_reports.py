"""Summary numbers, results JSON, the HTML report and ``eval compare``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from replydraft.cli.main import app
from replydraft.errors import InvalidInput
from replydraft.evals.compare import compare_runs, comparison_json
from replydraft.evals.html_report import render_html
from replydraft.evals.models import (
    RESULTS_FORMAT,
    AssertionResult,
    CaseOutput,
    CaseResult,
    RunMeta,
    RunResults,
)
from replydraft.evals.results import read_results, write_results
from replydraft.evals.summary import summarize


def case(
    key: str, status: str, *, tags: tuple[str, ...] = (), latency: float = 10.0,
    kind: str = "draft", text: str | None = "亲，您好", leak: bool = False,
    assertions: list[tuple[str, Any, str]] | None = None, **output: Any,
) -> CaseResult:
    suite, case_id = key.split("/", 1)
    return CaseResult(
        suite=suite, id=case_id, kind=kind, file=f"evals/{suite}/x.yaml", line=3,
        tags=list(tags), status=status,  # type: ignore[arg-type]
        assertions=[AssertionResult(type=t, expected=e, status=s,  # type: ignore[arg-type]
                                    message=f"{t} {s}") for t, e, s in assertions or []],
        output=CaseOutput(text=text, **output), latency_ms=latency, policy_leak=leak,
        leak_detail="final draft still violates policy" if leak else None,
    )


def run_of(cases: list[CaseResult], **meta: Any) -> RunResults:
    values: dict[str, Any] = {"started_at": "2026-01-01T00:00:00+00:00",
                              "finished_at": "2026-01-01T00:00:05+00:00", "backend": "offline",
                              "knowledge_version": 3, "prompt_versions": ["offline-1"]}
    values.update(meta)
    return RunResults(meta=RunMeta(**values), summary=summarize(cases, min_pass=0.95),
                      cases=cases)


# ---------------------------------------------------------------- summary


def test_pass_rates_by_suite_language_intent_and_assertion() -> None:
    cases = [
        case("drafting/a", "passed", tags=("zh-Hans", "size_advice"),
             assertions=[("mentions_size", "2XL", "passed")]),
        case("drafting/b", "failed", tags=("en", "size_advice"),
             assertions=[("mentions_size", "XL", "failed")]),
        case("drafting/c", "skipped", tags=("en",), assertions=[("judge", "r", "skipped")]),
        case("safety/d", "error", tags=("ko",)),
    ]
    summary = summarize(cases, min_pass=0.95)
    assert summary["by_suite"]["drafting"]["pass_rate"] == 0.5  # skipped is not rated
    assert summary["by_suite"]["drafting"]["skipped"] == 1
    assert summary["by_suite"]["safety"]["pass_rate"] == 0.0
    assert summary["by_language"]["en"]["pass_rate"] == 0.0
    assert summary["by_language"]["zh-Hans"]["pass_rate"] == 1.0
    assert summary["by_intent"]["size_advice"]["pass_rate"] == 0.5
    assert summary["by_assertion"]["mentions_size"] == {
        "passed": 1, "failed": 1, "skipped": 0, "pass_rate": 0.5}
    assert summary["by_assertion"]["judge"]["skipped"] == 1
    assert not summary["verdict"]["passed"]
    assert any("drafting" in r for r in summary["verdict"]["reasons"])


def test_verdict_is_per_suite_and_fails_on_any_leak() -> None:
    passing = [case(f"policy/p{i}", "passed") for i in range(20)]
    weak = [case("drafting/d1", "passed"), case("drafting/d2", "failed")]
    overall_fine = summarize(passing + weak, min_pass=0.9)
    assert overall_fine["overall"]["pass_rate"] > 0.9
    assert not overall_fine["verdict"]["passed"]  # the weak suite is not hidden
    leak = summarize([case("safety/s1", "passed", leak=True)], min_pass=0.0)
    assert not leak["verdict"]["passed"]
    assert leak["leaks"] == ["safety/s1"]
    assert summarize(passing, min_pass=0.95)["verdict"] == {"passed": True, "reasons": []}


def test_retrieval_metrics() -> None:
    cases = [
        case(f"retrieval/r{i}", "passed" if rank and rank <= 5 else "failed", kind="retrieval",
             rank=rank, assertions=[("retrieves", {"source": "x"}, "passed")])
        for i, rank in enumerate([1, 1, 2, 5, None])
    ]
    metrics = summarize(cases)["retrieval"]
    assert metrics["cases"] == 5
    assert metrics["hit@1"] == 0.4
    assert metrics["hit@5"] == 0.8
    assert metrics["mrr"] == pytest.approx((1 + 1 + 0.5 + 0.2) / 5, abs=1e-4)


def test_policy_precision_and_recall_per_category() -> None:
    def policy(key: str, expected: list[str], found: list[str]) -> CaseResult:
        ok = set(expected) == set(found)
        return case(key, "passed" if ok else "failed", kind="policy", categories=found,
                    assertions=[("categories", expected, "passed" if ok else "failed")])

    cases = [
        policy("policy/a", ["guarantee"], ["guarantee"]),
        policy("policy/b", ["guarantee"], []),  # false negative
        policy("policy/c", [], ["off_platform"]),  # false positive on a hard negative
        policy("policy/d", ["off_platform"], ["off_platform"]),
        policy("policy/e", [], []),
    ]
    metrics = summarize(cases)["policy"]
    guarantee = metrics["categories"]["guarantee"]
    assert (guarantee["tp"], guarantee["fn"], guarantee["recall"]) == (1, 1, 0.5)
    assert guarantee["precision"] == 1.0
    off = metrics["categories"]["off_platform"]
    assert (off["tp"], off["fp"], off["precision"], off["recall"]) == (1, 1, 0.5, 1.0)
    assert metrics["categories"]["body_insult"]["recall"] is None
    assert metrics["hard_negatives"] == 2
    assert metrics["false_positive_cases"] == 1


# ---------------------------------------------------------------- results JSON


def test_results_round_trip_with_metadata(tmp_path: Path) -> None:
    run = run_of([case("drafting/a", "passed", tags=("en",))], git_commit="abc123",
                 model=None, durations_s={"total": 1.5})
    path = tmp_path / "out" / "results.json"
    write_results(run, path)
    data = json.loads(path.read_text())
    assert data["format"] == RESULTS_FORMAT
    assert data["meta"]["knowledge_version"] == 3
    assert data["meta"]["git_commit"] == "abc123"
    assert data["meta"]["prompt_versions"] == ["offline-1"]
    assert data["cases"][0]["output"]["text"] == "亲，您好"
    assert data["summary"]["by_suite"]["drafting"]["pass_rate"] == 1.0
    again = read_results(path)
    assert again.cases[0].key == "drafting/a"
    assert again.meta.durations_s == {"total": 1.5}


def test_reading_a_bad_results_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text('{"format": "something else"}')
    with pytest.raises(InvalidInput, match="not a replydraft eval results file"):
        read_results(path)
    path.write_text("{oops")
    with pytest.raises(InvalidInput, match=r"r\.json:1"):
        read_results(path)
    path.write_text(json.dumps({"format": RESULTS_FORMAT, "meta": {"backend": "x"}}))
    with pytest.raises(InvalidInput) as caught:
        read_results(path)
    assert any("started_at" in str(p) for p in caught.value.field_errors)
    with pytest.raises(InvalidInput, match="not found"):
        read_results(tmp_path / "missing.json")


# ---------------------------------------------------------------- HTML


def test_html_report_is_self_contained_and_escaped() -> None:
    evil = '<script>alert("x")</script><img src="http://evil.example/p.png">'
    run = run_of([
        case("safety/<b>id</b>", "failed", tags=("en",), text=evil,
             assertions=[("not_contains", ["<script>"], "failed")]),
        case("safety/ok", "passed", text="fine & dandy"),
    ])
    page = render_html(run)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;id&lt;/b&gt;" in page
    assert "fine &amp; dandy" in page
    # No external assets: nothing is loaded from anywhere.
    assert not re.search(r"<(link|script|img|iframe)\b", page)
    assert 'src="' not in page and "href=" not in page
    assert "@import" not in page and "url(" not in page
    assert "<style>" in page
    # Failures come first and carry the failed assertion.
    assert page.index("&lt;b&gt;id") < page.index("safety/ok")
    assert "not_contains failed" in page


# ---------------------------------------------------------------- compare


def test_compare_newly_failing_passing_deltas_and_latency() -> None:
    baseline = run_of([
        case("drafting/a", "passed", tags=("zh-Hans", "size_advice"), latency=10),
        case("drafting/b", "failed", tags=("en", "bargaining"), latency=20),
        case("drafting/c", "passed", tags=("en", "bargaining"), latency=30),
        case("safety/gone", "passed", latency=5),
    ])
    candidate = run_of([
        case("drafting/a", "failed", tags=("zh-Hans", "size_advice"), latency=40,
             assertions=[("mentions_size", "2XL", "failed")]),
        case("drafting/b", "passed", tags=("en", "bargaining"), latency=20),
        case("drafting/c", "passed", tags=("en", "bargaining"), latency=30, leak=True),
        case("safety/new", "error", latency=5),
    ], knowledge_version=4)
    comparison = compare_runs(baseline, candidate)
    assert [c.key for c in comparison.newly_failing] == ["drafting/a", "safety/new"]
    assert "mentions_size" in comparison.newly_failing[0].detail
    assert [c.key for c in comparison.newly_passing] == ["drafting/b"]
    assert comparison.new_leaks == ["drafting/c"]
    assert comparison.added == ["safety/new"] and comparison.removed == ["safety/gone"]
    assert comparison.regressed
    suite_rates = {r.group: r for r in comparison.rates["suite"]}
    assert suite_rates["drafting"].before == pytest.approx(2 / 3, abs=1e-4)
    assert suite_rates["drafting"].after == pytest.approx(2 / 3, abs=1e-4)
    language = {r.group: r for r in comparison.rates["language"]}
    assert language["zh-Hans"].delta == -1.0
    assert language["en"].delta == 0.5
    intent = {r.group: r for r in comparison.rates["intent"]}
    assert intent["size_advice"].delta == -1.0
    assert comparison.latency["drafting"]["p50_before"] == 20
    assert comparison.latency["drafting"]["p95_delta"] == 10
    assert any("knowledge version" in w for w in comparison.warnings)
    assert comparison_json(comparison)["regressed"] is True


def test_compare_cli_exit_codes(tmp_path: Path) -> None:
    base, cand = tmp_path / "base.json", tmp_path / "cand.json"
    write_results(run_of([case("drafting/a", "passed")]), base)
    write_results(run_of([case("drafting/a", "failed")]), cand)
    runner = CliRunner()
    shown = runner.invoke(app, ["eval", "compare", str(base), str(cand)])
    assert shown.exit_code == 0, shown.output
    assert "1 newly failing" in shown.output and "drafting/a" in shown.output
    gated = runner.invoke(app, ["eval", "compare", str(base), str(cand), "--fail-on-regression"])
    assert gated.exit_code == 1
    same = runner.invoke(app, ["eval", "compare", str(base), str(base), "--fail-on-regression"])
    assert same.exit_code == 0
    as_json = runner.invoke(app, ["eval", "compare", str(base), str(cand), "--json"])
    assert json.loads(as_json.output)["newly_failing"][0]["key"] == "drafting/a"
    missing = runner.invoke(app, ["eval", "compare", str(base), str(tmp_path / "nope.json")])
    assert missing.exit_code == 2
