"""What the customer wants: several intents per message, each with a confidence.

Two signals, both driven by data files:

* keyword rules (``prompts/offline/intents.yaml``): regular expressions per intent and language
  family; precise, and they catch every intent named in a message ("多少钱？能便宜点吗？几天到？");
* a trained classifier (``classifier.py``, trained on ``prompts/understanding/training/``) over
  the message's embedding and its n-grams, which catches the phrasings no rule lists ("快递发哪家",
  "없나요", "only want to know when it gets here") and can overrule a broad keyword ("已付款").

An intent found by both signals gets a bonus. Nothing confident → ``other``.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from replydraft.drafting.datafiles import load_yaml_mapping
from replydraft.drafting.models import IntentScore
from replydraft.drafting.understanding.classifier import ModelSource
from replydraft.errors import ConfigurationError
from replydraft.knowledge.embedding import Embedder, embed_queries
from replydraft.knowledge.models import Intent
from replydraft.languages import Language
from replydraft.text.korean import standard_spelling
from replydraft.text.script import to_simplified

EmbedQuery = Callable[[str], np.ndarray]
MODEL_FILE = "model.npz"

STRONG = 0.9
WEAK = 0.6
BOTH_SIGNALS_BONUS = 0.08
INCLUDE_AT = 0.5  # intents below this confidence are not reported
FOLLOWUP_DECAY = 0.9  # a follow-up inherits the previous intents slightly less sure
INHERIT_SURE = 0.85  # below this (and below the lead), a previous intent is not inherited

_FAMILIES = ("zh", "en", "ko")
_KNOWN_INTENTS = set(Intent.__args__)  # type: ignore[attr-defined]


def family_of(language: Language) -> str:
    return "zh" if language.startswith("zh") else language


def normalise(text: str) -> str:
    """NFKC (full-width → ASCII), lower case, Simplified script: what the rules are written for."""
    return standard_spelling(to_simplified(unicodedata.normalize("NFKC", text))).lower().strip()


@dataclass(frozen=True)
class _Rule:
    intent: str
    pattern: re.Pattern[str]
    weight: float


@dataclass(frozen=True)
class IntentRules:
    rules: tuple[_Rule, ...]
    followups: dict[str, tuple[re.Pattern[str], ...]]
    version: str

    def scores(self, text: str) -> dict[str, float]:
        """Rule confidence per intent; every family's rules run (mixed-language messages)."""
        found: dict[str, float] = {}
        for rule in self.rules:
            if rule.pattern.search(text):
                found[rule.intent] = max(found.get(rule.intent, 0.0), rule.weight)
        return found

    def is_followup(self, text: str) -> bool:
        return any(p.search(text) for patterns in self.followups.values() for p in patterns)

    def without(self, intent: str, text: str) -> str:
        """``text`` with the words of ``intent``'s rules taken out."""
        for rule in self.rules:
            if rule.intent == intent:
                text = rule.pattern.sub(" ", text)
        return text.strip()


def _compile(path: Path, where: str, pattern: object) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise ConfigurationError(f"{path}: {where}: a pattern must be a string, got {pattern!r}")
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ConfigurationError(f"{path}: {where}: bad pattern {pattern!r}: {error}") from None


def _check_intent(path: Path, intent: object) -> str:
    if intent not in _KNOWN_INTENTS:
        raise ConfigurationError(f"{path}: unknown intent {intent!r}")
    return str(intent)


def load_rules(path: Path) -> IntentRules:
    data = load_yaml_mapping(path)
    intents = data.get("intents")
    if not isinstance(intents, dict):
        raise ConfigurationError(f"{path}: 'intents' must map intent names to rules")
    rules: list[_Rule] = []
    for intent, spec in intents.items():
        name = _check_intent(path, intent)
        if not isinstance(spec, dict) or not set(spec) <= {"strong", "weak"}:
            raise ConfigurationError(f"{path}: intents.{name}: only 'strong' and 'weak' allowed")
        for strength, weight in (("strong", STRONG), ("weak", WEAK)):
            for family, patterns in (spec.get(strength) or {}).items():
                if family not in _FAMILIES:
                    raise ConfigurationError(
                        f"{path}: intents.{name}.{strength}: unknown family {family!r}"
                    )
                for i, pattern in enumerate(patterns or []):
                    where = f"intents.{name}.{strength}.{family}[{i}]"
                    rules.append(_Rule(name, _compile(path, where, pattern), weight))
    followups = {
        family: tuple(
            _compile(path, f"followup.{family}[{i}]", p) for i, p in enumerate(patterns)
        )
        for family, patterns in (data.get("followup") or {}).items()
    }
    return IntentRules(_combined(rules), followups, str(data.get("version", "")))


def _combined(rules: list[_Rule]) -> tuple[_Rule, ...]:
    """One alternation per intent and weight: the same matches as trying each pattern (they
    were compiled one by one above, so an error names its own pattern), with one regex call per
    group instead of hundreds per message."""
    groups: dict[tuple[str, float], list[_Rule]] = {}
    for rule in rules:
        groups.setdefault((rule.intent, rule.weight), []).append(rule)
    return tuple(
        _Rule(intent, re.compile("|".join(f"(?:{r.pattern.pattern})" for r in group)),
              weight)
        for (intent, weight), group in groups.items())


# Intents that only make sense alone: a greeting, a thanks or anger next to a real question are
# the question's wrapping ("在吗 多少钱" asks the price; the mood keeps the anger).
RESIDUAL = ("greeting", "thanks_close", "complaint", "other")
# A keyword rule counts when the model gives its intent at least this share of the intent's own
# threshold: rules are precise about words, the model about what the message asks ("已付款" is a
# payment word in a shipping question; "how much is shipping" is no price question).
STRONG_SUPPORT = 0.2
WEAK_SUPPORT = 0.6
# In choosing the leading intent a strong rule counts this much, as much as the model at its
# threshold ("卫衣穿什么码合适" is a size question, however the model leans past it).
RULE_LEAD = 1.0
# Most messages ask one thing. Beside the leading intent, a second one needs the model this sure
# (or a strong rule with the model at this share of the threshold): near-threshold neighbours
# ("fabric" → a defect?) are noise, not questions.
SECOND_SURE = 0.75
SECOND_RULE_SUPPORT = 0.5
# Intents a customer states together, each named by its own words: a defect and the demand to
# send it back. A strong rule for one beside the other stands without the model's support.
COMPANIONS = (("quality_complaint", "return_exchange"),)
# Intents said in fixed words ("转人工", "换真人来", "상담원 연결"): their strong rules stand
# whatever the model leans to.
STANDING = ("handoff",)
# With nothing above its threshold, the model's best intent still counts when it is more likely
# than every "nothing to act on" intent (other, greeting, thanks, complaint) and reaches this share
# of its threshold: on real customer lines a lean answers far more often than the topic menu
# would (27 % of 200 lines ended as "other" at 0.3, 21 % at 0.15, 14.5 % at 0.05 with the
# complaint rule; the understanding suite did not move).
LEAN = 0.05
# A question-like clause of a longer message adds its intent only at this confidence.
CLAUSE_SURE = 0.5
# Requests that wrap the customer's case rather than state it: "아직도 안 오고 상담원 연결해줘요"
# is a late parcel first, and "你好，问下发货" asks about dispatch once the hello is said. The rest
# of such a message is read on its own as well.
WRAPPERS = ("handoff", "greeting")
# Fewer letters than this left once a wrapper or a threat is taken out: nothing more to read.
# A reading below this is barely a lean: a specific ask found in the message says more, and it is
# no topic of its own for a message that presses on an open case.
FAINT = 0.3
MIN_REST_CHARS = 4
UNWRAPPED_SURE = 0.7


def combine(rule_scores: dict[str, float], probabilities: dict[str, float] | None,
            thresholds: dict[str, float] | None = None) -> list[IntentScore]:
    """Rules and model together. ``probabilities`` None: the rules alone (the eval reports both).

    A rule stands when the model supports it a little (strong rule) or more (weak rule); the
    model alone adds an intent above that intent's own threshold; beside the leading intent a
    second one needs clearer evidence.
    """
    merged: dict[str, float] = {}
    if probabilities is None or thresholds is None:
        merged = {i: s for i, s in rule_scores.items() if s >= INCLUDE_AT}
    else:
        merged = _supported(rule_scores, probabilities, thresholds)
        if not any(i not in RESIDUAL for i in merged):
            # The model sure of nothing: a strong rule's precise words beat its faint lean.
            ruled = {i: r for i, r in rule_scores.items() if r >= STRONG and i not in RESIDUAL} \
                if _sure_of_nothing(probabilities, thresholds) else {}
            lean = _lean(probabilities, thresholds)
            if ruled:
                merged = ruled
            elif lean is not None:
                merged = {lean: probabilities[lean]}
    if probabilities is not None and thresholds is not None:
        merged = _doubted(merged, rule_scores, probabilities, thresholds)
    substantive = {i: s for i, s in merged.items() if i not in RESIDUAL}
    if substantive:
        merged = substantive
    elif len(merged) > 1:
        best = max(merged, key=lambda i: merged[i])
        merged = {best: merged[best]}
    if not merged:
        return [IntentScore(intent="other", confidence=0.5)]
    return sorted((IntentScore(intent=i, confidence=round(min(s, 1.0), 3))
                   for i, s in merged.items()), key=lambda s: -s.confidence)


def _supported(rule_scores: dict[str, float], probabilities: dict[str, float],
               thresholds: dict[str, float]) -> dict[str, float]:
    found: dict[str, tuple[float, float]] = {}  # intent → (confidence, strength vs threshold)
    for intent in set(rule_scores) | set(probabilities):
        rule = rule_scores.get(intent, 0.0)
        p = probabilities.get(intent, 0.0)
        threshold = thresholds.get(intent, 0.5)
        strength = p / threshold + (RULE_LEAD if rule >= STRONG else 0.0)
        if p >= threshold:
            bonus = BOTH_SIGNALS_BONUS if rule else 0.0
            found[intent] = (min(1.0, max(rule, p) + bonus), strength)
        elif (rule >= STRONG and p >= threshold * STRONG_SUPPORT) or \
                (rule >= WEAK and p >= threshold * WEAK_SUPPORT):
            found[intent] = (rule, strength)
    if not found:
        return {}
    lead = max(found, key=lambda i: found[i][1])
    kept = {}
    for intent, (confidence, _) in found.items():
        p = probabilities.get(intent, 0.0)
        threshold = thresholds.get(intent, 0.5)
        second = p >= max(threshold, SECOND_SURE) or (
            rule_scores.get(intent, 0.0) >= STRONG and p >= threshold * SECOND_RULE_SUPPORT)
        if intent == lead or second:
            kept[intent] = confidence
    for intent in STANDING:
        if intent not in kept and rule_scores.get(intent, 0.0) >= STRONG:
            kept[intent] = rule_scores[intent]
    for first, other in COMPANIONS:
        # "开线了 退钱": the defect and the demand are both the case, whatever the model leans to.
        for a, b in ((first, other), (other, first)):
            if a in kept and b not in kept and rule_scores.get(b, 0.0) >= STRONG:
                kept[b] = rule_scores[b]
    return kept


def _doubted(merged: dict[str, float], rule_scores: dict[str, float],
             probabilities: dict[str, float], thresholds: dict[str, float]) -> dict[str, float]:
    """The model finds a topic in a message it also reads as small talk ("요즘 다들 이런 거
    입더라고요", "how'd you guess?"), with no keyword for the topic: the topic is a guess,
    its confidence cut by how sure the model is that nothing is asked."""
    other = probabilities.get("other", 0.0)
    if other < thresholds.get("other", 0.5):
        return merged
    return {i: s if i in RESIDUAL or rule_scores.get(i) else round(s * (1 - other), 3)
            for i, s in merged.items()}


def _sure_of_nothing(probabilities: dict[str, float], thresholds: dict[str, float]) -> bool:
    return all(p < thresholds.get(i, 0.5) for i, p in probabilities.items())


def _lean(probabilities: dict[str, float], thresholds: dict[str, float]) -> str | None:
    best = max((i for i in probabilities if i not in RESIDUAL),
               key=lambda i: probabilities[i] / thresholds.get(i, 0.5), default=None)
    if best is None:
        return None
    p = probabilities[best]
    residual = max((probabilities.get(i, 0.0) for i in RESIDUAL), default=0.0)
    return best if p >= thresholds.get(best, 0.5) * LEAN and p > residual else None


class IntentClassifier:
    """Keyword rules plus the trained model (``classifier.IntentModel``)."""

    def __init__(self, rules: IntentRules, model: ModelSource, embed: EmbedQuery) -> None:
        self.rules = rules
        self._model = model
        self._embed = embed

    def classify(self, text: str, *, rules_only: bool = False) -> list[IntentScore]:
        """The message's intents; a message of several questions ("多少钱？能便宜点吗？几天到？")
        is also read question by question, so each one's intent counts in full."""
        found = self._classify_one(text, rules_only)
        found = self._unwrapped(text, found, rules_only)
        clauses = questions_in(text)
        if len(clauses) < 2:
            return found
        merged = {s.intent: s.confidence for s in found}
        for clause in clauses:
            if not is_question(normalise(clause)):
                continue  # "已付款", "冬天骑车戴": context for the question, not a question
            lead = self._classify_one(clause, rules_only)[0]
            # A clause adds its question only when read clearly: "怎么办" alone leans anywhere.
            if lead.intent not in RESIDUAL and lead.confidence >= CLAUSE_SURE:
                merged[lead.intent] = max(merged.get(lead.intent, 0.0), lead.confidence)
        substantive = {i: c for i, c in merged.items() if i not in RESIDUAL}
        return sorted((IntentScore(intent=i, confidence=c)
                       for i, c in (substantive or merged).items()), key=lambda s: -s.confidence)

    def _unwrapped(self, text: str, found: list[IntentScore], rules_only: bool
                   ) -> list[IntentScore]:
        names = {s.intent for s in found}
        normalised = normalise(text)
        for wrapper in WRAPPERS:
            # a hello hides the rest only where it leads (each reading costs an embedding)
            if wrapper not in names or (wrapper == "greeting" and found[0].intent != wrapper):
                continue
            rest = self.rules.without(wrapper, normalised)
            if letters(rest) < MIN_REST_CHARS or rest == normalised:
                continue
            lead = self._classify_one(rest, rules_only)[0]
            if lead.intent not in RESIDUAL and lead.intent not in names and \
                    lead.confidence >= UNWRAPPED_SURE:
                found = sorted([*found, lead], key=lambda s: -s.confidence)
        return found

    def _classify_one(self, text: str, rules_only: bool) -> list[IntentScore]:
        rule_scores = self.rules.scores(normalise(text))
        if rules_only:
            return combine(rule_scores, None)
        model = self._model.get()
        probabilities = model.probabilities(text, np.asarray(self._embed(text), dtype=np.float32))
        return combine(rule_scores, probabilities, model.threshold_of)

    def is_followup(self, text: str) -> bool:
        return self.rules.is_followup(normalise(text))


# Where a message of several questions breaks: question marks, full stops (an English one only
# after a word and before a space: "3.5" and "u.s." stay whole), new lines.
_QUESTION_BREAK = re.compile(r"(?<=[？?！!。；;\n])\s*|(?<=[a-z]\.)\s+", re.IGNORECASE)
MAX_QUESTIONS = 3
_MIN_QUESTION_CHARS = 2


# Chinese customers end a sentence with a space as often as with punctuation ("多少钱 包邮吗").
# Korean ones end a clause with a polite ending or a connective and go on ("언제 들어와요 제주도
# 배송 돼요", "빼주시고 카카오페이 되나요"); English ones join two questions with "and" or a comma
# ("how much and is shipping free").
_CHINESE_BREAK = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_KOREAN_BREAK = re.compile(
    r"(?:(?<=나요)|(?<=까요)|(?<=가요)|(?<=돼요)|(?<=[죠랑])|(?<=[시하주되있없]고))"
    r"\s+(?=[\uac00-\ud7a3\d])")
_ENGLISH_BREAK = re.compile(
    r"\s*(?:,|\band\b)\s+(?=(?:is|are|do|does|can|could|will|how|what|when|where|which|"
    r"any|also)\b)", re.IGNORECASE)


# What makes a sentence a question in the four languages (matched on the normalised text).
# Korean question words ask without a question mark ("사이즈 어떻게 돼요"). An English auxiliary
# asks only where a clause starts with it ("can you ship today", "ok so is
# it waterproof"); inside a clause it states ("I would like to order this", "it can wait"). A
# Korean past tense ("입금했어요", "받았어요") states unless a question mark says otherwise.
_QUESTIONISH = re.compile(
    r"[?？]|吗|呢|么|嘛|几|多少|什么|啥|哪|怎么|咋|能不能|可不可以|是否|有没有|要不要|行不行|"
    r"如何|多久|是不是|会不会|好不好|对不对|有木有|可否|能否|是吧|对吧|没错吧|"
    # "请问预售也是这个价", "你是说…没有味道": asked with no mark, and asked for a yes or a no
    r"请问|(?<![我他她])(你|您)(的)?(是说|意思是)|\b(you mean|you're saying|youre saying)\b|"
    r"可以不|能不|有多(大|长|重|高|宽|厚|远)|\b(how|what|when|where|which)\b|"
    # a closing 没(有) asks the yes-or-no ("到了没有"); "还没" answers one. (A closing 不,
    # "耐磨不", is left to the words before it: the model reads it as a grievance.)
    r"(?<=[\u4e00-\u9fff])(?<![不没还也都就并我])没有?[\s~～。!！]*$|"
    r"(?:^|[.!;,:~]\s*|\b(?:and|so|but|then|also|ok|okay|hi|hello|hey|or|pls|please)\s+)"
    r"(can|could|do|does|did|is|are|will|would|should|any)\b|"
    r"어떻게|언제|어디|얼마|무슨|몇 ?(개|벌|시|일|사이즈|호)|"
    # information asked for in the imperative ("tell me about the battery", "介绍一下"); not
    # "알려 주세요", which as often asks to be told later
    r"\b(tell me (about|more|what|how|if|whether)|give me (some |more )?(info|information|"
    r"details)|(info|information|details) (about|on))\b|介绍(一下|下)")
# A Korean polite ending asks or states alike ("있어요?" / "마음에 들어요"): a question unless the
# words say otherwise.
_KOREAN_ENDING = re.compile(
    r"(나요|가요|까요|니까|(?<![었았했였겠])어요|에요|예요|죠|지요|는지|ㄹ까)\s*$")


_NOT_LETTERS = re.compile(r"[\W_]+")


def letters(text: str) -> int:
    """How many letters and digits the text has (punctuation, spaces and emoji left out)."""
    return len(_NOT_LETTERS.sub("", text))


def is_question(normalised: str) -> bool:
    """Does the (normalised) text ask something, in any of the four languages?"""
    return _QUESTIONISH.search(normalised) is not None or \
        _KOREAN_ENDING.search(normalised) is not None


def asks_outright(normalised: str) -> bool:
    """A question by a mark or a question word, not only by a Korean ending that states as
    often ("마음에 들어요" is praise, "색깔 있어요" may ask)."""
    return _QUESTIONISH.search(normalised) is not None


def questions_in(text: str) -> list[str]:
    """The message's sentences, when it has more than one (at most ``MAX_QUESTIONS``, the
    customer's order kept); a one-sentence message gives one."""
    parts = [p.strip() for p in _QUESTION_BREAK.split(text.strip())]
    for breaks in (_CHINESE_BREAK, _KOREAN_BREAK, _ENGLISH_BREAK):
        parts = [piece for part in parts for piece in breaks.split(part)]
    parts = [p for p in parts if letters(p) >= _MIN_QUESTION_CHARS]
    return parts[:MAX_QUESTIONS] if len(parts) > 1 else [text]


# What a follow-up never inherits: a greeting or a thanks before it asked nothing to go on with
# ("好的" … "你们地址发我" is a returns question, not a second thanks).
_NOT_CARRIED_ON = frozenset({"other", "greeting", "thanks_close"})


def with_followup(
    current: Sequence[IntentScore], previous: Sequence[IntentScore], *, followup: bool
) -> list[IntentScore]:
    """A follow-up ("那黑色呢?") keeps the previous question's intents alongside its own."""
    if not followup or not previous:
        return list(current)
    merged = {s.intent: s.confidence for s in current if s.intent != "other"}
    lead = max((s.confidence for s in previous), default=0.0)
    for score in previous:
        if score.intent in _NOT_CARRIED_ON:
            continue
        if score.confidence < min(lead, INHERIT_SURE):
            continue  # a faint second reading of the last question is not carried on
        inherited = round(score.confidence * FOLLOWUP_DECAY, 3)
        merged[score.intent] = max(merged.get(score.intent, 0.0), inherited)
    if not merged:
        return list(current)
    return sorted((IntentScore(intent=i, confidence=c) for i, c in merged.items()),
                  key=lambda s: -s.confidence)


_classifiers: dict[tuple[str, str, str], IntentClassifier] = {}
_classifiers_lock = threading.Lock()


def intent_classifier(
    prompts_dir: Path, embedder: Embedder, cache_dir: Path | None = None
) -> IntentClassifier:
    """One classifier per prompts folder and embedding model per process. The trained model is
    ``prompts/understanding/model.npz`` when it matches the training files; otherwise it is
    trained on first use and, with ``cache_dir``, kept there across restarts."""
    rules_file = prompts_dir / "offline" / "intents.yaml"
    understanding = prompts_dir / "understanding"
    key = (str(rules_file.resolve()), _file_stamp(rules_file), embedder.name)
    with _classifiers_lock:
        found = _classifiers.get(key)
        if found is None:
            model_dir = cache_dir / _safe_name(embedder.name) if cache_dir else None
            source = ModelSource(understanding / MODEL_FILE, understanding / "training",
                                 lambda texts: embed_queries(embedder, texts), embedder.name,
                                 model_dir)
            found = IntentClassifier(load_rules(rules_file), source, embedder.embed_query)
            _classifiers[key] = found
        return found


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _file_stamp(*paths: Path) -> str:
    parts = []
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise ConfigurationError(f"{path}: file not found") from None
        parts.append(f"{stat.st_mtime_ns}:{stat.st_size}")
    return "|".join(parts)
