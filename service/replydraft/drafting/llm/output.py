"""Turning what the model wrote into cited sentences.

Two formats, both described in ``prompts/llm/system.md``:

* drafts: ``{"sentences": [{"text": "...", "cites": ["chunk-id"]}]}``, tolerating code fences and
  stray prose around the object;
* streaming: plain text with ``[c:chunk-id]`` markers after the sentences that use a chunk. The
  markers are stripped from what reaches the drafter, even when one arrives split over deltas.

Citations are kept only when they name a chunk the model was actually shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from replydraft.drafting.backend import CitedSentence
from replydraft.errors import LLMBadOutput
from replydraft.languages import Language

_MARKER = re.compile(r"[ \t]*\[c:\s*([^\[\]\s]{1,128})\s*\]")
_MARKER_PREFIX = "[c:"
_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*\n?|\n?\s*```\s*$")
# A sentence ends at terminal punctuation (plus closing quotes/brackets) or a line break.
_SENTENCE_END = re.compile(r"[。！？!?]+[」』”’\")）]*|(?<![0-9])\.(?![0-9])[\")”’]*|\n+")
_SPACED_LANGUAGES = ("en", "ko")


def bad_output(detail: str, reason: str = "malformed_output") -> LLMBadOutput:
    return LLMBadOutput(detail, extra={"reason": reason})


def parse_json_reply(
    content: str | None, *, known_ids: Collection[str], language: Language
) -> list[CitedSentence]:
    """Parse a JSON draft; raises ``LLMBadOutput`` when it is empty or not the agreed shape."""
    if content is None or not content.strip():
        raise bad_output("the model returned an empty completion", "empty_output")
    payload = _load_json_object(content)
    raw_sentences = payload.get("sentences")
    if not isinstance(raw_sentences, list):
        raise bad_output('the model\'s JSON has no "sentences" list')
    sentences: list[CitedSentence] = []
    for index, item in enumerate(raw_sentences):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise bad_output(f'sentences[{index}] is not an object with a "text" string')
        text, inline_ids = strip_markers(item["text"])
        cites = [*_as_id_list(item.get("cites"), index), *inline_ids]
        if text.strip():
            sentences.append(CitedSentence(text.strip(), _keep_known(cites, known_ids)))
    if not sentences:
        raise bad_output("the model's JSON has no non-empty sentence", "empty_output")
    return space_sentences(sentences, language)


def parse_marked_text(
    text: str, *, known_ids: Collection[str], language: Language
) -> list[CitedSentence]:
    """Split streamed text with ``[c:id]`` markers into cited sentences.

    A marker right after a sentence's end belongs to that sentence; one in the middle of a
    sentence belongs to the sentence it is in.
    """
    sentences: list[CitedSentence] = []
    pending_text = ""
    pending_ids: list[str] = []
    for piece, ids in _pieces(text):
        finished, pending_text = _split_finished(pending_text + piece)
        for sentence in finished:
            sentences.append(CitedSentence(sentence, _keep_known(pending_ids, known_ids)))
            pending_ids = []
        if ids and not pending_text.strip() and sentences:
            last = sentences[-1]
            sentences[-1] = CitedSentence(
                last.text, _keep_known([*last.chunk_ids, *ids], known_ids)
            )
        else:
            pending_ids.extend(ids)
    if pending_text.strip():
        sentences.append(CitedSentence(pending_text.strip(), _keep_known(pending_ids, known_ids)))
    return space_sentences(sentences, language)


def strip_markers(text: str) -> tuple[str, list[str]]:
    """Remove ``[c:id]`` markers; return the clean text and the ids in order."""
    ids = [match.group(1) for match in _MARKER.finditer(text)]
    return _MARKER.sub("", text), ids


def space_sentences(sentences: list[CitedSentence], language: Language) -> list[CitedSentence]:
    """Make ``"".join(texts)`` read right: a space between sentences in English and Korean."""
    if language not in _SPACED_LANGUAGES:
        return sentences
    spaced = [CitedSentence(s.text + " ", s.chunk_ids) for s in sentences[:-1]]
    return [*spaced, *sentences[-1:]]


@dataclass
class MarkerStripper:
    """Removes ``[c:id]`` markers from a stream of deltas, holding back only what might still
    turn out to be a marker: an opening ``[c:`` without its ``]`` yet, and trailing spaces."""

    _held: str = ""

    def feed(self, delta: str) -> str:
        text = self._held + delta
        text, _ = strip_markers(text)
        cut = _start_of_possible_marker(text)
        self._held = text[cut:]
        return text[:cut]

    def flush(self) -> str:
        """The stream ended: whatever was held back was not a marker after all."""
        held, self._held = self._held, ""
        return strip_markers(held)[0]


def _start_of_possible_marker(text: str) -> int:
    bracket = text.rfind("[")
    tail = text[bracket:] if bracket != -1 else ""
    could_be_marker = (
        bracket != -1
        and _MARKER_PREFIX.startswith(tail[:3])
        and "]" not in tail
        and len(tail) <= 3 + 128
    )
    start = bracket if could_be_marker else len(text)
    # Hold trailing spaces too: a marker that follows swallows the whitespace in front of it.
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    return start


def _pieces(text: str) -> Iterable[tuple[str, list[str]]]:
    """Text between markers, each with the marker ids that follow it."""
    position = 0
    for match in _MARKER.finditer(text):
        yield text[position : match.start()], [match.group(1)]
        position = match.end()
    yield text[position:], []


def take_sentences(text: str) -> tuple[list[str], str]:
    """The finished sentences of ``text`` exactly as written (spacing kept), and the rest."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    return pieces, text[start:]


def _split_finished(text: str) -> tuple[list[str], str]:
    """The sentences of ``text`` that have ended (stripped, non-empty), and the unfinished rest."""
    finished: list[str] = []
    while (match := _SENTENCE_END.search(text)) is not None:
        sentence, text = text[: match.end()].strip(), text[match.end() :]
        if sentence:
            finished.append(sentence)
    return finished, text


def _load_json_object(content: str) -> dict[str, object]:
    text = _FENCE.sub("", content.strip())
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end <= start:
        raise bad_output(f"the model did not answer with a JSON object: {_preview(content)}")
    try:
        payload = json.loads(text[start : end + 1])
    except json.JSONDecodeError as exc:
        raise bad_output(f"the model's JSON does not parse ({exc.msg} at {exc.pos})") from exc
    if not isinstance(payload, dict):
        raise bad_output("the model's JSON is not an object")
    return payload


def _as_id_list(value: object, index: int) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise bad_output(f"sentences[{index}].cites is not a list of chunk ids")


def _keep_known(ids: Iterable[str], known_ids: Collection[str]) -> tuple[str, ...]:
    """Known ids only, each once, in first-seen order: a model may invent or repeat ids."""
    kept: list[str] = []
    for chunk_id in ids:
        cleaned = chunk_id.strip()
        if cleaned in known_ids and cleaned not in kept:
            kept.append(cleaned)
    return tuple(kept)


def _preview(content: str, limit: int = 80) -> str:
    flat = " ".join(content.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"
