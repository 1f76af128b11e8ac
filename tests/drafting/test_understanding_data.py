"""The understanding data: the training set is complete and kept apart from the eval suite, and
the shipped intent model was trained on exactly these files."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from replydraft.drafting.understanding.classifier import load_model
from replydraft.drafting.understanding.intents import MODEL_FILE
from replydraft.drafting.understanding.training import (
    INTENTS,
    load_training_file,
    load_training_set,
)
from replydraft.errors import ConfigurationError
from replydraft.languages import LANGUAGES
from replydraft.yamlfile import safe_load

REPO = Path(__file__).resolve().parents[2]
UNDERSTANDING = REPO / "prompts" / "understanding"
SUITE = REPO / "evals" / "understanding"
MIN_PER_INTENT = 80
MIN_CASES = 800


def folded(text: str) -> str:
    """Case, width, punctuation, emoji and spaces folded away: what "the same message" means."""
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\W_]+", "", text)


def eval_messages() -> list[str]:
    messages = []
    for path in sorted(SUITE.glob("*.yaml")):
        for case in safe_load(path.read_text(encoding="utf-8"))["cases"]:
            turns = case.get("messages") or [{"role": "customer", "text": case["text"]}]
            messages += [t["text"] for t in turns if t["role"] == "customer"]
    return messages


def test_every_intent_has_enough_lines_in_every_language() -> None:
    training = load_training_set(UNDERSTANDING / "training")
    short = [(intent, language, training.count(intent, language))
             for intent in INTENTS for language in LANGUAGES
             if training.count(intent, language) < MIN_PER_INTENT]
    assert not short


def test_the_eval_suite_shares_no_message_with_the_training_set() -> None:
    training = {folded(e.text) for e in load_training_set(UNDERSTANDING / "training").examples}
    shared = [m for m in eval_messages() if folded(m) in training and len(folded(m)) > 1]
    assert not shared


def test_the_suite_is_large_and_covers_the_four_languages() -> None:
    counts = {path.stem: len(safe_load(path.read_text(encoding="utf-8"))["cases"])
              for path in SUITE.glob("*.yaml")}
    assert set(counts) == set(LANGUAGES)
    assert sum(counts.values()) >= MIN_CASES


def test_the_shipped_model_matches_the_training_files() -> None:
    model = load_model(UNDERSTANDING / MODEL_FILE)
    training = load_training_set(UNDERSTANDING / "training")
    assert model is not None
    assert model.digest == training.digest, "run 'replydraft understanding train'"
    assert set(model.intents) == set(INTENTS)


@pytest.mark.parametrize(("body", "message"), [
    ("language: zh-Hans\nintents:\n  haggle: [便宜点]\n", r"intents\.haggle: unknown intent"),
    ("language: zh-Hans\nintents:\n  postage: [包邮吗, '']\n", r"intents\.postage\[1\]: must be"),
    ("language: xx\nintents:\n  postage: [x]\n", "'language' must be one of"),
    ("language: en\nintents:\n  postage: [x]\nmulti:\n  - text: a\n", r"multi\[0\]: needs"),
])
def test_a_mistake_in_a_training_file_names_the_file_and_the_entry(
        tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message) as error:
        load_training_file(path)
    assert str(path) in error.value.detail
