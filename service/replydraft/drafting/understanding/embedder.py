"""One query embedding per customer message, however many times it is needed.

A draft embeds the customer's latest message for the intent classifier and again for each filtered
knowledge search. All of those are the same text, so a small process-wide LRU in front of the
knowledge base's embedder turns them into one model call (about 15 ms saved per extra use). Pass
``shared_embedder(settings)`` to ``KnowledgeBase(settings, embedder=...)`` and the drafter reuses
it.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import OrderedDict

import numpy as np

from replydraft.config import Settings
from replydraft.knowledge.embedding import Embedder, build_embedder

# The most of a query the model reads, in units of about one model token: a Chinese, Japanese or
# Korean character is one, any other character a quarter (an English word of four letters and its
# space is about one token). The model's cost grows faster than the text (a 2,000-character
# message took seconds, four times over in one draft); a long message is read by its opening
# and its end, where customers put the question. An English message of ~380 characters, or a
# Chinese one of 96, is still read whole.
QUERY_HEAD_UNITS = 32
QUERY_TAIL_UNITS = 64
_NARROW_UNIT = 0.25


def _units(char: str) -> float:
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else _NARROW_UNIT


def _within(text: str, budget: float) -> int:
    """How many characters from the start of ``text`` fit in ``budget`` units."""
    used = 0.0
    for count, char in enumerate(text):
        used += _units(char)
        if used > budget:
            return count
    return len(text)


def bounded_query(text: str) -> str:
    """``text`` as the model reads it: whole when short, else its opening and its end."""
    if _within(text, QUERY_HEAD_UNITS + QUERY_TAIL_UNITS) == len(text):
        return text
    head = text[:_within(text, QUERY_HEAD_UNITS)]
    tail = text[len(text) - _within(text[::-1], QUERY_TAIL_UNITS):]
    return f"{head} … {tail}"


class CachedQueryEmbedder:
    """An ``Embedder`` that remembers recent query vectors (of ``bounded_query`` texts);
    passages pass straight through."""

    def __init__(self, inner: Embedder, max_entries: int = 512) -> None:
        self._inner = inner
        self._max = max_entries
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def dim(self) -> int:
        return self._inner.dim

    @property
    def batch_size(self) -> int:
        return int(getattr(self._inner, "batch_size", 32))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._inner.embed_passages(texts)

    def clear(self) -> None:
        """Forget every remembered vector (benchmarks measure a first-seen message this way)."""
        with self._lock:
            self._cache.clear()

    def embed_query(self, text: str) -> np.ndarray:
        text = bounded_query(text)
        with self._lock:
            found = self._cache.get(text)
            if found is not None:
                self._cache.move_to_end(text)
                self.hits += 1
                return found
        vector = self._inner.embed_query(text)
        vector.setflags(write=False)  # shared between callers: nobody may change it
        with self._lock:
            self.misses += 1
            self._cache[text] = vector
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return vector


_shared: dict[str, CachedQueryEmbedder] = {}
_shared_lock = threading.Lock()


def shared_embedder(settings: Settings) -> CachedQueryEmbedder:
    """The process-wide cached embedder for ``settings.embedder``."""
    with _shared_lock:
        found = _shared.get(settings.embedder)
        if found is None:
            found = CachedQueryEmbedder(build_embedder(settings))
            _shared[settings.embedder] = found
        return found


def query_embedder_of(knowledge: object, settings: Settings) -> Embedder:
    """The knowledge base's own embedder when it exposes one (so its cache is shared), else the
    shared one."""
    own = getattr(knowledge, "embedder", None)
    if isinstance(own, Embedder):
        return own
    return shared_embedder(settings)
