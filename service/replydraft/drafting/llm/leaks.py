"""Catching a reply that gives away the prompt.

A customer can ask the model to print its instructions, and a model can comply. The policy filter
does not know our prompt, so the backend checks each sentence itself and drops one that

* repeats a run of ``WINDOW`` words of the prompt's own instruction text (the literal text of
  ``system.md`` and ``context.md``, not the store's names or data, which replies may use), or
* shows the prompt's markup: a data-block tag (``<customer_message>``, ``‹knowledge``, …) or one
  of its underscore names (``customer_message``, ``store_profile``).

A translated paraphrase of the prompt is not caught by this; the system prompt's rule against
revealing it is the first line of defence, this is the second.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from replydraft.drafting.backend import CitedSentence

WINDOW = 8  # words in a row; replies share shorter phrases with the prompt by chance
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_TAG_NAME = re.compile(r"</?([a-z][a-z_]*)[\s>]")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class LeakGuard:
    def __init__(self, instruction_text: str, markup_text: str) -> None:
        words = _words(instruction_text)
        self._shingles = {
            tuple(words[i : i + WINDOW]) for i in range(max(0, len(words) - WINDOW + 1))
        }
        names = sorted(set(_TAG_NAME.findall(markup_text)))
        if not names:
            self._markup = None
            return
        tags = "|".join(re.escape(name) for name in names)
        identifiers = "|".join(re.escape(name) for name in names if "_" in name)
        pattern = rf"[<‹＜﹤]\s*/?\s*(?:{tags})\b"
        if identifiers:
            pattern += rf"|(?<![a-z])(?:{identifiers})(?![a-z])"
        self._markup = re.compile(pattern, re.IGNORECASE)

    def leaks(self, text: str) -> bool:
        if self._markup is not None and self._markup.search(text):
            return True
        words = _words(text)
        return any(
            tuple(words[i : i + WINDOW]) in self._shingles
            for i in range(len(words) - WINDOW + 1)
        )

    def split(
        self, sentences: Sequence[CitedSentence]
    ) -> tuple[list[CitedSentence], list[str]]:
        """(sentences to keep, texts of the ones dropped)."""
        kept: list[CitedSentence] = []
        dropped: list[str] = []
        for sentence in sentences:
            if self.leaks(sentence.text):
                dropped.append(sentence.text)
            else:
                kept.append(sentence)
        return kept, dropped


def literal_text(tokens: Iterable[tuple[str, str]]) -> str:
    """The fixed wording of a mustache template (its literals), without any inserted value."""
    return "\n".join(key for kind, key in tokens if kind == "literal")
