"""Cut streamed text into whole sentences, so each can be filtered before anyone sees it.

A sentence ends at Chinese 。！？～ (and their half-width forms), at Latin . ! ? (a full stop
followed by a digit is a decimal point: "3.5" stays whole), at an ellipsis, or at a newline.
Korean uses the Latin marks ("요." "요?"). Closing quotes and brackets stay with their sentence.
The splitter holds back an incomplete tail until more text or the end of the stream arrives.
"""

from __future__ import annotations

import re

from replydraft.text.emoji import EMOJI_CLASS

_END = re.compile(
    r"(?:[。！？～!?]+|…+|~+|\.(?![0-9])|\n+)[」』”’\"')）\]]*"
    rf"(?:[{EMOJI_CLASS}]+)?"
)
_FULL_WIDTH_END = "。！？～…"


def _ready(text: str, match: re.Match[str], final: bool) -> bool:
    """Chinese marks end a sentence at once; a Latin mark only once we see what follows it
    ("3." may become "3.5", "?" may get a closing quote)."""
    if match.end() < len(text) or final:
        return True
    return match.group(0)[0] in _FULL_WIDTH_END


class SentenceSplitter:
    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, delta: str) -> list[str]:
        self._buffer += delta
        return self._take(final=False)

    def flush(self) -> list[str]:
        sentences = self._take(final=True)
        if self._buffer.strip():
            sentences.append(self._buffer)
        self._buffer = ""
        return sentences

    def _take(self, *, final: bool) -> list[str]:
        sentences: list[str] = []
        start = 0
        for match in _END.finditer(self._buffer):
            if not _ready(self._buffer, match, final):
                break
            end = match.end()
            # Keep the whitespace after a sentence with it, so joined sentences read naturally.
            while end < len(self._buffer) and self._buffer[end] in " \t":
                end += 1
            sentences.append(self._buffer[start:end])
            start = end
        self._buffer = self._buffer[start:]
        return [s for s in sentences if s.strip()]


def split_sentences(text: str) -> list[str]:
    splitter = SentenceSplitter()
    return splitter.feed(text) + splitter.flush()
