"""Run cases: execute each input, check its assertions, time it.

Cases run on a small thread pool. On the 2-core reference machine two workers help the drafting
and retrieval suites (the embedder and chroma spend much of their time outside the GIL); the
pure-Python policy suite gains little but loses nothing. A case that raises is recorded as an
``error`` with the message — it never stops the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

from replydraft.errors import ReplydraftError
from replydraft.evals.assertions import Judge, evaluate
from replydraft.evals.models import AssertionResult, Case, CaseResult, Status
from replydraft.evals.targets import Targets

Progress = Callable[[CaseResult], None]


def run_case(case: Case, targets: Targets, judge: Judge | None = None) -> CaseResult:
    base = {"suite": case.suite, "id": case.id, "kind": case.kind, "file": str(case.file),
            "line": case.line, "tags": list(case.tags)}
    started = time.perf_counter()
    try:
        execution = targets.execute(case)
    except ReplydraftError as error:
        return CaseResult(**base, status="error", error=_describe(error),
                          latency_ms=_elapsed_ms(started))
    except Exception as error:  # a bug in a component must not end the whole run
        return CaseResult(**base, status="error", error=f"{type(error).__name__}: {error}",
                          latency_ms=_elapsed_ms(started))
    latency = _elapsed_ms(started)

    results: list[AssertionResult] = []
    try:
        for assertion in case.expect:
            outcome = evaluate(assertion.type, assertion.value, execution.observed, judge)
            results.append(AssertionResult(type=assertion.type, expected=assertion.value,
                                           status=outcome.status, message=outcome.message))
    except ReplydraftError as error:  # the judge's endpoint failed
        return CaseResult(**base, status="error", error=_describe(error), assertions=results,
                          output=execution.output, latency_ms=latency)
    return CaseResult(
        **base,
        status=_case_status(results),
        assertions=results,
        output=execution.output,
        latency_ms=latency,
        policy_leak=execution.leak is not None,
        leak_detail=execution.leak,
    )


def _case_status(results: Sequence[AssertionResult]) -> Status:
    if any(r.status == "failed" for r in results):
        return "failed"
    if all(r.status == "skipped" for r in results):
        return "skipped"  # e.g. only judge assertions and no LLM: neither passed nor failed
    return "passed"


def _describe(error: ReplydraftError) -> str:
    details = [error.detail]
    for attr in ("field_errors", "problems"):
        details.extend(str(p) for p in getattr(error, attr, []) or [])
    return "; ".join(details)


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def run_cases(
    cases: Sequence[Case],
    targets: Targets,
    *,
    judge: Judge | None = None,
    workers: int = 2,
    progress: Progress | None = None,
) -> list[CaseResult]:
    """Results in the order of ``cases``; ``progress`` is called as each one finishes."""
    if workers <= 1 or len(cases) <= 1:
        results = []
        for case in cases:
            result = run_case(case, targets, judge)
            if progress:
                progress(result)
            results.append(result)
        return results

    ordered: list[CaseResult | None] = [None] * len(cases)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eval") as pool:
        futures = {pool.submit(run_case, case, targets, judge): i for i, case in enumerate(cases)}
        for future in as_completed(futures):
            result = future.result()
            ordered[futures[future]] = result
            if progress:
                progress(result)
    return [r for r in ordered if r is not None]
