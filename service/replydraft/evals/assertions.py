"""One small function per assertion type.

Each takes the expected value from the case file and what the target produced (``Observed``) and
returns an ``Outcome``: passed / failed / skipped with a message a QA person can read without
opening the code. Literal text is matched after NFKC normalisation and case folding (full-width
``ＷＸ`` is ``wx``); a string written ``/.../flags`` is a regular expression, used as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal, Protocol

from replydraft.evals.models import InputKind
from replydraft.text.emoji import EMOJI_CLASS

OutcomeStatus = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True)
class Outcome:
    status: OutcomeStatus
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def _ok(message: str) -> Outcome:
    return Outcome("passed", message)


def _fail(message: str) -> Outcome:
    return Outcome("failed", message)


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk, as far as assertions care."""

    source: str
    section: str = ""
    sku: str = ""
    intent: str = ""
    language: str = ""


@dataclass(frozen=True)
class Observed:
    """What a target produced for one case. Fields a kind does not produce stay empty."""

    kind: InputKind
    text: str = ""  # the draft, the filtered policy text, the customer text, or hits joined
    language: str | None = None
    intents: Sequence[tuple[str, float]] = ()  # (intent, confidence), any order
    citations: Sequence[tuple[str, str]] = ()  # (source, section)
    risks: Sequence[str] = ()  # risk flag types
    categories: Sequence[str] = ()  # check() categories (of the output text; policy: the input)
    unchanged: bool | None = None  # policy: the filtered text is byte-identical to the input
    hits: Sequence[Hit] = ()  # retrieval, best first
    k: int = 5  # retrieval: the case passes within this rank
    conversation: str = ""  # what the judge sees besides the reply
    extra: dict[str, Any] = field(default_factory=dict)


class Judge(Protocol):
    @property
    def model(self) -> str: ...

    def grade(self, rubric: str, conversation: str, reply: str) -> Outcome: ...


# ---------------------------------------------------------------- text patterns


_REGEX_LITERAL = re.compile(r"^/(?P<body>.+)/(?P<flags>[ims]*)$", re.DOTALL)
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    """The regex of a ``/.../flags`` string, ``None`` for a literal. Raises ``re.error``."""
    found = _REGEX_LITERAL.match(pattern)
    if not found:
        return None
    flags = 0
    for letter in found["flags"]:
        flags |= _FLAGS[letter]
    return re.compile(found["body"], flags)


def pattern_found(pattern: str, text: str) -> bool:
    regex = compile_pattern(pattern)
    if regex is not None:
        return regex.search(text) is not None
    return _normalise(pattern) in _normalise(text)


def _patterns(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def invalid_pattern(assertion: str, value: Any) -> str | None:
    """Why a text assertion's regular expression does not compile, or ``None``."""
    if assertion not in ("contains_any", "contains_all", "not_contains"):
        return None
    for pattern in _patterns(value):
        try:
            compile_pattern(pattern)
        except re.error as error:
            return f"invalid regular expression {pattern!r}: {error}"
    return None


def _excerpt(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# ---------------------------------------------------------------- the assertions


def check_language(expected: str, obs: Observed) -> Outcome:
    if obs.language == expected:
        return _ok(f"language is {expected}")
    return _fail(f"expected language {expected}, got {obs.language}")


def check_intents_include(expected: Sequence[str], obs: Observed) -> Outcome:
    found = [name for name, _ in obs.intents]
    missing = [i for i in expected if i not in found]
    if not missing:
        return _ok(f"intents include {', '.join(expected)}")
    return _fail(f"missing intent(s) {', '.join(missing)}; detected: {', '.join(found) or 'none'}")


def check_intents_exactly(expected: dict[str, Sequence[str]], obs: Observed) -> Outcome:
    found = {name for name, _ in obs.intents}
    wanted = set(expected["intents"])
    allowed = wanted | set(expected.get("also_ok", ()))
    missing, extra = wanted - found, found - allowed
    if not missing and not extra:
        return _ok(f"intents {', '.join(sorted(found))}")
    parts = []
    if missing:
        parts.append(f"missed {', '.join(sorted(missing))}")
    if extra:
        parts.append(f"extra {', '.join(sorted(extra))}")
    return _fail("; ".join(parts) + f" (detected: {', '.join(sorted(found)) or 'none'})")


def _understood(key: str, expected: Any, obs: Observed) -> Outcome:
    got = obs.extra.get(key)
    if got == expected:
        return _ok(f"{key} is {expected}")
    return _fail(f"expected {key} {expected}, got {got}")


def check_mood(expected: str, obs: Observed) -> Outcome:
    return _understood("mood", expected, obs)


def check_urgent(expected: bool, obs: Observed) -> Outcome:
    return _understood("urgent", expected, obs)


def check_order_state(expected: str | None, obs: Observed) -> Outcome:
    return _understood("order_state", expected, obs)


def check_product(expected: dict[str, Any], obs: Observed) -> Outcome:
    got = obs.extra.get("product") or {}
    wrong = [f"{key} {got.get(key)!r} (expected {value!r})" for key, value in expected.items()
             if key != "candidates" and got.get(key) != value]
    if "candidates" in expected and set(got.get("candidates") or ()) != set(expected["candidates"]):
        wrong.append(f"candidates {got.get('candidates')} (expected {expected['candidates']})")
    if wrong:
        return _fail("product: " + "; ".join(wrong))
    return _ok(f"product {got.get('sku')} ({got.get('how')})")


def check_slots(expected: dict[str, Any], obs: Observed) -> Outcome:
    got = obs.extra.get("slots") or {}
    wrong = []
    for key, value in expected.items():
        have = got.get(key)
        if isinstance(value, int | float) and isinstance(have, int | float):
            close = abs(have - value) <= max(abs(value) * 0.01, 0.01)
        else:
            close = have == value
        if not close:
            wrong.append(f"{key} {have!r} (expected {value!r})")
    if wrong:
        return _fail("slots: " + "; ".join(wrong))
    return _ok("slots " + ", ".join(f"{k}={v}" for k, v in expected.items()))


def check_top_intent(expected: str, obs: Observed) -> Outcome:
    if not obs.intents:
        return _fail(f"expected top intent {expected}, no intent detected")
    top = max(obs.intents, key=lambda pair: pair[1])[0]
    if top == expected:
        return _ok(f"top intent is {expected}")
    return _fail(f"expected top intent {expected}, got {top}")


def check_contains_any(expected: str | Sequence[str], obs: Observed) -> Outcome:
    patterns = _patterns(expected)
    found = [p for p in patterns if pattern_found(p, obs.text)]
    if found:
        return _ok(f"contains {found[0]!r}")
    return _fail(f"contains none of {patterns!r} in {_excerpt(obs.text)!r}")


def check_contains_all(expected: str | Sequence[str], obs: Observed) -> Outcome:
    patterns = _patterns(expected)
    missing = [p for p in patterns if not pattern_found(p, obs.text)]
    if not missing:
        return _ok(f"contains all of {patterns!r}")
    return _fail(f"missing {missing!r} in {_excerpt(obs.text)!r}")


def check_not_contains(expected: str | Sequence[str], obs: Observed) -> Outcome:
    patterns = _patterns(expected)
    present = [p for p in patterns if pattern_found(p, obs.text)]
    if not present:
        return _ok(f"contains none of {patterns!r}")
    return _fail(f"must not contain {present!r}: {_excerpt(obs.text)!r}")


def size_pattern(label: str) -> re.Pattern[str]:
    """A size label standing on its own: not glued to other letters or digits, so ``XL`` is
    not found inside ``2XL``/``XXL`` and ``42`` not inside ``142`` or ``42.5``; ``42码`` and
    ``(2XL)`` still count."""
    return re.compile(
        r"(?<![0-9A-Za-z.])" + re.escape(label) + r"(?![0-9A-Za-z]|\.[0-9])", re.IGNORECASE
    )


def check_mentions_size(expected: str | Sequence[str], obs: Observed) -> Outcome:
    labels = _patterns(expected)
    text = unicodedata.normalize("NFKC", obs.text)
    for label in labels:
        if size_pattern(label).search(text):
            return _ok(f"mentions size {label}")
    return _fail(f"does not mention size {' or '.join(labels)}: {_excerpt(obs.text)!r}")


def _cite_target(value: str | dict[str, str]) -> tuple[str | None, str | None]:
    if isinstance(value, str):
        return value, None
    return value.get("source"), value.get("section")


def check_cites(expected: str | dict[str, str], obs: Observed) -> Outcome:
    source_glob, section = _cite_target(expected)
    for source, cited_section in obs.citations:
        if source_glob is not None and not fnmatchcase(source, source_glob):
            continue
        if section is not None and _normalise(section) not in _normalise(cited_section):
            continue
        return _ok(f"cites {source}" + (f" § {cited_section}" if cited_section else ""))
    cited = ", ".join(f"{s}§{sec}" if sec else s for s, sec in obs.citations) or "nothing"
    return _fail(f"no citation matches {expected!r}; cited: {cited}")


def check_policy_clean(expected: bool, obs: Observed) -> Outcome:
    clean = not obs.categories
    if clean == expected:
        return _ok("policy clean" if clean else f"policy finds {', '.join(obs.categories)}")
    if expected:
        return _fail(f"policy finds {', '.join(sorted(set(obs.categories)))}")
    return _fail("expected a policy violation, the text is clean")


def check_no_category(expected: Sequence[str], obs: Observed) -> Outcome:
    found = sorted(set(expected).intersection(obs.categories))
    if not found:
        return _ok(f"none of {', '.join(expected)}")
    return _fail(f"policy finds {', '.join(found)} in {_excerpt(obs.text)!r}")


def check_risk_flags(expected: Sequence[str], obs: Observed) -> Outcome:
    raised = sorted(set(obs.risks))
    if not expected:
        if not raised:
            return _ok("no risk flag")
        return _fail(f"expected no risk flag, got {', '.join(raised)}")
    missing = [flag for flag in expected if flag not in raised]
    if not missing:
        return _ok(f"flags {', '.join(expected)}")
    raised_text = ", ".join(raised) or "none"
    return _fail(f"missing risk flag(s) {', '.join(missing)}; raised: {raised_text}")


def check_max_chars(expected: int, obs: Observed) -> Outcome:
    if len(obs.text) <= expected:
        return _ok(f"{len(obs.text)} ≤ {expected} characters")
    return _fail(f"{len(obs.text)} characters, more than {expected}")


def check_min_chars(expected: int, obs: Observed) -> Outcome:
    if len(obs.text) >= expected:
        return _ok(f"{len(obs.text)} ≥ {expected} characters")
    return _fail(f"{len(obs.text)} characters, fewer than {expected}: {_excerpt(obs.text)!r}")


# CJK ideographs and kana count one word each; runs of letters/digits (Latin, Hangul…) one each.
_WORD_UNITS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+")
_IDEOGRAPH = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def word_units(text: str) -> list[str]:
    units: list[str] = []
    for match in _WORD_UNITS.finditer(text):
        token = match.group()
        # A letter run may contain ideographs (\w matches them): split those out one by one.
        if _IDEOGRAPH.search(token) and len(token) > 1:
            units.extend(t for t in re.split(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-"
                                             r"\ufaff])", token) if t)
        else:
            units.append(token)
    return units


def check_not_one_word(expected: bool, obs: Observed) -> Outcome:
    units = word_units(obs.text)
    if not expected:
        return _ok("not checked (not_one_word: false)")
    if len(units) >= 3:
        return _ok(f"{len(units)} words")
    return _fail(f"bare reply ({len(units)} word(s)): {obs.text!r}")


def check_retrieves(expected: dict[str, str], obs: Observed) -> Outcome:
    rank = first_matching_rank(expected, obs.hits)
    if rank is None:
        top = ", ".join(h.source + (f"§{h.section}" if h.section else "") for h in obs.hits[:3])
        return _fail(f"no hit matches {expected!r} in the top {len(obs.hits)}; "
                     f"top: {top or 'none'}")
    if rank <= obs.k:
        return _ok(f"found at rank {rank}")
    return _fail(f"found at rank {rank}, below the top {obs.k}")


def hit_matches(expected: dict[str, str], hit: Hit) -> bool:
    if not fnmatchcase(hit.source, expected["source"]):
        return False
    if "sku" in expected and hit.sku != expected["sku"]:
        return False
    if "section" in expected and _normalise(expected["section"]) not in _normalise(hit.section):
        return False
    if "intent" in expected and hit.intent != expected["intent"]:
        return False
    return not ("language" in expected and hit.language != expected["language"])


def first_matching_rank(expected: dict[str, str], hits: Sequence[Hit]) -> int | None:
    return next((rank for rank, hit in enumerate(hits, 1) if hit_matches(expected, hit)), None)


def check_categories(expected: Sequence[str], obs: Observed) -> Outcome:
    found = set(obs.categories)
    wanted = set(expected)
    if not wanted:
        if found:
            return _fail(f"hard negative flagged as {', '.join(sorted(found))}")
        if obs.unchanged is False:
            return _fail("hard negative came back changed (must be byte-identical)")
        return _ok("clean and unchanged")
    if found == wanted:
        return _ok(f"categories {', '.join(sorted(found))}")
    parts = []
    if wanted - found:
        parts.append(f"missed {', '.join(sorted(wanted - found))}")
    if found - wanted:
        parts.append(f"extra {', '.join(sorted(found - wanted))}")
    return _fail("; ".join(parts))


# ---------------------------------------------------------------- the answer plan


def check_readiness(expected: str, obs: Observed) -> Outcome:
    got = obs.extra.get("readiness")
    if got == expected:
        return _ok(f"readiness {got}")
    return _fail(f"readiness {got!r}, expected {expected!r} (check items: "
                 f"{', '.join(obs.extra.get('needs_check') or []) or 'none'})")


def check_needs_check(expected: bool | Sequence[str], obs: Observed) -> Outcome:
    got = list(obs.extra.get("needs_check") or [])
    if expected is True:
        return _ok(f"check {', '.join(got)}") if got else _fail("nothing to check, expected some")
    if expected is False:
        return _fail(f"asks the agent to check {', '.join(got)}") if got else _ok("no check")
    missing = [ask for ask in expected if ask not in got]
    if not missing:
        return _ok(f"check {', '.join(expected)}")
    return _fail(f"not checked: {', '.join(missing)}; checks: {', '.join(got) or 'none'}")


def check_answers(expected: Sequence[str], obs: Observed) -> Outcome:
    got = list(obs.extra.get("answered") or [])
    missing = [ask for ask in expected if ask not in got]
    if not missing:
        return _ok(f"answers {', '.join(expected)}")
    return _fail(f"not answered from knowledge: {', '.join(missing)}; answered: "
                 f"{', '.join(got) or 'none'}; checks: "
                 f"{', '.join(obs.extra.get('needs_check') or []) or 'none'}")


def check_no_menu(expected: bool, obs: Observed) -> Outcome:
    if not expected:
        return _ok("not checked (no_menu: false)")
    if "menu" in (obs.extra.get("sources") or ()):
        return _fail(f"the topic menu: {_excerpt(obs.text)!r}")
    return _ok("no topic menu")


def check_opening(expected: str, obs: Observed) -> Outcome:
    got = obs.extra.get("opening")
    if got == expected:
        return _ok(f"opening {got}")
    return _fail(f"opening {got!r}, expected {expected!r}: {_excerpt(obs.text)!r}")


_EMOJI = re.compile(f"[{EMOJI_CLASS}]")


def check_no_emoji(expected: bool, obs: Observed) -> Outcome:
    if not expected:
        return _ok("not checked (no_emoji: false)")
    found = _EMOJI.findall(obs.text)
    if found:
        return _fail(f"emoji {''.join(found)} in {_excerpt(obs.text)!r}")
    return _ok("no emoji")


def check_judge(rubric: str, obs: Observed, judge: Judge | None) -> Outcome:
    if judge is None:
        return Outcome("skipped", "no LLM configured for judge assertions")
    return judge.grade(rubric, obs.conversation, obs.text)


Checker = Callable[[Any, Observed], Outcome]

CHECKERS: dict[str, Checker] = {
    "language": check_language,
    "intents_include": check_intents_include,
    "top_intent": check_top_intent,
    "contains_any": check_contains_any,
    "contains_all": check_contains_all,
    "not_contains": check_not_contains,
    "mentions_size": check_mentions_size,
    "cites": check_cites,
    "policy_clean": check_policy_clean,
    "no_category": check_no_category,
    "risk_flags": check_risk_flags,
    "max_chars": check_max_chars,
    "min_chars": check_min_chars,
    "not_one_word": check_not_one_word,
    "retrieves": check_retrieves,
    "categories": check_categories,
    "intents_exactly": check_intents_exactly,
    "mood": check_mood,
    "urgent": check_urgent,
    "product": check_product,
    "slots": check_slots,
    "order_state": check_order_state,
    "readiness": check_readiness,
    "needs_check": check_needs_check,
    "answers": check_answers,
    "no_menu": check_no_menu,
    "opening": check_opening,
    "no_emoji": check_no_emoji,
}

_TEXT_KINDS: tuple[InputKind, ...] = ("draft", "policy", "retrieval", "customer_scan")
_DRAFT: tuple[InputKind, ...] = ("draft",)

# Which input kinds each assertion makes sense for (checked when a suite is loaded).
_UNDERSTAND: tuple[InputKind, ...] = ("understand",)

APPLIES_TO: dict[str, tuple[InputKind, ...]] = {
    "language": ("draft", "understand"),
    "intents_exactly": _UNDERSTAND,
    "mood": _UNDERSTAND,
    "urgent": _UNDERSTAND,
    "product": _UNDERSTAND,
    "slots": _UNDERSTAND,
    "order_state": _UNDERSTAND,
    "intents_include": _DRAFT,
    "top_intent": _DRAFT,
    "contains_any": _TEXT_KINDS,
    "contains_all": _TEXT_KINDS,
    "not_contains": _TEXT_KINDS,
    "mentions_size": _DRAFT,
    "cites": _DRAFT,
    "policy_clean": ("draft", "policy"),
    "no_category": ("draft", "policy"),
    "risk_flags": ("draft", "customer_scan"),
    "max_chars": ("draft", "policy"),
    "min_chars": ("draft", "policy"),
    "not_one_word": _DRAFT,
    "judge": _DRAFT,
    "retrieves": ("retrieval",),
    "categories": ("policy",),
    "readiness": _DRAFT,
    "needs_check": _DRAFT,
    "answers": _DRAFT,
    "no_menu": _DRAFT,
    "opening": _DRAFT,
    "no_emoji": _DRAFT,
}


def evaluate(name: str, value: Any, obs: Observed, judge: Judge | None = None) -> Outcome:
    if name == "judge":
        return check_judge(value, obs, judge)
    return CHECKERS[name](value, obs)
