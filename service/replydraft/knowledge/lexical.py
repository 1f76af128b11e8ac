"""The lexical half of hybrid search: a tokeniser per script and a BM25 index.

Dense vectors miss exact strings (SKUs, product names, numbers); BM25 over good tokens finds them.
Chinese goes through jieba after Traditional -> Simplified conversion (so a zh-Hant query matches
zh-Hans text and back); Korean as particle-stripped words plus syllable bigrams; Latin text as
lowercased words. SKUs are kept whole *and* split, so ``BT-JN-4WS01`` and ``4WS01`` both match.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from replydraft.text.script import to_simplified

_SKU = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_LETTERS_OR_DIGITS = re.compile(r"[a-z]+|\d+(?:\.\d+)?")
_CJK_SKIP = re.compile(r"^[\s\W_]+$")



def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EN_STOP = _words("""
    a an the and or of to in on for is are was be it this that with as at by from i you we my
    your our me do does can could would should will please hi hello dear
""")
_ZH_STOP = _words("的 了 吗 呢 吧 啊 呀 哦 么 嘛 是 我 你 您 亲 親 和 也 就 都 在 有 这 那 个 嗎")
# Particles and polite endings that glue onto Korean words, longest first.
_KO_ENDINGS = tuple(sorted(_words("""
    은 는 이 가 을 를 에 에서 에게 께 으로 로 의 도 만 과 와 랑 이랑 하고 부터 까지 보다 처럼
    요 이에요 예요 이요 입니다 습니다 ㅂ니다 해요 했어요 할까요 인가요 나요 가요 죠 지요 세요
    주세요 해주세요 하나요 있나요 없나요 되나요 될까요 인데 인데요 는데 는데요 면 으면
""") - {"ㅂ니다"}, key=len, reverse=True))
_WORD = re.compile(r"[\w-]+")

_LOCK = threading.Lock()
# Bump when tokenize() changes: stored terms of older versions are then recomputed.
LEXICAL_VERSION = 3


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(60)  # jieba logs its dictionary loading at INFO
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Index terms of ``text`` (documents and queries use the same function)."""
    terms: list[str] = []
    for line in text.split("\n"):
        if line.strip():
            terms.extend(_line_terms(line))
    return terms


@lru_cache(maxsize=200_000)
def _line_terms(text: str) -> tuple[str, ...]:
    # Product blocks repeat lines (size-chart rows, fabric, labels) across thousands of
    # products: tokenising each distinct line once makes a 10k catalogue cheap to index.
    return tuple(_text_terms(text))


def _text_terms(text: str) -> list[str]:
    terms = _sku_terms(text)
    if _HANGUL.search(text):
        terms += _korean_terms(text)
    elif _HAN.search(text):
        terms += _chinese_terms(text)
    else:
        terms += _latin_terms(text)
    return terms


def _sku_terms(text: str) -> list[str]:
    terms = []
    for match in _SKU.finditer(text):
        sku = match.group(0).lower()
        terms.append(sku)
        terms.append(sku.replace("-", ""))  # "btjn4ws01" as some customers type it
        terms.extend(part for part in sku.split("-") if part)
    return terms


def _latin_terms(text: str) -> list[str]:
    terms = []
    for word in _LATIN_WORD.findall(text.lower()):
        if word in _EN_STOP:
            continue
        if word.isalpha() or word.replace(".", "").isdigit():
            terms.append(_stem(word))
            continue
        # "3xl", "180cm": the glued form for exact matches, the parts for "180 cm" / "3 XL".
        terms.append(word)
        terms.extend(_LETTERS_OR_DIGITS.findall(word))
    return terms


def _stem(word: str) -> str:
    # Plural -s only: enough for "jeans"/"jean", "boots"/"boot" and cheap to keep symmetric.
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss") and word.isalpha():
        return word[:-1]
    return word


def _chinese_terms(text: str) -> list[str]:
    simplified = to_simplified(text.lower())
    jieba = _jieba()
    with _LOCK:  # jieba's tokenizer mutates caches on first use of a word
        words = list(jieba.cut_for_search(simplified))
    terms = []
    for word in words:
        word = word.strip()
        if not word or _CJK_SKIP.match(word) or word in _ZH_STOP:
            continue
        terms.append(_stem(word) if word.isascii() else word)
    return terms


def _korean_terms(text: str) -> list[str]:
    """Each word (particle stripped) plus its syllable bigrams: robust to Korean's attached
    particles and endings, and ~100x cheaper than a morphological analyser (kiwipiepy took
    ~9 ms per sentence here, minutes for a large catalogue)."""
    terms = []
    for word in _WORD.findall(text.lower()):
        if _HANGUL.search(word):
            stem = _strip_particle(word)
            terms.append(stem)
            syllables = re.sub(r"[^\uac00-\ud7a3]", "", stem)
            terms.extend(syllables[i:i + 2] for i in range(len(syllables) - 1))
        elif _HAN.search(word):
            terms.extend(_chinese_terms(word))
        else:
            terms.extend(_latin_terms(word))
    return terms


def _strip_particle(word: str) -> str:
    for ending in _KO_ENDINGS:
        if word.endswith(ending) and len(word) > len(ending):
            return word[: -len(ending)]
    return word


class LexicalIndex:
    """BM25 over pre-tokenised documents; row ``i`` is document ``i`` of the version."""

    def __init__(self, documents: Sequence[list[str]]) -> None:
        import bm25s

        self._size = len(documents)
        self._bm25: Any = None
        if documents and any(documents):
            self._bm25 = bm25s.BM25()
            self._bm25.index([list(doc) for doc in documents], show_progress=False)

    def __len__(self) -> int:
        return self._size

    def scores(self, query_terms: list[str]) -> np.ndarray:
        """BM25 score of every document for the query (zeros when nothing matches)."""
        if self._bm25 is None:
            return np.zeros(self._size, dtype=np.float32)
        known = [term for term in query_terms if term in self._bm25.vocab_dict]
        if not known:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def top(self, query_terms: list[str], n: int, mask: np.ndarray | None = None
            ) -> list[tuple[int, float]]:
        """Best ``n`` (row, score) pairs with a positive score, restricted to ``mask`` rows."""
        scores = self.scores(query_terms)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        positive = int(np.count_nonzero(scores > 0))
        if positive == 0:
            return []
        n = min(n, positive)
        rows = np.argpartition(-scores, n - 1)[:n]
        rows = rows[np.argsort(-scores[rows], kind="stable")]
        return [(int(row), float(scores[row])) for row in rows]
