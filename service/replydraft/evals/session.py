"""One eval run from start to finish: pick the files, load and validate them, make sure the
knowledge index exists, run the cases, and assemble ``RunResults``.

The CLI is a thin shell around ``execute_run``; tests call it directly with their own settings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from replydraft.config import Settings
from replydraft.errors import FieldProblem, InvalidInput
from replydraft.evals.assertions import Judge
from replydraft.evals.judge import build_judge
from replydraft.evals.loader import load_suites, load_validator, resolve_selection, select_cases
from replydraft.evals.models import Case, CaseResult, RunMeta, RunResults
from replydraft.evals.mutation import mutation_metrics
from replydraft.evals.results import git_state, now_iso, runtime_info
from replydraft.evals.runner import run_cases
from replydraft.evals.summary import summarize
from replydraft.evals.targets import Targets

if TYPE_CHECKING:
    from replydraft.knowledge.base import KnowledgeBase

Backend = Literal["offline", "llm"]


class ProgressSink(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self, result: CaseResult) -> None: ...


@dataclass(frozen=True)
class RunRequest:
    selection: Sequence[str] = ()  # suite names, files, folders or globs; empty = all
    backend: Backend = "offline"
    tags: Sequence[str] = ()
    ids: Sequence[str] = ()  # case id globs
    min_pass: float | None = 0.95
    workers: int = 2
    refresh: bool = False  # refresh a stale index first (a missing one is always built)
    suite_min: Mapping[str, float] = field(default_factory=dict)  # per-suite floors


@dataclass
class _Clock:
    marks: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.marks[name] = round(now - since, 3)
        return now


def settings_for_backend(settings: Settings, backend: Backend) -> Settings:
    """The drafting settings of the run: offline forces the offline composer; llm needs an
    endpoint (the drafter still falls back offline per case on LLM errors, and says so)."""
    if backend == "offline":
        return settings.model_copy(update={"drafter": "offline"})
    if not settings.llm_base_url:
        raise InvalidInput(
            "--backend llm needs a configured LLM: set REPLYDRAFT_LLM_BASE_URL "
            "(and REPLYDRAFT_LLM_MODEL / REPLYDRAFT_LLM_API_KEY as your endpoint requires)",
            field_errors=[FieldProblem("--backend", "no LLM configured")],
        )
    return settings.model_copy(update={"drafter": "llm"})


def _needs_index(cases: Sequence[Case]) -> bool:
    return any(case.kind in ("draft", "retrieval", "understand") for case in cases)


RefreshProgress = Callable[[str, int, int], None]  # (stage, done, total), as the refresh reports


@dataclass(frozen=True)
class IndexState:
    version: int | None
    refreshed: bool  # this run built or refreshed the index
    stale: tuple[str, ...] = ()  # knowledge files that differ from the serving version


def _changed_sources(knowledge: KnowledgeBase) -> tuple[str, ...]:
    plan = knowledge.refresh(dry_run=True)
    return tuple(sorted(
        path for diff in plan.sources.values()
        for path in (*diff.added, *diff.changed, *diff.removed)
    ))


def ensure_index(
    knowledge: KnowledgeBase, say: Callable[[str], None],
    progress: RefreshProgress | None = None, *, refresh_if_stale: bool = False,
) -> IndexState:
    """CI runs the evals on a fresh clone, where no index exists yet: build it rather than
    fail. An existing index that no longer matches the files is refreshed only when asked (the
    data dir may be serving a live API); otherwise the run says so and records it."""
    if knowledge.needs_rebuild():
        say("The knowledge index was written by an older replydraft: rebuilding it …")
        _refresh(knowledge, say, progress)
        return IndexState(knowledge.version, refreshed=True)
    if knowledge.version is None:
        say(f"No knowledge index yet: building it from {knowledge.settings.knowledge_dir} "
            "first …")
        _refresh(knowledge, say, progress)
        return IndexState(knowledge.version, refreshed=True)
    stale = _changed_sources(knowledge)
    if not stale:
        return IndexState(knowledge.version, refreshed=False)
    if refresh_if_stale:
        say(f"Knowledge files changed since index version {knowledge.version} "
            f"({len(stale)} file(s)): refreshing …")
        _refresh(knowledge, say, progress)
        return IndexState(knowledge.version, refreshed=True)
    say(f"warning: the knowledge index (version {knowledge.version}) is stale: "
        f"{len(stale)} file(s) changed ({', '.join(stale[:5])}{' …' if len(stale) > 5 else ''})."
        " Results reflect the index, not the files; pass --refresh to rebuild it first.")
    return IndexState(knowledge.version, refreshed=False, stale=stale)


def _refresh(
    knowledge: KnowledgeBase, say: Callable[[str], None], progress: RefreshProgress | None
) -> None:
    report = knowledge.refresh(progress=progress)
    say(f"Knowledge index built: version {report.version}, {report.total_chunks} chunks, "
        f"{report.chunks.embedded} embedded, {len(report.warnings)} scan warning(s), "
        f"{report.duration_s:.1f} s.")


def execute_run(
    settings: Settings,
    request: RunRequest,
    *,
    say: Callable[[str], None] = print,
    progress: ProgressSink | None = None,
    knowledge: KnowledgeBase | None = None,
    judge: Judge | None = None,
    use_configured_judge: bool = True,
    refresh_progress: RefreshProgress | None = None,
) -> RunResults:
    clock = _Clock()
    started_at = now_iso()
    run_settings = settings_for_backend(settings, request.backend)
    if judge is None and use_configured_judge:
        judge = build_judge(settings)

    mark = clock.started
    files = resolve_selection(request.selection, settings.evals_dir)
    loaded = load_suites(files, load_validator(settings.evals_dir))
    cases = select_cases(loaded.cases, tags=request.tags, ids=request.ids)
    if not cases and not loaded.problems:
        raise InvalidInput("no case selected (check the suite names, --tag and --case)")
    mark = clock.lap("load", mark)

    index = IndexState(None, refreshed=False)
    factory = None
    if _needs_index(cases):
        if knowledge is None:
            from replydraft.drafting.understanding.embedder import shared_embedder
            from replydraft.knowledge.base import KnowledgeBase

            knowledge = KnowledgeBase(run_settings, embedder=shared_embedder(run_settings))
        index = ensure_index(knowledge, say, refresh_progress,
                             refresh_if_stale=request.refresh)
        kb = knowledge
        factory = lambda: kb  # noqa: E731 — the shared index for every case
    mark = clock.lap("index", mark)

    targets = Targets(run_settings, knowledge_factory=factory)
    if progress is not None:
        progress.start(len(cases))
    results = run_cases(cases, targets, judge=judge, workers=request.workers,
                        progress=progress.advance if progress is not None else None)
    clock.lap("run", mark)
    clock.marks["total"] = round(time.perf_counter() - clock.started, 3)

    problems = [str(p) for p in loaded.problems]
    commit, dirty = git_state(settings.evals_dir.resolve())
    meta = RunMeta(
        started_at=started_at,
        finished_at=now_iso(),
        durations_s=clock.marks,
        backend=request.backend,
        model=run_settings.llm_model if request.backend == "llm" else None,
        prompt_versions=sorted({r.output.prompt_version for r in results
                                if r.output.prompt_version}),
        knowledge_version=index.version,
        knowledge_refreshed=index.refreshed,
        knowledge_stale=list(index.stale),
        git_commit=commit,
        git_dirty=dirty,
        judge=_judge_label(judge),
        workers=request.workers,
        min_pass=request.min_pass,
        selection={"files": [str(f) for f in files], "tags": list(request.tags),
                   "cases": list(request.ids)},
        **runtime_info(),
    )
    summary = summarize(results, min_pass=request.min_pass, load_problems=len(problems),
                        suite_min=request.suite_min)
    summary["policy_mutation"] = mutation_metrics(cases, targets.store_for)
    return RunResults(meta=meta, summary=summary, problems=problems, cases=results)


def _judge_label(judge: Judge | None) -> str | None:
    if judge is None:
        return None
    version = getattr(judge, "prompt_version", None)
    return f"{judge.model} ({version})" if version else judge.model
