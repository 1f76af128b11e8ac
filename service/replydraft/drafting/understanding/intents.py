"""What the customer wants: several intents per message, each with a confidence.

Two signals, both driven by data files in ``prompts/offline/``:

* keyword rules (``intents.yaml``): regular expressions per intent and language family; they catch
  every intent named in a message ("多少钱？能便宜点吗？几天到？" → three intents);
* nearest exemplars (``intent_exemplars.yaml``): example messages embedded once per process with
  the knowledge base's model; the closest examples vote, which catches phrasings no rule lists.

An intent found by both signals gets a bonus. Nothing confident → ``other``.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from replydraft.drafting.datafiles import load_yaml_mapping
from replydraft.drafting.language import to_simplified
from replydraft.drafting.models import IntentScore
from replydraft.errors import ConfigurationError
from replydraft.knowledge.embedding import Embedder
from replydraft.knowledge.models import Intent
from replydraft.languages import Language

EmbedQueries = Callable[[list[str]], np.ndarray]

STRONG = 0.9
WEAK = 0.6
BOTH_SIGNALS_BONUS = 0.08
INCLUDE_AT = 0.5  # intents below this confidence are not reported
FOLLOWUP_DECAY = 0.9  # a follow-up inherits the previous intents slightly less sure

# Embedding similarities of e5 sit in a narrow band; these bounds map it onto a confidence.
_SIM_FLOOR = 0.90
_SIM_SPAN = 0.06
_EMBED_MAX = 0.85
_MARGIN_FULL = 0.03  # best intent this far ahead of the runner-up counts fully

_FAMILIES = ("zh", "en", "ko")
_KNOWN_INTENTS = set(Intent.__args__)  # type: ignore[attr-defined]


def family_of(language: Language) -> str:
    return "zh" if language.startswith("zh") else language


def normalise(text: str) -> str:
    """NFKC (full-width → ASCII), lower case, Simplified script: what the rules are written for."""
    return to_simplified(unicodedata.normalize("NFKC", text)).lower().strip()


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


@dataclass(frozen=True)
class Exemplars:
    labels: tuple[str, ...]
    texts: tuple[str, ...]
    digest: str

    @property
    def intents(self) -> list[str]:
        return sorted(set(self.labels))


def load_exemplars(path: Path) -> Exemplars:
    data = load_yaml_mapping(path)
    groups = data.get("exemplars")
    if not isinstance(groups, dict) or not groups:
        raise ConfigurationError(f"{path}: 'exemplars' must map intent names to example lists")
    labels: list[str] = []
    texts: list[str] = []
    for intent, examples in groups.items():
        name = _check_intent(path, intent)
        if not isinstance(examples, list) or not examples:
            raise ConfigurationError(f"{path}: exemplars.{name}: needs a non-empty list")
        for i, example in enumerate(examples):
            if not isinstance(example, str) or not example.strip():
                raise ConfigurationError(f"{path}: exemplars.{name}[{i}]: must be text")
            labels.append(name)
            texts.append(example.strip())
    digest = hashlib.sha256("\n".join(f"{a}\t{b}" for a, b in zip(labels, texts, strict=True))
                            .encode()).hexdigest()[:16]
    return Exemplars(tuple(labels), tuple(texts), digest)


class ExemplarIndex:
    """Exemplar vectors, embedded lazily on first use (about two seconds), then kept."""

    def __init__(
        self, exemplars: Exemplars, embed: EmbedQueries, cache_dir: Path | None = None
    ) -> None:
        self._exemplars = exemplars
        self._embed = embed
        self._cache_dir = cache_dir
        self._matrix: np.ndarray | None = None
        self._lock = threading.Lock()

    def _cache_file(self) -> Path | None:
        if self._cache_dir is None:
            return None
        return self._cache_dir / f"intent-exemplars-{self._exemplars.digest}.npy"

    def _build(self) -> np.ndarray:
        cache = self._cache_file()
        if cache is not None and cache.exists():
            matrix = np.load(cache)
            if matrix.shape[0] == len(self._exemplars.texts):
                return matrix
        matrix = np.asarray(self._embed(list(self._exemplars.texts)), dtype=np.float32)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".tmp.npy")
            np.save(tmp, matrix)
            tmp.replace(cache)  # atomic: a half-written cache is never read
        return matrix

    @property
    def matrix(self) -> np.ndarray:
        if self._matrix is None:
            with self._lock:
                if self._matrix is None:
                    self._matrix = self._build()
        return self._matrix

    def best_per_intent(self, vector: np.ndarray) -> dict[str, float]:
        sims = self.matrix @ vector
        best: dict[str, float] = {}
        for label, sim in zip(self._exemplars.labels, sims.tolist(), strict=True):
            if sim > best.get(label, -1.0):
                best[label] = sim
        return best


def embedding_scores(best: dict[str, float]) -> dict[str, float]:
    """Turn per-intent nearest-exemplar similarity into confidences; only a clear winner scores."""
    ranked = sorted(best.items(), key=lambda item: -item[1])
    if not ranked:
        return {}
    top_intent, top_sim = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    level = min(max((top_sim - _SIM_FLOOR) / _SIM_SPAN, 0.0), 1.0)
    margin = min(max((top_sim - runner_up) / _MARGIN_FULL, 0.3), 1.0)
    return {top_intent: round(level * margin * _EMBED_MAX, 3)}


def combine(rule_scores: dict[str, float], embed_scores: dict[str, float]) -> list[IntentScore]:
    merged: dict[str, float] = {}
    for intent in set(rule_scores) | set(embed_scores):
        rule, embedded = rule_scores.get(intent, 0.0), embed_scores.get(intent, 0.0)
        score = max(rule, embedded)
        if rule and embedded >= 0.3:
            score = min(1.0, score + BOTH_SIGNALS_BONUS)
        merged[intent] = score
    chosen = [
        IntentScore(intent=i, confidence=round(s, 3))
        for i, s in merged.items()
        if s >= INCLUDE_AT and i != "other"
    ]
    if not chosen:
        other = max(merged.get("other", 0.5), 0.5)
        return [IntentScore(intent="other", confidence=round(other, 3))]
    return sorted(chosen, key=lambda s: -s.confidence)


class IntentClassifier:
    def __init__(self, rules: IntentRules, index: ExemplarIndex, embed: EmbedQueries) -> None:
        self.rules = rules
        self._index = index
        self._embed = embed

    def classify(self, text: str) -> list[IntentScore]:
        normalised = normalise(text)
        vector = np.asarray(self._embed([text]), dtype=np.float32)[0]
        return combine(self.rules.scores(normalised),
                       embedding_scores(self._index.best_per_intent(vector)))

    def is_followup(self, text: str) -> bool:
        return self.rules.is_followup(normalise(text))


def with_followup(
    current: Sequence[IntentScore], previous: Sequence[IntentScore], *, followup: bool
) -> list[IntentScore]:
    """A follow-up ("那黑色呢?") keeps the previous question's intents alongside its own."""
    if not followup or not previous:
        return list(current)
    merged = {s.intent: s.confidence for s in current if s.intent != "other"}
    for score in previous:
        if score.intent in ("other", "greeting"):
            continue
        inherited = round(score.confidence * FOLLOWUP_DECAY, 3)
        merged[score.intent] = max(merged.get(score.intent, 0.0), inherited)
    if not merged:
        return list(current)
    return sorted((IntentScore(intent=i, confidence=c) for i, c in merged.items()),
                  key=lambda s: -s.confidence)


def queries_with(embedder: Embedder) -> EmbedQueries:
    """Exemplars and messages are both embedded as queries: a symmetric comparison."""

    def embed(texts: list[str]) -> np.ndarray:
        return np.stack([embedder.embed_query(text) for text in texts])

    return embed


_classifiers: dict[tuple[str, str, str], IntentClassifier] = {}
_classifiers_lock = threading.Lock()


def intent_classifier(
    prompts_dir: Path, embedder: Embedder, cache_dir: Path | None = None
) -> IntentClassifier:
    """One classifier per prompts folder and embedding model per process (exemplars embedded
    once; with ``cache_dir`` their vectors also survive restarts)."""
    offline = prompts_dir / "offline"
    rules_file, exemplars_file = offline / "intents.yaml", offline / "intent_exemplars.yaml"
    key = (str(rules_file.resolve()), _file_stamp(rules_file, exemplars_file), embedder.name)
    with _classifiers_lock:
        found = _classifiers.get(key)
        if found is None:
            embed = queries_with(embedder)
            model_dir = cache_dir / _safe_name(embedder.name) if cache_dir else None
            index = ExemplarIndex(load_exemplars(exemplars_file), embed, model_dir)
            found = IntentClassifier(load_rules(rules_file), index, embed)
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
