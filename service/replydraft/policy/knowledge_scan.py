"""The content scanner the knowledge refresh runs over every chunk of the store's files.

It reports what ``check`` would catch (guarantee, absolute_claim, off_platform, body_insult)
without rewriting anything, plus ``prompt_injection``: text addressed to a model rather than to
an agent. Findings become warnings with file and line; they never block a refresh.
"""

from __future__ import annotations

from replydraft.knowledge.models import StoreProfile
from replydraft.knowledge.scanning import ScanFinding
from replydraft.languages import Language
from replydraft.policy.engine import PolicyEngine, default_engine
from replydraft.policy.normalize import TextViews


class PolicyContentScanner:
    """Implements ``replydraft.knowledge.scanning.ContentScanner``."""

    name = "policy"

    def __init__(self, engine: PolicyEngine | None = None) -> None:
        self._engine = engine

    @property
    def engine(self) -> PolicyEngine:
        if self._engine is None:
            self._engine = default_engine()
        return self._engine

    def scan(
        self, text: str, *, language: Language | None, store: StoreProfile | None
    ) -> list[ScanFinding]:
        del language  # every language's rules run
        engine = self.engine
        context = engine.context(store, None)
        views = TextViews(text)
        findings = [
            ScanFinding(hit.category, hit.rule.id, hit.start, hit.end, hit.match,
                        getattr(hit.rule.spec, "reason", ""))
            for hit in engine.detect(views, context)
        ]
        findings.extend(
            ScanFinding("prompt_injection", hit.rule.id, hit.start, hit.end, hit.match,
                        "reads like an instruction to a model, not guidance for an agent")
            for hit in engine.detect_risks(views, context)
            if hit.category == "prompt_injection"
        )
        return sorted(findings, key=lambda f: (f.start, f.end, f.category))
