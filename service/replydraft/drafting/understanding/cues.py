"""The customer's mood and urgency, what they say happened to the order, and what the agent has
already said: cue patterns from ``prompts/understanding/cues.yaml`` (data, not code)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from replydraft.drafting.datafiles import load_yaml_mapping
from replydraft.drafting.models import Mood, StatedOrderState
from replydraft.drafting.understanding.training import INTENTS
from replydraft.errors import ConfigurationError
from replydraft.text.gated import GatedPattern

ORDER_STATES: tuple[StatedOrderState, ...] = ("refused", "returned", "received", "shipped",
                                               "paid", "unpaid")
AgentAct = Literal["refused", "promised", "asked"]
AGENT_ACTS: tuple[AgentAct, ...] = ("refused", "promised", "asked")
_FAMILIES = ("zh", "en", "ko")

# Shouting: three or more capitalised English words, ten capitals or more ("WHERE IS MY ORDER").
_SHOUTED_WORD = re.compile(r"\b[A-Z]{2,}\b")
_SHOUTED_WORDS = 3
_SHOUTED_LETTERS = 10
# SKUs and size labels are capitals that say nothing about mood.
_NOT_SHOUTING = re.compile(r"\b(?:[A-Z0-9]+-[A-Z0-9-]+|\d*X+L|XXL|USA|UPS|DHL|EMS|SKU|DM)\b")


def _compile(path: Path, where: str, patterns: object) -> re.Pattern[str]:
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ConfigurationError(f"{path}: {where}: must be a list of patterns")
    for i, pattern in enumerate(patterns):
        try:
            re.compile(pattern)
        except re.error as error:
            raise ConfigurationError(
                f"{path}: {where}[{i}]: bad pattern {pattern!r}: {error}") from None
        if "\\\\" in pattern:
            # Customers never type a backslash: '\\w' in single quotes matches one, not a letter
            raise ConfigurationError(
                f"{path}: {where}[{i}]: {pattern!r} has a doubled backslash, which matches a "
                f"backslash; in single quotes write one (\\w, \\?)")
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)")


_COMPAT_JAMO = re.compile(r"[\u3131-\u318e]")


def _family_patterns(family: str, patterns: list[str]) -> list[str]:
    """Patterns as the normalised text is written (NFKC turns the Korean ㅠ into a conjoining
    jamo, so the pattern must be folded the same way); English ones start at a word's start
    ("ugh" is not in "enough")."""
    folded = [_COMPAT_JAMO.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), p)
              for p in patterns]
    return [f"(?<![a-z])(?:{p})" for p in folded] if family == "en" else folded


def _families(path: Path, where: str, spec: object) -> list[str]:
    if not isinstance(spec, dict) or not set(spec) <= set(_FAMILIES):
        raise ConfigurationError(f"{path}: {where}: map the families zh, en, ko to patterns")
    for family in _FAMILIES:  # validate each family on its own, so errors name it
        _compile(path, f"{where}.{family}", spec.get(family) or [])
    return [p for family in _FAMILIES
            for p in _family_patterns(family, list(spec.get(family) or []))]


def compile_families(path: Path, where: str, spec: object) -> re.Pattern[str]:
    """One pattern of the zh, en and ko patterns of ``spec``."""
    return _compile(path, where, _families(path, where, spec))


def compile_gated_families(path: Path, where: str, spec: object) -> GatedPattern:
    """The same, searched only where a match is possible (for packs searched by the hundred)."""
    return GatedPattern(_families(path, where, spec))


@dataclass(frozen=True)
class Reading:
    """``intent`` reads as ``becomes`` when ``pattern`` matches (``when_matched``) or doesn't."""

    name: str
    intent: str
    becomes: str
    when_matched: bool
    pattern: re.Pattern[str]
    unless: frozenset[str] = frozenset()  # stated order states in which it does not apply
    only: frozenset[str] = frozenset()  # when set, the only stated states in which it applies


@dataclass(frozen=True)
class Cues:
    angry: re.Pattern[str]
    upset: re.Pattern[str]
    urgent: re.Pattern[str]
    order_states: tuple[tuple[StatedOrderState, re.Pattern[str]], ...]
    agent: tuple[tuple[AgentAct, str, re.Pattern[str]], ...]  # act, topic, pattern
    readings: tuple[Reading, ...] = ()
    threats: re.Pattern[str] = re.compile(r"(?!)")
    elsewhere: re.Pattern[str] = re.compile(r"(?!)")
    chasing: re.Pattern[str] = re.compile(r"(?!)")
    pleased: re.Pattern[str] = re.compile(r"(?!)")

    def mood(self, normalised: str, original: str) -> Mood:
        # "OH THIS IS SO CUTE!", "thanks!!!", "BYE!!!!": shouting for joy is no anger
        pleased = self.pleased.search(normalised) is not None

        def meant(match: re.Match[str]) -> bool:
            return not (pleased and _only_marks(match.group(0)))

        if any(meant(m) for m in self.angry.finditer(normalised)) or (
                _shouting(original) and not pleased):
            return "angry"
        if any(not _hypothetical(normalised, m.start(), m.end()) and meant(m)
               for m in self.upset.finditer(normalised)):
            return "upset"
        return "calm"

    def without_threats(self, normalised: str) -> str:
        """The message with its conditional threats taken out ("再不发我就给差评")."""
        return self.threats.sub(" ", normalised).strip()

    def mentions(self, normalised: str) -> list[str]:
        """The accounts a message @-mentions ("@spotifycares …" → "spotifycares")."""
        return [m.group(0).strip().lstrip("@") for m in self.elsewhere.finditer(normalised)]

    def chases(self, normalised: str) -> bool:
        """Presses for the answer the agent is getting ("问到了没", "any news?", "확인됐나요?")."""
        return self.chasing.search(normalised) is not None

    def is_urgent(self, normalised: str) -> bool:
        return self.urgent.search(normalised) is not None

    def order_state(self, normalised: str) -> StatedOrderState | None:
        return next((state for state, pattern in self.order_states
                     if pattern.search(normalised)), None)

    def agent_acts(self, normalised: str) -> list[tuple[AgentAct, str]]:
        return [(act, topic) for act, topic, pattern in self.agent
                if pattern.search(normalised)]


# "맘에 안 들면 환불 돼요?", "如果不满意能退吗", "what if I'm not happy with it": displeasure
# in a condition is a question about what happens then, not a mood. Only disappointment is read
# this way; anger in a condition ("再不发货我就投诉") is still anger.
_CONDITION_BEFORE = re.compile(r"(如果|要是|万一|假如|若是|\bif\b|\bin case\b|\bwhat if\b)"
                               r"[^。.!?！？,，]*$")
_CONDITION_AFTER = re.compile(r"^\S{0,4}?\s?(?:들|드)?(면|으면|다면|을 경우|ㄹ 경우|的话)")


def _only_marks(matched: str) -> bool:
    """A cue matched on punctuation alone ("!!!", "???"), with no word in it."""
    return not any(ch.isalnum() for ch in matched)


def _hypothetical(text: str, start: int, end: int) -> bool:
    return _CONDITION_BEFORE.search(text[:start]) is not None or \
        _CONDITION_AFTER.search(text[end:]) is not None


def _shouting(text: str) -> bool:
    words = _SHOUTED_WORD.findall(_NOT_SHOUTING.sub(" ", text))
    return len(words) >= _SHOUTED_WORDS and sum(map(len, words)) >= _SHOUTED_LETTERS


def _reading(path: Path, name: str, spec: object) -> Reading:
    where = f"readings.{name}"
    if not isinstance(spec, dict) or not {"intent", "becomes", "when"} <= set(spec):
        raise ConfigurationError(f"{path}: {where}: needs intent, becomes, when and patterns")
    unless = spec.get("unless_order_state") or []
    only = spec.get("only_order_state") or []
    for key, states in (("unless_order_state", unless), ("only_order_state", only)):
        if not set(states) <= set(ORDER_STATES):
            raise ConfigurationError(f"{path}: {where}.{key}: states are "
                                     f"{', '.join(ORDER_STATES)}")
    for key in ("intent", "becomes"):
        if spec[key] not in INTENTS:
            raise ConfigurationError(f"{path}: {where}.{key}: unknown intent {spec[key]!r}")
    if spec["when"] not in ("matched", "unmatched"):
        raise ConfigurationError(f"{path}: {where}.when: 'matched' or 'unmatched'")
    patterns = {k: v for k, v in spec.items() if k in _FAMILIES}
    return Reading(name, str(spec["intent"]), str(spec["becomes"]), spec["when"] == "matched",
                   compile_families(path, where, patterns), frozenset(unless), frozenset(only))


@lru_cache(maxsize=4)
def load_cues(path: Path) -> Cues:
    data = load_yaml_mapping(path, "cue file")
    try:
        mood = data["mood"]
        states = data["order_state"]
        agent = data.get("agent") or {}
    except KeyError as error:
        raise ConfigurationError(f"{path}: missing section {error}") from None
    unknown_states = set(states) - set(ORDER_STATES)
    if unknown_states:
        raise ConfigurationError(f"{path}: order_state: unknown states {sorted(unknown_states)}")
    unknown_acts = set(agent) - set(AGENT_ACTS)
    if unknown_acts:
        raise ConfigurationError(f"{path}: agent: unknown acts {sorted(unknown_acts)}")
    agent_rules = tuple(
        (act, topic, compile_families(path, f"agent.{act}.{topic}", spec))
        for act in AGENT_ACTS for topic, spec in (agent.get(act) or {}).items())
    return Cues(
        readings=tuple(_reading(path, name, spec)
                       for name, spec in (data.get("readings") or {}).items()),
        angry=compile_families(path, "mood.angry", mood.get("angry")),
        upset=compile_families(path, "mood.upset", mood.get("upset")),
        pleased=compile_families(path, "mood.pleased", mood.get("pleased") or {}),
        urgent=compile_families(path, "urgent", data.get("urgent")),
        threats=compile_families(path, "threats", data.get("threats") or {}),
        elsewhere=compile_families(path, "elsewhere", data.get("elsewhere") or {}),
        chasing=compile_families(path, "chasing", data.get("chasing") or {}),
        order_states=tuple((state, compile_families(path, f"order_state.{state}", states[state]))
                           for state in ORDER_STATES if state in states),
        agent=agent_rules,
    )
