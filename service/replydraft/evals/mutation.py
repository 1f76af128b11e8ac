"""The policy suite's mutation measure: every labelled policy case of the run, disguised by each
operator of :mod:`replydraft.policy.mutation` (seeded, so a run is reproducible), with recall
per category and language and the false-positive rate on the hard negatives."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from replydraft.evals.models import Case
from replydraft.knowledge.models import StoreProfile
from replydraft.languages import LANGUAGES, Language
from replydraft.policy import default_engine
from replydraft.policy.mutation import Sample, measure, policy_check

SEED = 13
TARGET_RECALL = 0.99
TARGET_FALSE_POSITIVE_RATE = 0.005


def _language(case: Case) -> Language:
    return next((tag for tag in case.tags if tag in LANGUAGES), "zh-Hans")


def samples_of(cases: Sequence[Case], store_for: Callable[[Case], StoreProfile]
               ) -> list[Sample]:
    """The policy cases that state their categories, as mutation samples."""
    samples = []
    for case in cases:
        if case.kind != "policy":
            continue
        expected = next((a.value for a in case.expect if a.type == "categories"), None)
        if expected is None:
            continue
        samples.append(Sample(case.id, case.input["text"], _language(case), frozenset(expected),
                              case.input.get("platform"), store_for(case)))
    return samples


def mutation_metrics(cases: Sequence[Case], store_for: Callable[[Case], StoreProfile]
                     ) -> dict[str, Any] | None:
    samples = samples_of(cases, store_for)
    if not samples:
        return None
    report = measure(samples, policy_check, default_engine().rules.aliases, seed=SEED)
    result = report.as_dict()
    recall, rate = report.min_recall(), report.false_positive_rate()
    result["targets"] = {
        "recall": TARGET_RECALL, "false_positive_rate": TARGET_FALSE_POSITIVE_RATE,
        "met": (recall is None or recall >= TARGET_RECALL)
        and (rate is None or rate <= TARGET_FALSE_POSITIVE_RATE),
    }
    return result
