"""A self-contained HTML report of a run: one file, inline CSS, no scripts, no external assets.

Everything that comes from a case, a draft or a file is escaped: drafts in the safety suite are
full of links and markup-like text by design.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from replydraft.evals.models import CaseResult, RunResults

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",
"Malgun Gothic",sans-serif;margin:2rem;color:#1d232a;max-width:1200px}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0 1rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
.passed{color:#137333}.failed,.error,.leak{color:#b3261e;font-weight:600}.skipped{color:#777}
.verdict-pass{background:#e6f4ea;padding:.5rem 1rem}
.verdict-fail{background:#fce8e6;padding:.5rem 1rem}
pre{white-space:pre-wrap;word-break:break-word;background:#f8f9fa;padding:.4rem;margin:.2rem 0}
details{margin:.4rem 0}summary{cursor:pointer}.meta td:first-child{font-weight:600}
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_e(c)}</td>' if i >= numeric_from else f"<td>{_e(c)}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _rates(title: str, label: str, rows: dict[str, dict[str, Any]]) -> str:
    return f"<h2>{_e(title)}</h2>" + _table(
        [label, "pass rate", "passed", "failed", "error", "skipped"],
        ([k, _pct(v["pass_rate"]), v["passed"], v["failed"], v.get("error", 0), v["skipped"]]
         for k, v in rows.items()),
    )


def _metrics(summary: dict[str, Any]) -> str:
    parts = []
    retrieval = summary.get("retrieval")
    if retrieval:
        parts.append("<h2>Retrieval</h2>" + _table(
            ["cases", "hit@1", "hit@5", "MRR"],
            [[retrieval["cases"], _pct(retrieval["hit@1"]), _pct(retrieval["hit@5"]),
              f"{retrieval['mrr']:.3f}"]], numeric_from=0))
    policy = summary.get("policy")
    if policy:
        parts.append(
            f"<h2>Policy</h2><p>{_e(policy['cases'])} labelled cases, "
            f"{_e(policy['hard_negatives'])} hard negatives, "
            f"{_e(policy['false_positive_cases'])} flagged wrongly.</p>"
            + _table(["category", "precision", "recall", "TP", "FP", "FN"],
                     ([c, _pct(r["precision"]), _pct(r["recall"]), r["tp"], r["fp"], r["fn"]]
                      for c, r in policy["categories"].items())))
    latency = summary.get("latency")
    if latency:
        parts.append("<h2>Latency per case</h2>" + _table(
            ["suite", "p50 ms", "p95 ms", "mean ms"],
            ([s, r["p50_ms"], r["p95_ms"], r["mean_ms"]] for s, r in latency.items())))
    return "".join(parts)


def _case_block(result: CaseResult) -> str:
    status = result.status
    leak = '<span class="leak"> POLICY LEAK</span>' if result.policy_leak else ""
    parts = [
        f'<details{" open" if status != "passed" or result.policy_leak else ""}>'
        f'<summary><span class="{_e(status)}">{_e(status)}</span>{leak} '
        f"<code>{_e(result.suite)}/{_e(result.id)}</code> "
        f"<small>{_e(result.file)}:{_e(result.line)} · {_e(result.latency_ms)} ms · "
        f"{_e(', '.join(result.tags))}</small></summary>"
    ]
    if result.error:
        parts.append(f'<p class="error">error: {_e(result.error)}</p>')
    if result.leak_detail:
        parts.append(f'<p class="leak">{_e(result.leak_detail)}</p>')
    if result.output.text is not None:
        parts.append(f"<pre>{_e(result.output.text)}</pre>")
    if result.assertions:
        parts.append(_table(
            ["assertion", "expected", "status", "message"],
            ([a.type, a.expected, a.status, a.message] for a in result.assertions),
            numeric_from=99))
    parts.append("</details>")
    return "".join(parts)


def render_html(run: RunResults) -> str:
    meta = run.meta
    summary = run.summary
    verdict = summary.get("verdict", {"passed": True, "reasons": []})
    verdict_html = (
        '<p class="verdict-pass">PASS</p>' if verdict["passed"] else
        '<div class="verdict-fail"><strong>FAIL</strong><ul>'
        + "".join(f"<li>{_e(r)}</li>" for r in verdict["reasons"]) + "</ul></div>"
    )
    meta_rows: list[list[object]] = [
        ["started", meta.started_at], ["finished", meta.finished_at],
        ["backend", meta.backend], ["model", meta.model or "—"],
        ["prompt versions", ", ".join(meta.prompt_versions) or "—"],
        ["knowledge version", meta.knowledge_version],
        ["knowledge stale", ", ".join(meta.knowledge_stale) or "no"],
        ["git commit", (meta.git_commit or "—") + (" (dirty)" if meta.git_dirty else "")],
        ["judge", meta.judge or "skipped (no LLM configured)"],
        ["durations (s)", ", ".join(f"{k} {v:.2f}" for k, v in meta.durations_s.items())],
        ["workers", meta.workers], ["min pass", meta.min_pass],
    ]
    problems = ""
    if run.problems:
        problems = "<h2>Problems in suite files</h2><ul>" + "".join(
            f"<li>{_e(p)}</li>" for p in run.problems) + "</ul>"
    ordered = sorted(run.cases, key=lambda r: (r.status == "passed" and not r.policy_leak,
                                               r.status == "skipped"))
    body = [
        "<h1>replydraft eval report</h1>", verdict_html,
        '<table class="meta">' + "".join(
            f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in meta_rows) + "</table>",
        _rates("Pass rate per suite", "suite", summary.get("by_suite", {})),
        _rates("Per language", "language", summary.get("by_language", {})),
        _rates("Per intent", "intent", summary.get("by_intent", {})),
        _rates("Per assertion type", "assertion", summary.get("by_assertion", {})),
        _metrics(summary), problems,
        f"<h2>Cases ({len(run.cases)}, failures first)</h2>",
        "".join(_case_block(r) for r in ordered),
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>replydraft eval report {_e(meta.started_at)}</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )
