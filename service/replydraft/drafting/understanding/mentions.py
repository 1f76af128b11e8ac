"""Which colour of a product a message names: by the product's own colour names, then by colour
word (the product itself is ``product.resolve_product``'s business)."""

from __future__ import annotations

from collections.abc import Sequence

from replydraft.drafting.understanding.lexicon import Lexicon, whole_word, word_in
from replydraft.drafting.understanding.slots import normalise_measures
from replydraft.knowledge.models import Product


def find_colour(text: str, product: Product | None, lexicon: Lexicon) -> str | None:
    """The id of the product colour the text names: by its own name or id first (the one named
    earliest: "收到的墨绿根本是黑色" is about the 墨绿), then by colour word."""
    if product is None:
        return None
    named: list[tuple[int, int, str]] = []  # (where, -length, id): earliest, then longest
    for colour in product.colours:
        names = [normalise_measures(n) for n in colour.names.values()]
        spots = [(text.find(n), -len(n)) for n in names if len(n) >= 2 and n in text]
        ident = whole_word(colour.id.replace("-", " ")).search(text)  # "6xl in wine?"
        spots += [(ident.start(), ident.start() - ident.end())] if ident else []
        if spots:
            named.append((*min(spots), colour.id))
    if named:
        return min(named)[2]
    matches: list[str] = []
    for words in lexicon.colours.values():
        if not any(word_in(word, text) for word in words):
            continue
        matches += [c for c in family_colours(product, words) if c not in matches]
    return matches[0] if len(matches) == 1 else None


def family_colours(product: Product, words: Sequence[str]) -> list[str]:
    """The ids of the product's colours that a colour family's words name (by id or name)."""
    found = []
    for colour in product.colours:
        haystack = " ".join([colour.id.replace("-", " ")] +
                            [normalise_measures(n) for n in colour.names.values()])
        if any(word_in(word, haystack) for word in words):
            found.append(colour.id)
    return found


