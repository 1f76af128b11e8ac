from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from replydraft.drafting.composing.templates import TEMPLATE_SPEC, TemplateLibrary, placeholders_of
from replydraft.errors import ConfigurationError
from replydraft.languages import LANGUAGES
from replydraft.text.korean import fix_particles

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


def test_every_language_has_every_template_with_a_version() -> None:
    library = TemplateLibrary(PROMPTS)
    assert library.version.startswith("offline-")
    for language in LANGUAGES:
        assert set(library[language].entries) == set(TEMPLATE_SPEC)


@pytest.fixture
def prompts_copy(tmp_path: Path) -> Path:
    shutil.copytree(PROMPTS / "offline", tmp_path / "offline")
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_missing_required_placeholder_names_file_and_key(prompts_copy: Path) -> None:
    file = prompts_copy / "offline" / "en.yaml"
    edit(file, "go with {size} in the", "go with a size in the")
    with pytest.raises(ConfigurationError) as error:
        TemplateLibrary(prompts_copy)
    assert str(file) in error.value.detail
    assert "size_advice.fits" in error.value.detail and "{size}" in error.value.detail


def test_unknown_placeholder_is_rejected(prompts_copy: Path) -> None:
    file = prompts_copy / "offline" / "ko.yaml"
    edit(file, "혜택도 있어요. {promotion}", "혜택도 있어요. {promotion} {discount_code}")
    with pytest.raises(ConfigurationError,
                       match=r"product_info\.promotion: unknown placeholder \{discount_code\}"):
        TemplateLibrary(prompts_copy)


def test_missing_key_is_rejected(prompts_copy: Path) -> None:
    file = prompts_copy / "offline" / "zh-Hant.yaml"
    text = file.read_text(encoding="utf-8")
    file.write_text("\n".join(line for line in text.splitlines()
                              if not line.strip().startswith("ask_weight:")), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"zh-Hant\.yaml: missing template "
                                                 r"size_advice\.ask_weight"):
        TemplateLibrary(prompts_copy)


def test_missing_version_file_is_a_configuration_error(prompts_copy: Path) -> None:
    (prompts_copy / "offline" / "VERSION").unlink()
    with pytest.raises(ConfigurationError, match="VERSION"):
        TemplateLibrary(prompts_copy)


def test_templates_never_carry_words_the_policy_filter_removes() -> None:
    from replydraft.policy import check

    library = TemplateLibrary(PROMPTS)
    for language in LANGUAGES:
        for key, template in library[language].entries.items():
            if key.startswith("fragments."):
                continue
            values = {name: "X" for name in placeholders_of(template)}
            text = template.format_map(values)
            assert check(text, language=language).clean, (language, key, text)


@pytest.mark.parametrize(
    ("written", "expected"),
    [("청바지은(는) 좋아요", "청바지는 좋아요"), ("블랙은(는) 품절", "블랙은 품절"),
     ("2XL 사이즈이(가) 맞아요", "2XL 사이즈가 맞아요"), ("샘이에요(예요)", "샘이에요"),
     ("제니이에요(예요)", "제니예요"), ("46, 48이(가) 품절", "46, 48이 품절"),
     ("ZTO 택배, 윈다 택배이고(고)", "ZTO 택배, 윈다 택배고")],
)
def test_korean_particles_follow_the_last_syllable(written: str, expected: str) -> None:
    assert fix_particles(written) == expected
