"""Prometheus metrics, in a registry owned by one app (tests build many apps in one process).

With several worker processes (``replydraft serve --workers N``) each worker counts into files
under ``PROMETHEUS_MULTIPROC_DIR`` (set by ``serve``, prometheus_client's multiprocess mode) and
``/metrics`` adds up every worker's, so the figures no longer depend on which worker answers.
Each replica's ``/metrics`` covers its own processes; Prometheus labels them by ``instance``.
"""

from __future__ import annotations

import os
import re

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from replydraft.drafting.llm.retry import FALLBACK_REASONS
from replydraft.drafting.models import DraftResult
from replydraft.policy.models import PolicyResult

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def llm_error_kind(reason: str) -> str:
    """The metrics label for a fallback reason: the reason itself, ``http_4xx``/``http_5xx`` (HTTP
    statuses folded into their class so the label set stays bounded), or ``other``."""
    if reason in FALLBACK_REASONS:
        return reason
    status = re.fullmatch(r"http_([1-5])\d\d", reason)
    return f"http_{status.group(1)}xx" if status else "other"


class Metrics:
    """Also the ``ReviewObserver`` the approval workflow reports outcomes to."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("replydraft_http_requests", "HTTP requests handled.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("replydraft_http_request_duration_seconds",
                                 "Time to handle an HTTP request.", ["method", "route"],
                                 buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.drafts = Counter("replydraft_drafts", "Drafts by outcome: created, "
                              "approved_unedited, approved_edited, rejected, override.",
                              ["outcome"], registry=self.registry)
        self.policy_actions = Counter("replydraft_policy_actions",
                                      "Policy filter actions by category and stage (draft: "
                                      "the drafter's text, edit/approve: an agent's final text).",
                                      ["category", "action", "stage"], registry=self.registry)
        self.llm_errors = Counter("replydraft_llm_errors", "Language model failures by kind.",
                                  ["kind"], registry=self.registry)
        self.degraded = Counter("replydraft_degraded_answers",
                                "Searches and drafts answered by keyword search alone because "
                                "the vector store failed.", ["kind"], registry=self.registry)
        self.fallbacks = Counter("replydraft_llm_fallbacks",
                                 "Drafts the offline drafter wrote after the LLM failed.",
                                 registry=self.registry)

    def request_done(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def draft_created(self, result: DraftResult) -> None:
        self.drafts.labels("created").inc()
        if result.degraded:
            self.search_degraded("draft")
        for violation in result.policy.violations:
            self.policy_actions.labels(violation.category, violation.action, "draft").inc()
        if result.fallback_reason:
            self.fallbacks.inc()
            self.llm_errors.labels(llm_error_kind(result.fallback_reason)).inc()

    def search_degraded(self, kind: str) -> None:
        self.degraded.labels(kind).inc()

    def draft_decided(self, outcome: str) -> None:
        self.drafts.labels(outcome).inc()

    def text_checked(self, policy: PolicyResult, *, stage: str) -> None:
        for violation in policy.violations:
            self.policy_actions.labels(violation.category, "flagged", stage).inc()

    def llm_error(self, kind: str) -> None:
        self.llm_errors.labels(kind).inc()

    def render(self) -> bytes:
        if os.environ.get(MULTIPROCESS_ENV):
            every_worker = CollectorRegistry()
            MultiProcessCollector(every_worker)
            return generate_latest(every_worker)
        return generate_latest(self.registry)
