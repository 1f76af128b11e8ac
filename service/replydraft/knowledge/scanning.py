"""The seam through which knowledge files are scanned at ingestion.

A playbook that itself says "保证明天到" or "加我微信", or that carries text addressed to a model
("ignore previous instructions…"), would teach the drafter the wrong thing. The refresh passes
every chunk of text through a ``ContentScanner`` and reports each finding as a warning with the
file and line. The policy package provides the real scanner
(``replydraft.policy.knowledge_scan.PolicyContentScanner``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from replydraft.knowledge.models import StoreProfile
from replydraft.languages import Language


@dataclass(frozen=True)
class ScanFinding:
    category: str  # guarantee | absolute_claim | off_platform | body_insult | prompt_injection
    rule: str
    start: int  # offsets into the scanned text, [start, end)
    end: int
    match: str
    reason: str


class ContentScanner(Protocol):
    def scan(
        self, text: str, *, language: Language | None, store: StoreProfile | None
    ) -> list[ScanFinding]: ...
