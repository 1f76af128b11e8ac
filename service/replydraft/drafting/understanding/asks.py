"""Asks: the specific thing a question asks inside its intent ("when does it ship" vs "which
courier"), read with the patterns of ``prompts/understanding/asks.yaml`` (data, not code).

The planner answers each ask from computed facts, from the store's own answer
(``store.yaml`` ``answers.<ask>``) or, when neither exists, says the agent will check and tells
the agent what to verify (the ask's ``check`` text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from replydraft.drafting.datafiles import load_yaml_mapping
from replydraft.drafting.understanding.cues import compile_gated_families
from replydraft.drafting.understanding.training import INTENTS
from replydraft.errors import ConfigurationError
from replydraft.languages import LANGUAGES, Language
from replydraft.text.gated import GatedPattern
from replydraft.text.script import families_in

_KEYS = frozenset({"intent", "zh", "en", "ko", "check", "topic", "needs", "alone", "also",
                   "overshadows", "unless", "fallback", "replaces"})


@dataclass(frozen=True)
class Ask:
    id: str
    intent: str
    pattern: GatedPattern
    check: dict[Language, str]  # what the agent verifies when nothing answers it
    # How the draft names it to the customer ("能不能帮您留货我帮您确认一下"); the check text
    # is for the agent and may speak of "the customer".
    topic: dict[Language, str]
    needs_product: bool = False
    # Counts only where the customer names one of our kinds of product and no single item
    # ("有什么裤子", "do you sell jackets"): the words alone ("有什么") ask about anything.
    needs_category: bool = False
    alone: bool = False  # names its intent only in a message otherwise read as nothing
    also: tuple[str, ...] = ()  # other intents the ask belongs to (return postage: postage)
    # Intents the ask makes beside the point: their general answers are left out of the reply
    # ("帮我申请退款" is not told how returns work).
    overshadows: tuple[str, ...] = ()
    # Words that make the message another matter than this ask ("where is it" is a tracking
    # question until the customer says it is days late: then it is the late parcel's case).
    unless: GatedPattern | None = None
    # Counts only where no other ask is found: "这个是…吧" asks about the item in general, and a
    # named property in it ("这个是纯棉的吗") is the sharper question.
    fallback: bool = False
    # Asks this one's answer answers too: read beside it they are left out ("退到卡里吗" is told
    # where the money goes with its timing; the timing alone would say it twice).
    replaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unsure:
    """Check texts for a message read only faintly (``guess`` names the ``topics`` entry of the
    intent guessed) or not at all (``unclear``), per language."""

    unclear: dict[Language, str]
    statement: dict[Language, str]  # a remark with no question in it that could not be read
    request: dict[Language, str]  # asks the agent to do something ("麻烦尽快处理下吧")
    order: dict[Language, str]
    product: dict[Language, str]
    guess: dict[Language, str]
    topics: dict[str, dict[Language, str]]

    def unread(self, language: Language, *, statement: bool) -> str:
        """What the agent is told about a message nothing could be read in: "not understood" is
        wrong for a clear remark that simply asks nothing ("东西收到了 我先看看")."""
        return (self.statement if statement else self.unclear)[language]

    def guessed(self, intent: str, language: Language) -> str:
        topic = self.topics.get(intent, self.topics["other"])[language]
        return self.guess[language].format(topic=topic)


@dataclass(frozen=True)
class AskBook:
    asks: tuple[Ask, ...]
    unsure: Unsure

    def find(self, normalised: str, *, of_a_kind: bool = False) -> list[Ask]:
        """The asks in a normalised message (``slots.normalise_measures``), in message order.
        ``of_a_kind``: the message names a kind of product we sell and no single item, so the
        asks that need one (``needs: category``) count."""
        found: list[tuple[int, int, Ask]] = []
        families = families_in(normalised)
        for position, ask in enumerate(self.asks):
            if ask.needs_category and not of_a_kind:
                continue
            match = ask.pattern.search(normalised, families)
            if match is not None and (ask.unless is None or
                                      not ask.unless.search(normalised, families)):
                found.append((match.start(), position, ask))
        if any(not ask.fallback for _start, _position, ask in found):
            found = [f for f in found if not f[2].fallback]
        replaced = {r for _start, _position, ask in found for r in ask.replaces}
        if replaced:
            found = [f for f in found if f[2].id not in replaced]
        return [ask for _start, _position, ask in sorted(found, key=lambda f: f[:2])]

    def get(self, ask_id: str) -> Ask | None:
        return self._by_id.get(ask_id)

    @cached_property
    def _by_id(self) -> dict[str, Ask]:
        return {ask.id: ask for ask in self.asks}


@lru_cache(maxsize=4)
def load_asks(path: Path) -> AskBook:
    data = load_yaml_mapping(path, "asks file")
    entries = data.get("asks")
    if not isinstance(entries, dict) or not entries:
        raise ConfigurationError(f"{path}: needs an `asks` mapping of ask id → entry")
    asks = tuple(_ask(path, str(ask_id), spec) for ask_id, spec in entries.items())
    for ask in asks:
        unknown = set(ask.replaces) - set(entries)
        if unknown:
            raise ConfigurationError(
                f"{path}: asks.{ask.id}.replaces: unknown asks {sorted(unknown)}")
    return AskBook(asks, _unsure(path, data.get("unsure")))


def _texts(path: Path, where: str, spec: object) -> dict[Language, str]:
    if not isinstance(spec, dict) or set(spec) != set(LANGUAGES) or \
            not all(isinstance(v, str) and v.strip() for v in spec.values()):
        raise ConfigurationError(f"{path}: {where}: give the text in {', '.join(LANGUAGES)}")
    return {lang: str(spec[lang]) for lang in LANGUAGES}


def _unsure(path: Path, spec: object) -> Unsure:
    if not isinstance(spec, dict) or not {"unclear", "statement", "request", "order", "product",
                                          "guess", "topics"} <= set(spec):
        raise ConfigurationError(f"{path}: unsure: needs unclear, statement, request, order, "
                                 "product, guess and topics")
    topics = spec["topics"]
    if not isinstance(topics, dict) or set(topics) != set(INTENTS):
        raise ConfigurationError(f"{path}: unsure.topics: name every intent: {', '.join(INTENTS)}")
    guess = _texts(path, "unsure.guess", spec["guess"])
    if not all("{topic}" in text for text in guess.values()):
        raise ConfigurationError(f"{path}: unsure.guess: every text needs {{topic}}")
    return Unsure(_texts(path, "unsure.unclear", spec["unclear"]),
                  _texts(path, "unsure.statement", spec["statement"]),
                  _texts(path, "unsure.request", spec["request"]),
                  _texts(path, "unsure.order", spec["order"]),
                  _texts(path, "unsure.product", spec["product"]), guess,
                  {str(k): _texts(path, f"unsure.topics.{k}", v) for k, v in topics.items()})


def _ask(path: Path, ask_id: str, spec: object) -> Ask:
    where = f"asks.{ask_id}"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", ask_id):
        raise ConfigurationError(f"{path}: {where}: ask ids are lower_snake_case")
    if not isinstance(spec, dict):
        raise ConfigurationError(f"{path}: {where}: must be a mapping")
    unknown = set(spec) - _KEYS
    if unknown:
        raise ConfigurationError(f"{path}: {where}: unknown keys {sorted(unknown)}")
    if spec.get("intent") not in INTENTS:
        raise ConfigurationError(f"{path}: {where}.intent: unknown intent {spec.get('intent')!r}")
    check = _texts(path, f"{where}.check", spec.get("check"))
    topic = _texts(path, f"{where}.topic", spec["topic"]) if "topic" in spec else check
    needs = spec.get("needs")
    if needs not in (None, "product", "category"):
        raise ConfigurationError(f"{path}: {where}.needs: 'product' or 'category'")
    also = spec.get("also") or []
    if not isinstance(also, list) or not set(also) <= set(INTENTS):
        raise ConfigurationError(f"{path}: {where}.also: a list of intents")
    overshadows = spec.get("overshadows") or []
    if not isinstance(overshadows, list) or not set(overshadows) <= set(INTENTS):
        raise ConfigurationError(f"{path}: {where}.overshadows: a list of intents")
    if spec["intent"] in overshadows:
        # the ask's own intent hidden would leave the ask itself unanswered
        raise ConfigurationError(f"{path}: {where}.overshadows: must not name the ask's own "
                                 f"intent {spec['intent']!r}")
    replaces = spec.get("replaces") or []
    if not isinstance(replaces, list) or not all(isinstance(r, str) for r in replaces):
        raise ConfigurationError(f"{path}: {where}.replaces: a list of ask ids")
    families = {k: v for k, v in spec.items() if k in ("zh", "en", "ko")}
    unless = spec.get("unless")
    unless_pattern = None if unless is None else \
        compile_gated_families(path, f"{where}.unless", unless)
    return Ask(ask_id, str(spec["intent"]), compile_gated_families(path, where, families),
               check, topic, needs == "product", needs == "category", spec.get("alone") is True,
               tuple(also), tuple(overshadows),
               unless_pattern,
               spec.get("fallback") is True, tuple(replaces))
