"""The compiled rules plus what a store and a platform add to them, ready to detect.

``default_engine()`` loads the bundled rule packs once and keeps them; ``PolicyEngine(rules)``
runs any other rule set (tests, a store's own packs). Per (store, platform) the engine derives
the link allow-list, the rival platform names and the allowed-commitment phrases once and caches
them, so ``check`` on every keystroke costs only the matching.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from itertools import chain
from pathlib import Path

from replydraft.knowledge.models import StoreProfile
from replydraft.languages import Platform
from replydraft.policy.matcher import Hit, Matcher, Screen, resolve_overlaps, screen
from replydraft.policy.normalize import TextViews, char_table, compact_form
from replydraft.policy.rulepack import Rule, RuleSet, compile_rule, load_rules

RIVAL_RULE_ID = "off_platform.rival_platform"
# The most hits one detection pass works through. A text dense with triggers ("保证" x 2000)
# would otherwise cost time in proportion to hits x text; past this many the filter removes
# what it found and checks again, and a text still dirty after its rounds is emptied whole.
MAX_HITS = 32
DEFAULT_AGENT_MAX = 20.0
_CONTEXT_CACHE_SIZE = 64


@dataclass(frozen=True)
class PolicyContext:
    """Everything about the store and platform that a check needs."""

    screen: Screen
    rivals: Matcher | None  # rival platform names for this platform, None when none apply
    greetings: tuple[str, ...]  # compact forms, longest first
    agent_max: float


class PolicyEngine:
    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.matcher = Matcher(rules.rules)
        self.risk_matcher = Matcher(rules.risk_rules)
        self.customer_rules = Matcher(r for r in rules.rules
                                      if getattr(r.spec, "customer_risk", None))
        self._contexts: OrderedDict[tuple[int, Platform | None], tuple[object, PolicyContext]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()  # the API checks from several threads

    # ------------------------------------------------------------ context per store/platform

    def context(self, store: StoreProfile | None, platform: Platform | None) -> PolicyContext:
        platform = platform or (store.platform if store else None)
        key = (id(store), platform)
        with self._lock:
            cached = self._contexts.get(key)
            if cached is not None and cached[0] is store:
                self._contexts.move_to_end(key)
                return cached[1]
        context = self._build_context(store, platform)
        with self._lock:
            # The store object is kept with its context, so its id cannot be reused meanwhile.
            self._contexts[key] = (store, context)
            if len(self._contexts) > _CONTEXT_CACHE_SIZE:
                self._contexts.popitem(last=False)
        return context

    def _build_context(
        self, store: StoreProfile | None, platform: Platform | None
    ) -> PolicyContext:
        platforms = self.rules.platforms
        if platform is None:
            # Unknown platform: any platform's own domains are fine, no rival names apply.
            domains = {d for p in platforms.values() for d in p.allowed_domains}
            names: set[str] = set()
        else:
            own = platforms.get(platform)
            domains = set(own.allowed_domains) if own else set()
            names = set(own.forbidden_names) if own else set()
        phrases: set[str] = set()
        greetings = set(self.rules.greetings)
        agent_max = DEFAULT_AGENT_MAX
        if store is not None:
            if platform in (None, store.platform):
                domains.update(store.allowed_domains)
            if platform is not None:
                names.update(store.forbidden_platform_names.get(platform, []))
            for commitment in store.allowed_commitments:
                for wordings in commitment.phrases.values():
                    phrases.update(compact_form(w) for w in wordings)
            # The store's own name is never drainage, whatever it happens to contain (a shop
            # called 微信小铺 or Line Studio names itself, not the app).
            phrases.update(compact_form(name) for name in store.names.values())
            for words in (store.voice.honorific, store.agent.nickname):
                greetings.update(compact_form(w) for w in words.values())
            agent_max = store.policies.discounts.agent_max
        return PolicyContext(
            screen=Screen(
                platform=platform,
                allowed_domains=tuple(sorted(d.lower().removeprefix("www.") for d in domains)),
                allowed_phrases=tuple(sorted(p for p in phrases if p)),
            ),
            rivals=self._rival_matcher(tuple(sorted(names))) if names else None,
            greetings=tuple(sorted((g for g in greetings if g), key=len, reverse=True)),
            agent_max=agent_max,
        )

    def _rival_matcher(self, names: tuple[str, ...]) -> Matcher:
        spec = Rule(
            id=RIVAL_RULE_ID,
            kind="literal",
            patterns=list(names),
            action="remove_sentence",
            reason=self.rules.rival_reason,
        )
        rule = compile_rule(Path("platforms.yaml"), spec, len(self.rules.rules), "off_platform")
        return Matcher([rule])

    # ------------------------------------------------------------ detection

    def detect(self, views: TextViews, context: PolicyContext, limit: int = MAX_HITS
               ) -> list[Hit]:
        """Hits of the four categories, overlaps within a category resolved; at most
        ``limit`` (the first ones screened)."""
        raw = self.matcher.find(views)
        if context.rivals is not None:
            raw = chain(raw, context.rivals.find(views))
        return resolve_overlaps(screen(raw, views, context.screen, limit))

    def detect_risks(self, views: TextViews, context: PolicyContext) -> list[Hit]:
        """Risk-rule hits plus off-platform hits re-read as customer risks (unresolved), at
        most ``MAX_HITS`` of each."""
        hits = screen(self.risk_matcher.find(views), views, context.screen, MAX_HITS)
        hits.extend(screen(self.customer_rules.find(views), views, context.screen, MAX_HITS))
        return hits


@cache
def default_engine() -> PolicyEngine:
    return PolicyEngine(load_rules())


def preload() -> PolicyEngine:
    """Load and validate the bundled rules and build the tables now (call at start-up)."""
    char_table()
    return default_engine()
