"""Which product and colour a message names: SKUs, distinctive name parts, category words."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from replydraft.drafting.understanding.lexicon import Lexicon, word_in
from replydraft.drafting.understanding.slots import normalise_measures
from replydraft.knowledge.models import Product


@lru_cache(maxsize=1024)
def _name_forms(names: tuple[str, ...], generic_words: tuple[str, ...]) -> tuple[str, ...]:
    """A product's names without the words every name shares, spaces removed ("일자청바지")."""
    forms: list[str] = []
    for name in names:
        form = normalise_measures(name)
        for word in sorted(generic_words, key=len, reverse=True):
            if word.isascii():  # whole words only: "a" must not eat the a of "straight"
                form = re.sub(rf"(?<![a-z]){re.escape(word)}(?![a-z])", " ", form)
            else:
                form = form.replace(word, " ")
        if _is_latin(form):
            forms.append(" ".join(form.split()))  # English keeps its words
        elif compact := re.sub(r"\s+", "", form):
            forms.append(compact)
    return tuple(forms)


def _overlap(text: str, form: str, floor: int = 2) -> int:
    """Length of the longest piece of ``form`` found in ``text`` (works without a tokenizer)."""
    best = floor
    for start in range(len(form) - best):
        length = best + 1
        while start + length <= len(form) and form[start:start + length] in text:
            best = length
            length += 1
    return best if best > floor else 0


_LATIN_WORD = re.compile(r"[a-z0-9\u00c0-\u024f]+(?:-[a-z0-9\u00c0-\u024f]+)*")
_CJK_OR_HANGUL = re.compile(r"[\u3040-\u9fff\uac00-\ud7a3\uf900-\ufaff]")


def _is_latin(form: str) -> bool:
    """"cotton piqué polo shirt" is matched by words even with its accent."""
    return _CJK_OR_HANGUL.search(form) is None


def _word_overlap(words: set[str], form: str) -> int:
    """English names match by whole words ("line" is not in "fleece-lined"): the letters of the
    name words the text contains."""
    name_words = [w for w in _LATIN_WORD.findall(form) if len(w) >= 3]
    return sum(len(w) for w in name_words if w in words)


def find_product(text: str, products: Sequence[Product], lexicon: Lexicon) -> str | None:
    """The SKU named in ``text`` (exactly, or by a distinctive part of its name), or None."""
    return product_mention(text, products, lexicon)[0]


def product_mention(text: str, products: Sequence[Product], lexicon: Lexicon
                    ) -> tuple[str | None, bool]:
    """(SKU, specific): specific when the SKU or a distinctive part of the name is written; a
    bare category word ("裤子") that happens to fit one product is not specific."""
    sku = _by_sku_or_name(text, products, lexicon)
    if sku is not None:
        return sku, True
    return _by_category(text, products, lexicon), False


class ProductNames:
    """The catalogue's SKUs and distinctive name parts, indexed so that a message is compared
    only with the products it shares a name word or three characters with. Scanning every
    product instead took 1.5 s per message on a 10,000-product catalogue."""

    def __init__(self, products: Sequence[Product], generic_words: tuple[str, ...]) -> None:
        self.position = {product.sku: i for i, product in enumerate(products)}
        self.forms: dict[str, tuple[str, ...]] = {}
        self._by_word: dict[str, set[str]] = {}
        self._by_trigram: dict[str, set[str]] = {}
        for product in products:
            forms = _name_forms(tuple(product.names.values()), generic_words)
            self.forms[product.sku] = forms
            for form in forms:
                keys = ([w for w in _LATIN_WORD.findall(form) if len(w) >= 3] if _is_latin(form)
                        else _trigrams(form))
                index = self._by_word if _is_latin(form) else self._by_trigram
                for key in keys:
                    index.setdefault(key, set()).add(product.sku)

    def written_sku(self, text: str) -> str | None:
        """A SKU written as a whole token (not inside a longer code); the first in catalogue
        order when several are."""
        found = [t for t in _SKU_TOKEN.findall(text.upper()) if t in self.position]
        return min(found, key=self.position.__getitem__) if found else None

    def candidates(self, words: set[str], compact: str) -> set[str]:
        """Products sharing a name word (>= 3 letters) or a run of three characters with the
        message: the only ones whose overlap score can reach 3."""
        found: set[str] = set()
        for key in words:
            found |= self._by_word.get(key, set())
        for key in _trigrams(compact):
            found |= self._by_trigram.get(key, set())
        return found


_SKU_TOKEN = re.compile(r"[A-Z0-9-]+")
_NAMES_CACHE: list[tuple[tuple[int, ...], Lexicon, Sequence[Product], ProductNames]] = []


def _trigrams(text: str) -> list[str]:
    return [text[i:i + 3] for i in range(len(text) - 2)]


def product_names(products: Sequence[Product], lexicon: Lexicon) -> ProductNames:
    """The index of this exact product list, built once: the list of a serving knowledge
    version holds the same objects until the next refresh."""
    key = tuple(map(id, products))
    cached = _NAMES_CACHE[0] if _NAMES_CACHE else None
    if cached is not None and cached[0] == key and cached[1] is lexicon:
        return cached[3]
    names = ProductNames(products, lexicon.generic_words)
    # The products are kept alive with their index, so their ids cannot be reused meanwhile.
    _NAMES_CACHE[:] = [(key, lexicon, list(products), names)]
    return names


def _by_sku_or_name(text: str, products: Sequence[Product], lexicon: Lexicon) -> str | None:
    names = product_names(products, lexicon)
    sku = names.written_sku(text)
    if sku is not None:
        return sku
    compact = re.sub(r"\s+", "", text)
    words = set(_LATIN_WORD.findall(text))
    scores: dict[str, int] = {}
    for candidate in names.candidates(words, compact):
        forms = names.forms[candidate]
        best = max((_word_overlap(words, form) if _is_latin(form) else _overlap(compact, form)
                    for form in forms), default=0)
        if best >= 3:
            scores[candidate] = best
    if scores:
        top = max(scores.values())
        winners = [sku for sku, score in scores.items() if score == top]
        if len(winners) == 1:
            return winners[0]
    return None


def _by_category(text: str, products: Sequence[Product], lexicon: Lexicon) -> str | None:
    named = {cat for cat, words in lexicon.categories.items()
             if any(word_in(word, text) for word in words)}
    candidates = [p.sku for p in products if p.category in named]
    return candidates[0] if len(candidates) == 1 else None


def find_colour(text: str, product: Product | None, lexicon: Lexicon) -> str | None:
    """The id of the product colour the text names: by its own name first, then by colour word."""
    if product is None:
        return None
    for colour in product.colours:
        names = [normalise_measures(n) for n in colour.names.values()]
        if any(len(n) >= 2 and n in text for n in names):
            return colour.id
    matches: list[str] = []
    for words in lexicon.colours.values():
        if not any(word_in(word, text) for word in words):
            continue
        for colour in product.colours:
            haystack = " ".join([colour.id.replace("-", " ")] +
                                [normalise_measures(n) for n in colour.names.values()])
            if any(word_in(word, haystack) for word in words) and colour.id not in matches:
                matches.append(colour.id)
    return matches[0] if len(matches) == 1 else None


