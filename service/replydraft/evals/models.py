"""The shapes of eval cases, their outcomes and a whole run's results.

Cases come from YAML suite files (``evals/<suite>/*.yaml``, see ``evals/schema.json``). Results
are pydantic models so a run can be written as JSON and read back by ``eval compare`` with the
same validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SuiteName = Literal["retrieval", "policy", "drafting", "safety", "understanding"]
SUITES: tuple[SuiteName, ...] = ("retrieval", "policy", "drafting", "safety", "understanding")

# What a case runs, decided by the keys of its input.
InputKind = Literal["draft", "retrieval", "policy", "customer_scan", "understand"]

Status = Literal["passed", "failed", "skipped", "error"]

RESULTS_FORMAT = "replydraft-eval-results/1"


@dataclass(frozen=True)
class Assertion:
    type: str  # "contains_any", "retrieves", …
    value: Any
    index: int  # position in the case's expect list, for messages


@dataclass(frozen=True)
class Case:
    suite: SuiteName
    id: str
    kind: InputKind
    input: dict[str, Any]
    expect: tuple[Assertion, ...]
    tags: tuple[str, ...] = ()
    description: str = ""
    file: Path = field(default_factory=Path)
    line: int = 0  # 1-based line of the case in its file; 0 when unknown

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.id}"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else str(self.file)


@dataclass(frozen=True)
class LoadProblem:
    """A suite file or case that could not be used: where and what is wrong."""

    file: str
    message: str
    case_id: str | None = None
    line: int = 0
    path: str = ""  # JSON path inside the file, e.g. "cases/3/expect/1/max_chars"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [where]
        if self.case_id:
            parts.append(f"case {self.case_id}")
        if self.path:
            parts.append(f"at {self.path}")
        return f"{' '.join(parts)}: {self.message}"


@dataclass
class LoadedSuites:
    cases: list[Case] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


# ---------------------------------------------------------------- results


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AssertionResult(_Model):
    type: str
    expected: Any = None
    status: Literal["passed", "failed", "skipped"]
    message: str


class CaseOutput(_Model):
    """What the target produced, kept so a failure can be read without re-running."""

    text: str | None = None  # the draft / filtered text
    language: str | None = None
    intents: list[dict[str, Any]] = Field(default_factory=list)
    citations: list[dict[str, Any]] = Field(default_factory=list)
    risks: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)  # policy check() of the output text
    violations: list[dict[str, Any]] = Field(default_factory=list)
    backend: str | None = None
    fallback_reason: str | None = None
    prompt_version: str | None = None
    rank: int | None = None  # retrieval: 1-based rank of the first matching hit
    hits: list[dict[str, Any]] = Field(default_factory=list)  # retrieval: top hits (short)
    understanding: dict[str, Any] | None = None  # understand: product, mood, slots, state
    rules_only_passed: bool | None = None  # understand: the case with the keyword rules alone


class CaseResult(_Model):
    suite: str
    id: str
    kind: str
    file: str
    line: int = 0
    tags: list[str] = Field(default_factory=list)
    status: Status
    assertions: list[AssertionResult] = Field(default_factory=list)
    output: CaseOutput = Field(default_factory=CaseOutput)
    latency_ms: float = 0.0
    error: str | None = None
    # A drafting/safety case whose final text check() still finds violations, or a policy case
    # that misses an expected category. Any leak fails the run regardless of pass rates.
    policy_leak: bool = False
    leak_detail: str | None = None

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.id}"


class RunMeta(_Model):
    started_at: str
    finished_at: str
    durations_s: dict[str, float] = Field(default_factory=dict)
    backend: str
    model: str | None = None
    prompt_versions: list[str] = Field(default_factory=list)
    knowledge_version: int | None = None
    knowledge_refreshed: bool = False
    knowledge_stale: list[str] = Field(default_factory=list)  # files newer than the index
    git_commit: str | None = None
    git_dirty: bool | None = None
    judge: str | None = None  # model used for judge assertions; None = judge skipped
    workers: int = 1
    min_pass: float | None = None
    selection: dict[str, Any] = Field(default_factory=dict)  # suites/files, tags, case filter
    python: str = ""
    host_cpus: int | None = None


class RunResults(_Model):
    format: str = RESULTS_FORMAT
    meta: RunMeta
    summary: dict[str, Any] = Field(default_factory=dict)
    problems: list[str] = Field(default_factory=list)
    cases: list[CaseResult] = Field(default_factory=list)
