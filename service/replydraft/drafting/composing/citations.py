"""Citations: which retrieved chunk backs which sentence of the reply that was actually kept.

Only chunks the drafter retrieved count (a model citing an id it was never shown is dropped), and
only sentences that survived the policy filter are cited (a removed sentence cites nothing; a
rewritten one is cited in its rewritten form).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from replydraft.drafting.backend import CitedSentence
from replydraft.drafting.models import Citation
from replydraft.knowledge.models import SearchHit

SNIPPET_CHARS = 200


def _bigrams(text: str) -> set[str]:
    compact = re.sub(r"\s+", "", text.lower())
    return {compact[i:i + 2] for i in range(len(compact) - 1)}


def snippet(hit_text: str, sentence: str) -> str:
    """The line of the chunk that shares the most with the sentence, trimmed."""
    lines = [line.strip(" >-\t") for line in hit_text.splitlines() if line.strip(" >-\t")]
    if not lines:
        return ""
    wanted = _bigrams(sentence)
    best = max(lines, key=lambda line: len(_bigrams(line) & wanted))
    return best if len(best) <= SNIPPET_CHARS else best[:SNIPPET_CHARS - 1] + "…"


def build_citations(
    sentences: Sequence[CitedSentence],
    final_text: str,
    hits: Sequence[SearchHit],
    refilter: Callable[[str], str],
) -> list[Citation]:
    by_id = {hit.chunk_id: hit for hit in hits}
    citations: list[Citation] = []
    seen: set[tuple[str, str]] = set()
    for sentence in sentences:
        kept = _kept_form(sentence.text.strip(), final_text, refilter)
        if kept is None:
            continue
        for chunk_id in sentence.chunk_ids:
            hit = by_id.get(chunk_id)
            if hit is None or (chunk_id, kept) in seen:
                continue
            seen.add((chunk_id, kept))
            citations.append(Citation(chunk_id=chunk_id, source=hit.source,
                                      section=hit.section, snippet=snippet(hit.text, kept),
                                      sentence=kept))
    return citations


def _kept_form(sentence: str, final_text: str, refilter: Callable[[str], str]) -> str | None:
    if not sentence:
        return None
    if sentence in final_text:
        return sentence
    filtered = refilter(sentence).strip()
    if filtered and filtered in final_text:
        return filtered
    return None
