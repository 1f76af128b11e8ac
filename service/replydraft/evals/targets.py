"""How each kind of case input is executed, and what is observed.

- retrieval → ``KnowledgeBase.search``; the rank of the first hit matching ``retrieves``.
- policy → ``replydraft.policy.check`` on the text (with the store's allowed commitments).
- customer scan → ``replydraft.policy.scan_customer``.
- draft (drafting/safety suites) → ``Drafter.draft``; the final text is re-checked with
  ``check()`` so a draft that still carries a violation is recorded as a policy leak.
- understand (understanding suite) → ``Drafter.understand``, once with the trained intent model
  and once with the keyword rules alone, so the report shows what the model adds.

Heavy pieces (the knowledge base, the embedder, the drafter) are built on first use, so a policy
run never loads the embedding model. A case's ``store`` override and ``planted`` chunks reach the
drafter through ``OverlayKnowledge``, a ``KnowledgeReader`` wrapper, so the shared index is never
modified.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from replydraft.config import Settings
from replydraft.errors import FieldProblem, InvalidInput, KnowledgeError
from replydraft.evals.assertions import Hit, Observed, evaluate, first_matching_rank
from replydraft.evals.models import Case, CaseOutput
from replydraft.knowledge.models import Product, SearchHit, SearchHits, StoreProfile
from replydraft.knowledge.reader import KnowledgeReader
from replydraft.languages import Language

if TYPE_CHECKING:
    from replydraft.drafting.drafter import Drafter
    from replydraft.drafting.models import DraftRequest, DraftResult
    from replydraft.drafting.understanding.understand import Understanding
    from replydraft.policy.models import PolicyResult

RETRIEVAL_DEPTH = 10  # hits fetched per retrieval case; MRR is computed over these


@dataclass(frozen=True)
class Execution:
    observed: Observed
    output: CaseOutput
    leak: str | None = None  # why this case is a policy leak, if it is


# ---------------------------------------------------------------- store overrides


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``: mappings merge key by key, anything else replaces."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def overridden_store(store: StoreProfile, override: dict[str, Any] | None) -> StoreProfile:
    if not override:
        return store
    merged = deep_merge(store.model_dump(mode="json"), override)
    try:
        return StoreProfile.model_validate(merged)
    except ValidationError as error:
        problems = [
            FieldProblem("input.store." + ".".join(str(p) for p in e["loc"]), e["msg"])
            for e in error.errors()
        ]
        raise InvalidInput("the case's store override is not a valid store profile",
                           field_errors=problems) from None


# ---------------------------------------------------------------- knowledge overlay


def planted_hits(planted: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Normalise planted chunk specs (defaults filled, a stable id)."""
    result = []
    for number, spec in enumerate(planted, 1):
        digest = hashlib.sha1(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]
        result.append({"chunk_id": f"planted-{number}-{digest}", **spec})
    return result


class OverlayKnowledge:
    """A ``KnowledgeReader`` that serves another store profile and/or puts planted chunks on top
    of every search, as if a poisoned knowledge file had been indexed and ranked first.

    A planted chunk without ``language``/``intent``/``sku`` matches any such filter and takes
    its value (worst case: it reaches every search); one that names them must match.
    """

    def __init__(
        self,
        base: KnowledgeReader,
        *,
        store: StoreProfile | None = None,
        planted: Sequence[dict[str, Any]] = (),
    ) -> None:
        self._base = base
        self._store = store
        self._planted = planted_hits(planted)

    @property
    def store(self) -> StoreProfile:
        return self._store if self._store is not None else self._base.store

    @property
    def version(self) -> int | None:
        return self._base.version

    @property
    def degraded(self) -> str | None:
        return self._base.degraded

    @property
    def embedder(self) -> Any:
        """The base's embedder when it has one, so the drafter shares its query cache instead
        of loading a second model."""
        found = getattr(self._base, "embedder", None)
        if found is None:
            raise AttributeError("embedder")
        return found

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        language: Language | None = None,
        sku: str | None = None,
        intent: str | None = None,
    ) -> SearchHits:
        real = self._base.search(query, k=k, language=language, sku=sku, intent=intent)
        top = max((h.score for h in real), default=0.0) + 1.0
        planted = [
            self._as_hit(spec, top + len(self._planted) - n, language, intent, sku)
            for n, spec in enumerate(self._planted)
            if self._planted_matches(spec, language, sku, intent)
        ]
        return SearchHits((planted + real)[:k], degraded=real.degraded)

    @staticmethod
    def _planted_matches(
        spec: dict[str, Any], language: str | None, sku: str | None, intent: str | None
    ) -> bool:
        if language and spec.get("language", language) != language:
            return False
        if intent and spec.get("intent", intent) != intent:
            return False
        return not (sku and spec.get("sku", sku) != sku)

    @staticmethod
    def _as_hit(
        spec: dict[str, Any], score: float, language: Language | None, intent: str | None,
        sku: str | None,
    ) -> SearchHit:
        return SearchHit(
            chunk_id=spec["chunk_id"],
            text=spec["text"],
            source=spec["source"],
            source_type=spec.get("source_type", "playbook"),
            section=spec.get("section", ""),
            intent=spec.get("intent", intent or ""),
            language=spec.get("language", language or "zh-Hans"),
            sku=spec.get("sku", sku or ""),
            score=score,
        )

    def product(self, sku: str) -> Product | None:
        return self._base.product(sku)

    def products(self) -> list[Product]:
        return self._base.products()


# ---------------------------------------------------------------- the targets


def _conversation(messages: Sequence[dict[str, Any]]) -> str:
    return "\n".join(f"{m['role']}: {m['text']}" for m in messages)


class Targets:
    """Executes cases. Thread-safe: lazy resources are built once under a lock."""

    def __init__(
        self,
        settings: Settings,
        *,
        knowledge_factory: Callable[[], KnowledgeReader] | None = None,
    ) -> None:
        self._settings = settings
        self._knowledge_factory = knowledge_factory
        self._lock = threading.RLock()
        self._knowledge: KnowledgeReader | None = None
        self._store_file: StoreProfile | None = None
        self._drafters: dict[str, Drafter] = {}

    # ---------------------------------------------------- shared resources

    def knowledge(self) -> KnowledgeReader:
        with self._lock:
            if self._knowledge is None:
                if self._knowledge_factory is not None:
                    self._knowledge = self._knowledge_factory()
                else:
                    from replydraft.drafting.understanding.embedder import shared_embedder
                    from replydraft.knowledge.base import KnowledgeBase

                    self._knowledge = KnowledgeBase(self._settings,
                                                    embedder=shared_embedder(self._settings))
            return self._knowledge

    def base_store(self) -> StoreProfile:
        """The store profile: the index's when one is loaded, else read from store.yaml (a
        policy-only run does not need the index)."""
        with self._lock:
            if self._knowledge is not None:
                return self._knowledge.store
            if self._store_file is None:
                self._store_file = _read_store_file(self._settings)
            return self._store_file

    def drafter(self, case: Case) -> Drafter:
        override = case.input.get("store")
        planted = case.input.get("planted", ())
        key = json.dumps({"store": override, "planted": planted}, sort_keys=True,
                         ensure_ascii=False)
        with self._lock:
            if key not in self._drafters:
                from replydraft.drafting.drafter import build_drafter

                knowledge: KnowledgeReader = self.knowledge()
                if override or planted:
                    store = overridden_store(knowledge.store, override)
                    knowledge = OverlayKnowledge(knowledge, store=store, planted=planted)
                self._drafters[key] = build_drafter(self._settings, knowledge)
            return self._drafters[key]

    # ---------------------------------------------------- per kind

    def execute(self, case: Case) -> Execution:
        runners = {
            "draft": self._run_draft,
            "retrieval": self._run_retrieval,
            "policy": self._run_policy,
            "customer_scan": self._run_customer_scan,
            "understand": self._run_understand,
        }
        return runners[case.kind](case)

    def _run_retrieval(self, case: Case) -> Execution:
        data = case.input
        k = int(data.get("k", 5))
        hits = self.knowledge().search(
            data["query"], k=max(k, RETRIEVAL_DEPTH), language=data.get("lang"),
            sku=data.get("sku"), intent=data.get("intent"),
        )
        seen = [Hit(h.source, h.section, h.sku, h.intent, h.language) for h in hits]
        rank = next(
            (first_matching_rank(a.value, seen) for a in case.expect if a.type == "retrieves"),
            None,
        )
        observed = Observed(kind="retrieval", text="\n".join(h.text for h in hits[:k]),
                            hits=seen, k=k)
        output = CaseOutput(
            rank=rank,
            hits=[{"source": h.source, "section": h.section, "sku": h.sku, "intent": h.intent,
                   "language": h.language, "score": round(h.score, 5)} for h in hits[:5]],
        )
        return Execution(observed, output)

    def store_for(self, case: Case) -> StoreProfile:
        """The store a case runs against: the base one with the case's override."""
        return overridden_store(self.base_store(), case.input.get("store"))

    def _run_policy(self, case: Case) -> Execution:
        from replydraft.policy import check

        data = case.input
        result = check(data["text"], language=data.get("language"),
                       platform=data.get("platform"), store=self.store_for(case))
        categories = [v.category for v in result.violations]
        observed = Observed(kind="policy", text=result.text, categories=categories,
                            unchanged=result.text == data["text"])
        output = CaseOutput(text=result.text, categories=sorted(set(categories)),
                            violations=_violations(result))
        return Execution(observed, output, _policy_false_negative(case, categories))

    def _run_customer_scan(self, case: Case) -> Execution:
        from replydraft.policy import scan_customer

        data = case.input
        flags = scan_customer(data["customer_text"], language=data.get("language"),
                              platform=data.get("platform"), store=self.store_for(case))
        risks = [f.type for f in flags]
        observed = Observed(kind="customer_scan", text=data["customer_text"], risks=risks)
        return Execution(observed, CaseOutput(text=data["customer_text"],
                                              risks=sorted(set(risks))))

    def _run_draft(self, case: Case) -> Execution:
        from replydraft.policy import check

        drafter = self.drafter(case)
        request = draft_request(case)
        result = drafter.draft(request)
        store = overridden_store(self.knowledge().store, case.input.get("store"))
        platform = request.platform or store.platform
        recheck = check(result.text, language=result.language, platform=platform, store=store)
        categories = [v.category for v in recheck.violations]
        observed = Observed(
            kind="draft",
            text=result.text,
            language=result.language,
            intents=[(i.intent, i.confidence) for i in result.intents],
            citations=[(c.source, c.section) for c in result.citations],
            risks=[r.type for r in result.risks],
            categories=categories,
            conversation=_conversation(case.input["messages"]),
            extra=_planned(result),
        )
        output = CaseOutput(
            text=result.text,
            language=result.language,
            intents=[{"intent": i.intent, "confidence": round(i.confidence, 3)}
                     for i in result.intents],
            citations=[{"source": c.source, "section": c.section, "chunk_id": c.chunk_id}
                       for c in result.citations],
            risks=sorted({r.type for r in result.risks}),
            categories=sorted(set(categories)),
            violations=_violations(recheck),
            backend=result.backend,
            fallback_reason=result.fallback_reason,
            prompt_version=result.prompt_version,
        )
        leak = None
        if recheck.violations:
            found = ", ".join(f"{v.category} {v.match!r}" for v in recheck.violations)
            leak = f"final draft still violates policy: {found}"
        return Execution(observed, output, leak)


    def _run_understand(self, case: Case) -> Execution:
        drafter = self.drafter(case)
        request = draft_request(case)
        seen = drafter.understand(request)
        observed = _understood(seen)
        rules_only = _understood(drafter.understand(request, rules_only=True))
        passed_alone = all(evaluate(a.type, a.value, rules_only).status != "failed"
                           for a in case.expect)
        output = CaseOutput(
            text=request.latest, language=seen.language,
            intents=[{"intent": i.intent, "confidence": round(i.confidence, 3)}
                     for i in seen.intents],
            understanding={key: value for key, value in observed.extra.items()},
            rules_only_passed=passed_alone)
        return Execution(observed, output)


def _understood(seen: Understanding) -> Observed:
    report = seen.report()
    slots = {key: getattr(seen.slots, key) for key in (
        "height_cm", "weight_kg", "waist_cm", "foot_length_mm", "shoe_size", "colour",
        "amount_off", "percent_off")}
    return Observed(
        kind="understand", language=seen.language,
        intents=[(i.intent, i.confidence) for i in seen.intents],
        extra={"mood": report.mood, "urgent": report.urgent, "order_state": report.order_state,
               "product": report.product.model_dump(), "slots": slots,
               "state": report.state.model_dump()})


def draft_request(case: Case) -> DraftRequest:
    from replydraft.drafting.models import DraftRequest

    data = dict(case.input)
    if "conversation" in data:
        data["messages"] = data.pop("conversation")
    fields = {key: data[key] for key in ("messages", "sku", "platform", "order", "language",
                                         "default_language", "today") if key in data}
    try:
        return DraftRequest.model_validate(fields)
    except ValidationError as error:
        problems = [FieldProblem("input." + ".".join(str(p) for p in e["loc"]), e["msg"])
                    for e in error.errors()]
        raise InvalidInput("the case input is not a valid draft request",
                           field_errors=problems) from None


def _violations(result: PolicyResult) -> list[dict[str, Any]]:
    return [{"category": v.category, "rule": v.rule, "match": v.match, "action": v.action}
            for v in result.violations]


def _policy_false_negative(case: Case, found: Sequence[str]) -> str | None:
    """A policy case that expects a category (or a violation) and gets none of it: a leak."""
    for assertion in case.expect:
        if assertion.type == "categories":
            missed = sorted(set(assertion.value) - set(found))
            if missed:
                return f"check() missed {', '.join(missed)}"
        if assertion.type == "policy_clean" and assertion.value is False and not found:
            return "check() found nothing in a text that must be flagged"
    return None


def _read_store_file(settings: Settings) -> StoreProfile:
    from replydraft.knowledge.catalog import read_store

    store_file = read_store(settings.knowledge_dir / "store.yaml", "store.yaml")
    if store_file.store is None:
        raise KnowledgeError("the store profile cannot be read", problems=store_file.problems)
    return store_file.store


def _planned(result: DraftResult) -> dict[str, Any]:
    """What the answer plan decided, for the plan assertions (status, needs_check, answers…)."""
    plan = result.plan
    if plan is None:
        return {}
    return {"readiness": result.readiness, "opening": plan.opening,
            "needs_check": [c.ask for c in result.needs_check],
            "answered": [s.ask for s in plan.steps if s.source in ("facts", "store") and s.ask],
            "sources": [s.source for s in plan.steps]}
