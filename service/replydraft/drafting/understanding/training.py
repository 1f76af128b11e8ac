"""The intent training set: ``prompts/understanding/training/<language>.yaml``.

Content staff and QA edit these files; a mistake is a ``ConfigurationError`` that names the file
and the entry (``training/ko.yaml: intents.stock[3]: must be text``). The schema is documented in
``prompts/understanding/README.md``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from replydraft.drafting.datafiles import load_yaml_mapping
from replydraft.errors import ConfigurationError
from replydraft.knowledge.models import Intent
from replydraft.languages import LANGUAGES

INTENTS: tuple[str, ...] = Intent.__args__  # type: ignore[attr-defined]
MAX_LABELS = 3


@dataclass(frozen=True)
class Example:
    text: str
    intents: tuple[str, ...]
    language: str


@dataclass(frozen=True)
class TrainingSet:
    examples: tuple[Example, ...]
    digest: str  # changes whenever a line or label changes: the trained model records it

    def count(self, intent: str, language: str | None = None) -> int:
        return sum(1 for e in self.examples
                   if intent in e.intents and (language is None or e.language == language))


def _text(path: Path, where: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{path}: {where}: must be text, got {value!r}")
    return value.strip()


def _intent(path: Path, where: str, value: object) -> str:
    if value not in INTENTS:
        known = ", ".join(INTENTS)
        raise ConfigurationError(f"{path}: {where}: unknown intent {value!r} (known: {known})")
    return str(value)


def load_training_file(path: Path) -> list[Example]:
    data = load_yaml_mapping(path, "training file")
    language = data.get("language")
    if language not in LANGUAGES:
        raise ConfigurationError(f"{path}: 'language' must be one of {', '.join(LANGUAGES)}")
    unknown = set(data) - {"language", "intents", "multi", "version"}
    if unknown:
        raise ConfigurationError(f"{path}: unknown keys {sorted(unknown)}")
    groups = data.get("intents")
    if not isinstance(groups, dict) or not groups:
        raise ConfigurationError(f"{path}: 'intents' must map intent names to lists of messages")
    examples: list[Example] = []
    for name, lines in groups.items():
        intent = _intent(path, f"intents.{name}", name)
        if not isinstance(lines, list):
            raise ConfigurationError(f"{path}: intents.{name}: must be a list of messages")
        for i, line in enumerate(lines):
            text = _text(path, f"intents.{name}[{i}]", line)
            examples.append(Example(text, (intent,), str(language)))
    for i, entry in enumerate(data.get("multi") or []):
        where = f"multi[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"text", "intents"}:
            raise ConfigurationError(f"{path}: {where}: needs exactly 'text' and 'intents'")
        labels = entry["intents"]
        if not isinstance(labels, list) or not 1 <= len(labels) <= MAX_LABELS:
            raise ConfigurationError(
                f"{path}: {where}.intents: a list of 1 to {MAX_LABELS} intents")
        intents = tuple(_intent(path, f"{where}.intents[{j}]", v) for j, v in enumerate(labels))
        examples.append(Example(_text(path, f"{where}.text", entry["text"]), intents,
                                str(language)))
    return examples


def load_training_set(directory: Path) -> TrainingSet:
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ConfigurationError(f"{directory}: no training files (*.yaml)")
    examples = [e for path in files for e in load_training_file(path)]
    digest = hashlib.sha256("\n".join(
        f"{e.language}\t{'|'.join(e.intents)}\t{e.text}" for e in examples).encode()
    ).hexdigest()[:16]
    return TrainingSet(tuple(examples), digest)
