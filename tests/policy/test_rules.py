"""Rule packs are data: validated at load, a bad file is a clear start-up error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from replydraft.errors import ConfigurationError
from replydraft.languages import LANGUAGES
from replydraft.policy import PolicyEngine, check, default_engine
from replydraft.policy.rulepack import RULES_DIR, load_rules


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    return target


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_bundled_rules_load_and_cover_the_four_categories() -> None:
    rules = load_rules()
    assert {r.category for r in rules.rules} == {
        "guarantee", "absolute_claim", "off_platform", "body_insult"}
    assert {r.category for r in rules.risk_rules} == {
        "phishing_link", "file_request", "off_platform_request", "discount_over_authority",
        "abuse", "legal_threat", "prompt_injection"}
    assert load_rules() is rules  # loaded once, cached


def test_every_replacement_is_clean_on_its_own() -> None:
    for rule in default_engine().rules.rules:
        for language, text in rule.spec.replacement.items():  # type: ignore[union-attr]
            if "{" in text:
                continue  # templates are filled from the match
            result = check(text, language=language, platform="jd")
            assert result.clean, (rule.id, language, result.violations)
            assert language in LANGUAGES


def test_a_bad_regex_names_the_file_and_the_rule(rules_copy: Path) -> None:
    _append(rules_copy / "guarantee.zh.yaml", """
  - id: guarantee.zh.broken
    kind: regex
    patterns: ['保证(明天']
    action: rewrite
    replacement: {zh-Hans: 好的}
    reason: test
""")
    with pytest.raises(ConfigurationError) as error:
        load_rules(rules_copy)
    assert "guarantee.zh.yaml" in error.value.detail
    assert "guarantee.zh.broken" in error.value.detail
    assert "not a valid regex" in error.value.detail


@pytest.mark.parametrize(("snippet", "message"), [
    ("\n  - id: guarantee.zh.extra\n    kind: literal\n    patterns: [包你]\n    action: explode\n"
     "    reason: x\n", "'guarantee.zh.extra'"),
    ("\n  - id: guarantee.zh.extra\n    kind: literal\n    patterns: [包你]\n    action: rewrite\n"
     "    reason: x\n", "needs a non-empty replacement"),
    ("\n  - id: guarantee.zh.extra\n    kind: regex\n    patterns: ['保證']\n    action: rewrite\n"
     "    replacement: {zh-Hans: 好}\n    reason: x\n", "write regexes in Simplified"),
    ("\n  - id: guarantee.zh.extra\n    kind: regex\n    patterns: ['Guarantee']\n"
     "    action: rewrite\n    replacement: {en: ok}\n    reason: x\n", "upper-case"),
    ("\n  - id: guarantee.zh.extra\n    kind: literal\n    patterns: [包你]\n    action: rewrite\n"
     "    replacement: {en: '{missing}'}\n    reason: x\n", "no pattern has a group"),
    ("\n  - id: absolute_claim.zh.wrong_prefix\n    kind: literal\n    patterns: [包你]\n"
     "    action: remove_sentence\n    reason: x\n", "ids start with the category"),
    ("\n  - id: guarantee.zh.delivery_promise\n    kind: literal\n    patterns: [包你]\n"
     "    action: remove_sentence\n    reason: x\n", "already defined"),
    ("\n  - id: guarantee.zh.extra\n    kind: literal\n    patterns: [包你]\n"
     "    action: remove_sentence\n    reason: x\n    colour: red\n", "Extra inputs"),
    ("\n  - id: guarantee.zh.extra\n    kind: literal\n    patterns: [' ❤ ']\n"
     "    action: remove_sentence\n    reason: x\n", "empty once normalised"),
])
def test_invalid_rules_are_reported_precisely(rules_copy: Path, snippet: str, message: str
                                              ) -> None:
    target = rules_copy / ("guarantee.zh.yaml")
    if "guarantee.zh.delivery_promise" in snippet:
        target = rules_copy / "guarantee.en.yaml"
    _append(target, snippet)
    with pytest.raises(ConfigurationError) as error:
        load_rules(rules_copy)
    assert target.name in error.value.detail
    assert message in error.value.detail


def test_broken_yaml_gives_the_line(rules_copy: Path) -> None:
    (rules_copy / "body_insult.zh.yaml").write_text("category: body_insult\nrules: [\n",
                                                   encoding="utf-8")
    with pytest.raises(ConfigurationError) as error:
        load_rules(rules_copy)
    assert "body_insult.zh.yaml" in error.value.detail and "line" in error.value.detail


def test_missing_special_files_and_directories_are_errors(rules_copy: Path, tmp_path: Path
                                                          ) -> None:
    (rules_copy / "platforms.yaml").unlink()
    with pytest.raises(ConfigurationError, match=r"platforms\.yaml: missing rule file"):
        load_rules(rules_copy)
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_rules(tmp_path / "nowhere")


def test_an_engine_runs_any_rule_directory(rules_copy: Path) -> None:
    _append(rules_copy / "off_platform.yaml", """
  - id: off_platform.test_word
    kind: literal
    patterns: [飞鸽传书]
    action: remove_sentence
    reason: a carrier pigeon is outside the platform too
""")
    engine = PolicyEngine(load_rules(rules_copy))
    result = check("这款有货。飞鸽传书联系我。", engine=engine)
    assert result.text == "这款有货。"
    assert result.violations[0].rule == "off_platform.test_word"
    assert check("飞鸽传书联系我。").clean  # the bundled rules are untouched


def test_muted_triggers_only_save_time(rules_copy: Path) -> None:
    """Dropping mute_triggers must not change a single result: they only skip work."""
    import yaml

    from .evalset import load_cases

    mutes: list[str] = []
    for path in rules_copy.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("mute_triggers"):
            mutes.extend(data.pop("mute_triggers"))
            path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert mutes
    unmuted = PolicyEngine(load_rules(rules_copy))
    texts = [c["input"]["text"] for c in load_cases() if "text" in c["input"]]
    endings = ["明天一定到", "，保证明天到", " it will arrive by Friday", " 내일 꼭 도착해요",
               "质量绝对没问题", ", we guarantee it"]
    texts += [m + e for m in mutes for e in endings] + [e + m for m in mutes for e in endings]
    for text in texts:
        assert check(text).model_dump() == check(text, engine=unmuted).model_dump(), text


def _with_aliases(path: Path, block: str) -> None:
    """Replace the aliases block of off_platform.yaml with ``block``."""
    text = path.read_text(encoding="utf-8")
    start = text.index("aliases:\n")
    end = text.index("\nrules:\n")
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")


@pytest.mark.parametrize(("block", "message"), [
    ("aliases:\n  wechat: []\n  chat_app: ['{wechat}']\n  payment_app: ['{wechat}']\n",
     "aliases.wechat: no members"),
    ("aliases:\n  wechat: [微信, '{nope}']\n  chat_app: ['{wechat}']\n"
     "  payment_app: ['{wechat}']\n", "'{nope}' names no alias family"),
    ("aliases:\n  wechat: ['{chat_app}']\n  chat_app: ['{wechat}']\n"
     "  payment_app: ['{wechat}']\n", "refers to itself"),
    ("aliases:\n  wechat: [' ❤ ']\n  chat_app: ['{wechat}']\n  payment_app: ['{wechat}']\n",
     "empty once normalised"),
    ("aliases:\n  WeChat: [微信]\n", "aliases.WeChat"),
    ("aliases:\n  wechat: [微信]\n  kakaotalk: [카톡]\n  payment_app: ['{wechat}']\n",
     "uses {chat_app}, which is not in the pack's aliases"),
])
def test_a_malformed_alias_entry_is_a_clear_error(rules_copy: Path, block: str, message: str
                                                 ) -> None:
    _with_aliases(rules_copy / "off_platform.yaml", block)
    with pytest.raises(ConfigurationError) as error:
        load_rules(rules_copy)
    assert "off_platform.yaml" in error.value.detail
    assert message in error.value.detail


def test_a_new_nickname_is_one_line_of_data(rules_copy: Path) -> None:
    path = rules_copy / "off_platform.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  qq: [qq,", "  qq: [鹅鹅,", 1), encoding="utf-8")
    engine = PolicyEngine(load_rules(rules_copy))
    # Every cue pattern and the number rule know the new member at once.
    for text in ("加我鹅鹅哦", "鹅鹅号发您了", "鹅鹅 8 6 5 3 2 1 7 7"):
        assert not check(text, engine=engine).clean, text
        assert check(text).clean, text  # the bundled rules do not know it
    assert "鹅鹅" in load_rules(rules_copy).aliases["chat_app"]
