"""Scan knowledge text at ingestion and turn findings into ``file:line`` warnings.

The real scanner is the policy package's ``PolicyContentScanner``. It is imported lazily so the
knowledge base still works (and still catches the worst case, text addressed to a model) while
the policy package is missing or broken; ``scanner_name`` tells which one ran.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from pydantic import BaseModel

from replydraft.knowledge.models import StoreProfile
from replydraft.knowledge.scanning import ContentScanner, ScanFinding
from replydraft.languages import Language

log = logging.getLogger(__name__)


class ScanWarning(BaseModel):
    """A finding in a knowledge file: reported, never fatal."""

    source: str
    line: int
    category: str
    rule: str
    match: str
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.source}:{self.line} {self.category} {self.rule} {self.match!r}"


# Phrases addressed to a model rather than to an agent, in our four languages.
_INJECTION = re.compile(
    r"(?i:ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier) (?:instructions|rules|"
    r"prompts?)|disregard (?:all |the )?(?:previous|prior|above) |you are (?:now )?(?:an? )?"
    r"(?:ai|language model|chatgpt|assistant)\b|system prompt|as an ai (?:language )?model|"
    r"developer mode|jailbreak)|"
    r"忽略(?:之前|以上|前面|上面|先前)(?:的)?(?:所有)?(?:指令|指示|规则|提示|說明|说明)|"
    r"忽略(?:之前|以上|前面|上面|先前)的所有|你现在是|你現在是|系统提示|系統提示|提示词|提示詞|"
    r"이전 지시(?:를|사항을)? 무시|위의 지시(?:를)? 무시|시스템 프롬프트"
)
_GUARANTEE = re.compile(
    r"保证(?:明天|今天|后天|\d+天)?(?:到|送达|到货)|包你满意|绝对不会|百分之百|100%满意|"
    r"(?i:guaranteed? (?:delivery|to arrive|arrival|fit)|we guarantee)|무조건 (?:도착|배송)"
)
_OFF_PLATFORM = re.compile(
    r"(?:加|添加|加我)(?:个)?(?:微信|VX|vx|QQ|qq)|微信号|(?i:whatsapp|wechat id|add me on)|"
    r"(?<!\d)1[3-9]\d{9}(?!\d)|카카오톡|카톡 ?(?:ID|아이디)"
)


_NEGATED = re.compile(r"[不没沒无無]|无法|無法|没法|沒法|(?i:not|n't|never)\s*$")


class BuiltinScanner:
    """Fallback when the policy scanner is unavailable: injection, blunt guarantees, contacts."""

    name = "builtin"

    def scan(self, text: str, *, language: Language | None, store: StoreProfile | None
             ) -> list[ScanFinding]:
        findings = []
        for category, rule, pattern, reason in (
            ("prompt_injection", "builtin.injection", _INJECTION,
             "reads like an instruction to a model, not guidance for an agent"),
            ("guarantee", "builtin.guarantee", _GUARANTEE,
             "promises an outcome the store cannot control"),
            ("off_platform", "builtin.off_platform", _OFF_PLATFORM,
             "sends the customer to contact outside the platform"),
        ):
            for match in pattern.finditer(text):
                if category == "guarantee" and _NEGATED.search(text[:match.start()][-4:]):
                    continue  # "我们没法保证到达日期" is the honest sentence we want
                findings.append(ScanFinding(category, rule, match.start(), match.end(),
                                            match.group(0), reason))
        return findings


def default_scanner() -> ContentScanner:
    """The policy package's scanner when importable, else the built-in fallback."""
    try:
        from replydraft.policy.knowledge_scan import PolicyContentScanner
    except ImportError as error:
        log.warning("policy content scanner unavailable (%s); using the built-in scanner", error)
        return BuiltinScanner()
    return PolicyContentScanner()


def scanner_name(scanner: ContentScanner) -> str:
    return str(getattr(scanner, "name", type(scanner).__name__))


def scan_text(
    scanner: ContentScanner,
    text: str,
    *,
    source: str,
    line_at: Callable[[int], int],
    language: Language | None,
    store: StoreProfile | None,
) -> list[ScanWarning]:
    """Scan ``text``; ``line_at(offset)`` maps a finding's offset to its source line."""
    if not text.strip():
        return []
    return [
        ScanWarning(source=source, line=line_at(finding.start), category=finding.category,
                    rule=finding.rule, match=finding.match, reason=finding.reason)
        for finding in scanner.scan(text, language=language, store=store)
    ]
