"""Rule packs: the YAML files under ``policy/rules/``, validated into typed, compiled rules.

Files and what they hold:

- ``<category>.<lang>.yaml`` / ``off_platform.yaml``: a ``RulePack`` for one of the four
  categories (``guarantee``, ``absolute_claim``, ``off_platform``, ``body_insult``).
- ``customer_risk.yaml``: a ``RiskPack`` for the customer-message scan.
- ``platforms.yaml``: per-platform allowed link domains and rival platform names.
- ``greetings.yaml``: words that on their own do not make a useful reply (亲, hi, 고객님 …).

Every file is validated strictly (unknown keys are errors) and every regex compiled at load time;
a mistake is a ``ConfigurationError`` that names the file and the rule. Regex patterns run on the
*normalised* text, so they must be written in lower case and Simplified Chinese; literal patterns
are normalised for you.

A pack may name word families in ``aliases`` (the nicknames and homophones of a chat app, say)
and use them as ``{name}`` in its patterns, exceptions and context: a literal pattern stands for
one pattern per member, a regex gets an alternation of the members (separators allowed between
their letters). So a new nickname is one line of data, and every pattern that says ``{wechat}``
knows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from replydraft.errors import ConfigurationError
from replydraft.languages import Language, Platform
from replydraft.policy.models import Category, RiskType
from replydraft.policy.normalize import compact_form, normalize, t2s_table
from replydraft.policy.regex_prefix import compile_fast
from replydraft.yamlfile import safe_load

RULES_DIR = Path(__file__).resolve().parent / "rules"

View = Literal["norm", "compact", "digits"]
RuleAction = Literal["remove_sentence", "rewrite", "replace_term"]
# What kind of claim a guarantee/absolute_claim rule catches (the taxonomy in rules/README.md).
ClaimClass = Literal["delivery_date", "outcome", "durability", "superlative", "medical_safety",
                     "promise"]
Filter = Literal["domain_not_allowed", "phone_shape"]
_SPECIAL_FILES = frozenset({"customer_risk.yaml", "platforms.yaml", "greetings.yaml"})
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_MAX_EXPANSIONS = 5000  # literal patterns one written pattern may stand for
_GROUP_SYNTAX = re.compile(r"\(\?P[<=]")  # named-group syntax is the one upper case allowed


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _MatchSpec(_Strict):
    """What every rule shares: how it matches and what cancels a match."""

    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    kind: Literal["literal", "regex"]
    patterns: list[str] = Field(min_length=1)
    # Literal patterns match the compact view, regexes the norm view, unless told otherwise.
    view: View | None = None
    # A regex rule runs only when one of these (normalised) strings is in the norm view.
    triggers: list[str] = Field(default_factory=list)
    # A match of one of these regexes (norm view, near the hit) that overlaps or touches the hit
    # cancels it: negations, product facts, payment methods named after a chat app …
    exceptions: list[str] = Field(default_factory=list)
    # When given, one of these regexes must match in the hit's clause (norm view).
    context: list[str] = Field(default_factory=list)
    filters: list[Filter] = Field(default_factory=list)

    @field_validator("patterns", "triggers", "exceptions", "context")
    @classmethod
    def _no_blank(cls, values: list[str]) -> list[str]:
        if any(not v.strip() for v in values):
            raise ValueError("patterns must not be empty strings")
        return values

    @property
    def match_view(self) -> View:
        return self.view or ("compact" if self.kind == "literal" else "norm")


class Rule(_MatchSpec):
    category: Category | None = None  # defaults to the pack's category
    claim: ClaimClass | None = None  # guarantee and absolute_claim rules: which kind of claim
    action: RuleAction
    replacement: dict[Language, str] = Field(default_factory=dict)
    reason: str = Field(min_length=1)
    platforms: list[Platform] | None = None  # only on these platforms; None: everywhere
    # How the customer scan reports this rule's hits (off_platform rules): None ignores them.
    customer_risk: RiskType | None = None


AliasName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class RulePack(_Strict):
    category: Category
    language: Literal["zh", "en", "ko", "any"]
    description: str = ""
    # Word families used as {name} in patterns: a member is a word, or {other} for all of
    # another family's members.
    aliases: dict[AliasName, list[str]] = Field(default_factory=dict)
    # A trigger inside one of these phrases does not start this pack's regex rules: the phrases
    # are negations every rule of the pack excepts anyway ("没法保证" holds the trigger "保证").
    # It only saves time; list a phrase only if each rule's exceptions cancel matches through it.
    mute_triggers: list[str] = Field(default_factory=list)
    rules: list[Rule] = Field(min_length=1)


class RiskRule(_MatchSpec):
    type: RiskType
    advice: str = Field(min_length=1)


class RiskPack(_Strict):
    description: str = ""
    # Without the product's price a percentage ask cannot be turned into money; asks of at least
    # this many percent off are flagged anyway (they exceed any agent authority at usual prices).
    deep_discount_percent: float = Field(20, gt=0, le=100)
    rules: list[RiskRule] = Field(min_length=1)


class PlatformRules(_Strict):
    allowed_domains: list[str] = Field(default_factory=list)
    forbidden_names: list[str] = Field(default_factory=list)


class PlatformsFile(_Strict):
    description: str = ""
    rival_reason: str = Field(min_length=1)
    platforms: dict[Platform, PlatformRules]


class GreetingsFile(_Strict):
    description: str = ""
    words: list[str] = Field(min_length=1)


@dataclass(frozen=True)
class CompiledRule:
    """A rule (or risk rule) ready to run: regexes compiled, literals normalised."""

    spec: Rule | RiskRule
    priority: int  # lower wins when hits of one category overlap
    source: str  # the file it came from
    category: str  # the policy category, or the risk type for risk rules
    view: View
    literals: tuple[str, ...]  # compact/norm forms of literal patterns
    regexes: tuple[re.Pattern[str], ...]
    triggers: tuple[str, ...]
    mute_triggers: tuple[str, ...]  # norm forms; see RulePack.mute_triggers
    exceptions: tuple[re.Pattern[str], ...]
    context: tuple[re.Pattern[str], ...]

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[CompiledRule, ...]  # the four categories, in priority order
    risk_rules: tuple[CompiledRule, ...]
    platforms: dict[Platform, PlatformRules]
    rival_reason: str
    greetings: tuple[str, ...]
    directory: Path
    deep_discount_percent: float = 20
    # Every pack's alias families, merged by name (the mutation tests swap members).
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _read_yaml(path: Path) -> Any:
    try:
        return safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(f"{path}: cannot read rule file: {error}") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigurationError(f"{path}:{where} invalid YAML: {error}") from error


def _validation_error(path: Path, data: Any, error: ValidationError) -> ConfigurationError:
    messages = []
    for problem in error.errors():
        loc = list(problem["loc"])
        where = ".".join(str(part) for part in loc)
        # Name the rule by its id, not only by its index, so the author can find it.
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            rules = data.get("rules") if isinstance(data, dict) else None
            if isinstance(rules, list) and loc[1] < len(rules) and isinstance(rules[loc[1]], dict):
                rule_id = rules[loc[1]].get("id", "?")
                where = f"rule {rule_id!r} ({where})"
        messages.append(f"{where}: {problem['msg']}")
    return ConfigurationError(f"{path}: invalid rule file: " + "; ".join(messages))


def _check_regex_source(pattern: str) -> str | None:
    """Regexes match normalised text: no upper-case letters, no Traditional characters."""
    t2s = t2s_table()
    previous = ""
    for char in _GROUP_SYNTAX.sub("", pattern):
        if char.isascii() and char.isupper() and previous != "\\":
            return f"upper-case {char!r} can never match the lower-cased text"
        if ord(char) in t2s:
            return f"Traditional {char!r}: write regexes in Simplified (text is converted)"
        previous = "" if previous == "\\" else char
    return None


def _compile(path: Path, rule_id: str, what: str, pattern: str) -> re.Pattern[str]:
    problem = _check_regex_source(pattern)
    if problem:
        raise ConfigurationError(f"{path}: rule {rule_id!r}: {what} {pattern!r}: {problem}")
    try:
        return compile_fast(pattern)
    except re.error as error:
        raise ConfigurationError(
            f"{path}: rule {rule_id!r}: {what} {pattern!r} is not a valid regex: {error}"
        ) from error


Aliases = dict[str, tuple[str, ...]]


def resolve_aliases(path: Path, raw: dict[str, list[str]]) -> Aliases:
    """Each family's members, with ``{other}`` members expanded; an error names the family."""
    resolved: dict[str, tuple[str, ...]] = {}

    def members(name: str, trail: tuple[str, ...]) -> tuple[str, ...]:
        if name in resolved:
            return resolved[name]
        if name in trail:
            raise ConfigurationError(
                f"{path}: aliases: {' -> '.join((*trail, name))} refers to itself")
        words: list[str] = []
        for entry in raw[name]:
            if not entry.strip():
                raise ConfigurationError(f"{path}: aliases.{name}: an empty member")
            reference = _PLACEHOLDER.fullmatch(entry.strip())
            if reference:
                if reference.group(1) not in raw:
                    raise ConfigurationError(
                        f"{path}: aliases.{name}: {entry!r} names no alias family "
                        f"(known: {', '.join(sorted(raw))})")
                words.extend(members(reference.group(1), (*trail, name)))
            elif "{" in entry or "}" in entry:
                raise ConfigurationError(
                    f"{path}: aliases.{name}: {entry!r}: braces only as {{family}}")
            elif not compact_form(entry):
                raise ConfigurationError(
                    f"{path}: aliases.{name}: {entry!r} is empty once normalised")
            else:
                words.append(entry)
        if not words:
            raise ConfigurationError(f"{path}: aliases.{name}: no members")
        resolved[name] = tuple(dict.fromkeys(words))
        return resolved[name]

    for family in raw:
        members(family, ())
    return resolved


def _unknown_alias(path: Path, rule_id: str, pattern: str, aliases: Aliases) -> None:
    for name in _PLACEHOLDER.findall(pattern):
        if name not in aliases:
            known = ", ".join(sorted(aliases)) or "none defined"
            raise ConfigurationError(
                f"{path}: rule {rule_id!r}: {pattern!r} uses {{{name}}}, which is not in the "
                f"pack's aliases ({known})")


def expand_literal(path: Path, rule_id: str, pattern: str, aliases: Aliases) -> list[str]:
    """One literal pattern per combination of the families it names."""
    _unknown_alias(path, rule_id, pattern, aliases)
    expanded = [pattern]
    while True:
        match = _PLACEHOLDER.search(expanded[0])
        if match is None:
            return expanded
        name = match.group(1)
        expanded = [p.replace("{" + name + "}", word, 1) for p in expanded
                    for word in aliases[name]]
        if len(expanded) > _MAX_EXPANSIONS:
            raise ConfigurationError(
                f"{path}: rule {rule_id!r}: {pattern!r} stands for more than "
                f"{_MAX_EXPANSIONS} patterns")


def expand_regex(path: Path, rule_id: str, pattern: str, aliases: Aliases) -> str:
    """``{name}`` becomes an alternation of the family's normalised members, with separators
    allowed between their letters (``微\\W*信``)."""
    _unknown_alias(path, rule_id, pattern, aliases)

    def alternation(match: re.Match[str]) -> str:
        words = sorted({normalize(w).strip() for w in aliases[match.group(1)]}, key=len,
                       reverse=True)
        return "(?:" + "|".join(r"\W*".join(re.escape(c) for c in w if not c.isspace())
                                for w in words) + ")"

    return _PLACEHOLDER.sub(alternation, pattern)


def compile_rule(
    path: Path, spec: Rule | RiskRule, priority: int, category: str,
    mute_triggers: tuple[str, ...] = (), aliases: Aliases | None = None,
) -> CompiledRule:
    view = spec.match_view
    aliases = aliases or {}

    def expanded(pattern: str) -> str:
        return expand_regex(path, spec.id, pattern, aliases)

    literals: tuple[str, ...] = ()
    regexes: tuple[re.Pattern[str], ...] = ()
    if spec.kind == "literal":
        form = compact_form if view != "norm" else normalize
        literals = tuple(dict.fromkeys(
            form(word) for p in spec.patterns for word in expand_literal(path, spec.id, p, aliases)
        ))
        if any(not lit for lit in literals):
            raise ConfigurationError(
                f"{path}: rule {spec.id!r}: a literal pattern is empty once normalised"
            )
    else:
        regexes = tuple(_compile(path, spec.id, "pattern", expanded(p)) for p in spec.patterns)
    if isinstance(spec, Rule):
        _check_replacement(path, spec, regexes)
    return CompiledRule(
        spec=spec,
        priority=priority,
        source=path.name,
        category=category,
        view=view,
        literals=literals,
        regexes=regexes,
        triggers=tuple(dict.fromkeys(normalize(word) for t in spec.triggers
                                     for word in expand_literal(path, spec.id, t, aliases))),
        mute_triggers=mute_triggers,
        exceptions=tuple(_compile(path, spec.id, "exception", expanded(p))
                         for p in spec.exceptions),
        context=tuple(_compile(path, spec.id, "context", expanded(p)) for p in spec.context),
    )


def _check_replacement(path: Path, rule: Rule, regexes: tuple[re.Pattern[str], ...]) -> None:
    if rule.action == "remove_sentence":
        if rule.replacement:
            raise ConfigurationError(
                f"{path}: rule {rule.id!r}: remove_sentence takes no replacement"
            )
        return
    if not rule.replacement or not all(text.strip() for text in rule.replacement.values()):
        raise ConfigurationError(
            f"{path}: rule {rule.id!r}: {rule.action} needs a non-empty replacement"
        )
    groups = set().union(*(r.groupindex for r in regexes)) if regexes else set()
    for language, text in rule.replacement.items():
        for name in _PLACEHOLDER.findall(text):
            if name not in groups:
                raise ConfigurationError(
                    f"{path}: rule {rule.id!r}: replacement[{language}] uses {{{name}}} but no "
                    "pattern has a group of that name"
                )
            if not all(name in r.groupindex for r in regexes):
                raise ConfigurationError(
                    f"{path}: rule {rule.id!r}: every pattern needs the group {name!r} used in "
                    "the replacement"
                )


def _load_pack(path: Path, first_priority: int) -> tuple[list[CompiledRule], Aliases]:
    data = _read_yaml(path)
    try:
        pack = RulePack.model_validate(data)
    except ValidationError as error:
        raise _validation_error(path, data, error) from None
    aliases = resolve_aliases(path, pack.aliases)
    compiled = []
    for offset, rule in enumerate(pack.rules):
        if rule.category is not None and rule.category != pack.category:
            raise ConfigurationError(
                f"{path}: rule {rule.id!r}: category {rule.category!r} differs from the pack's "
                f"{pack.category!r}"
            )
        if rule.claim is not None and pack.category not in ("guarantee", "absolute_claim"):
            raise ConfigurationError(
                f"{path}: rule {rule.id!r}: claim is for guarantee and absolute_claim rules"
            )
        if not rule.id.startswith(pack.category + "."):
            raise ConfigurationError(
                f"{path}: rule {rule.id!r}: ids start with the category ({pack.category}.)"
            )
        mutes = tuple(normalize(m) for m in pack.mute_triggers)
        compiled.append(compile_rule(path, rule, first_priority + offset, pack.category, mutes,
                                     aliases))
    return compiled, aliases


def _load_risk_pack(path: Path) -> tuple[list[CompiledRule], RiskPack]:
    if not path.is_file():
        raise ConfigurationError(f"{path}: missing rule file")
    data = _read_yaml(path)
    try:
        pack = RiskPack.model_validate(data)
    except ValidationError as error:
        raise _validation_error(path, data, error) from None
    compiled = []
    for index, rule in enumerate(pack.rules):
        item = compile_rule(path, rule, index, rule.type)
        if rule.type == "discount_over_authority":
            for regex in item.regexes:
                if not ({"amount", "percent", "zhe"} & set(regex.groupindex)):
                    raise ConfigurationError(
                        f"{path}: rule {rule.id!r}: discount patterns need a group named "
                        "'amount', 'percent' or 'zhe'"
                    )
        compiled.append(item)
    return compiled, pack


def _load_model(path: Path, model: type[BaseModel]) -> Any:
    if not path.is_file():
        raise ConfigurationError(f"{path}: missing rule file")
    data = _read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _validation_error(path, data, error) from None


def load_rules(directory: Path | None = None) -> RuleSet:
    """Load and validate every rule file in ``directory`` (default: the bundled rules).

    Cached per directory: call it at start-up to fail fast on a bad rule file.
    """
    return _load_rules_cached((directory or RULES_DIR).resolve())


@cache
def _load_rules_cached(directory: Path) -> RuleSet:
    if not directory.is_dir():
        raise ConfigurationError(f"{directory}: rule directory does not exist")
    rules: list[CompiledRule] = []
    seen: dict[str, str] = {}
    families: dict[str, tuple[str, ...]] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name in _SPECIAL_FILES:
            continue
        pack_rules, pack_aliases = _load_pack(path, len(rules))
        for name, words in pack_aliases.items():
            families[name] = tuple(dict.fromkeys((*families.get(name, ()), *words)))
        for rule in pack_rules:
            if rule.id in seen:
                raise ConfigurationError(
                    f"{path}: rule {rule.id!r} is already defined in {seen[rule.id]}"
                )
            seen[rule.id] = path.name
            rules.append(rule)
    if not rules:
        raise ConfigurationError(f"{directory}: no rule packs (*.yaml) found")
    risk_rules, risk_pack = _load_risk_pack(directory / "customer_risk.yaml")
    platforms: PlatformsFile = _load_model(directory / "platforms.yaml", PlatformsFile)
    greetings: GreetingsFile = _load_model(directory / "greetings.yaml", GreetingsFile)
    return RuleSet(
        rules=tuple(rules),
        risk_rules=tuple(risk_rules),
        platforms=dict(platforms.platforms),
        rival_reason=platforms.rival_reason,
        greetings=tuple(compact_form(w) for w in greetings.words if compact_form(w)),
        directory=directory,
        deep_discount_percent=risk_pack.deep_discount_percent,
        aliases=families,
    )
