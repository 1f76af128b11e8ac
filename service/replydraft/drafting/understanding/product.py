"""Which product a conversation is about, and why: its own step, with the reason in the result.

The agent's screen (``request.sku``) is where the agent is; it wins unless the customer
distinctly names another product. What counts as naming, in order:

1. a SKU written in the message (``named``);
2. category words (牛仔裤, jeans, 청바지, 羽绒服) and umbrella words (外套, 裤子, 신발) from the
   lexicon, which narrow together ("羽绒外套": coat ∩ outerwear). A set that holds the screen's
   product agrees with the screen (``on_screen``); a single product is ``category``; several are
   ``ambiguous`` (with the candidates) unless a descriptive name word picks one of them ("直筒"
   within the jeans: ``named``) or an earlier message named one of them (``history``);
3. descriptive name words (直筒, 小脚, straight, 일자) name a product only when used as a name:
   followed by a naming marker or a category word ("小脚的", "直筒牛仔裤", "the straight cut").
   "修身吗" asks about the fit of the product shown and never pulls away from the screen.

Generic words (大码, size, 사이즈, 男装, 款, this) never count. Nothing in the latest message: the
screen, else the newest earlier message (the customer's or the agent's) that named one
(``history``), else ``none``. With no screen to fall back on, any distinctive name word names a
product, markers or not ("直筒黑色46有吗"), and a colour only one product comes in finds it as a
guess (``category``: "煙灰44有貨嗎" never named the item, so the reply names it); a history that
agrees with it wins ("深蓝呢" after "直筒黑色46有吗" stays on the straight jeans).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import jieba

from replydraft.drafting.models import Message
from replydraft.drafting.models import ProductHow as How
from replydraft.drafting.understanding.conversation import SHOES
from replydraft.drafting.understanding.lexicon import Lexicon, whole_word, word_in
from replydraft.drafting.understanding.slots import names_footwear, normalise_measures, size_numbers
from replydraft.knowledge.models import Product

_SKU_TOKEN = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)+")
_LATIN_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")
_CJK_OR_HANGUL_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\uac00-\ud7a3]+")
_MAX_PIECE = 6
_MIN_CJK_TOKEN = 2


@dataclass(frozen=True)
class ProductResolution:
    sku: str | None
    how: How
    candidates: tuple[str, ...] = ()
    # Several kinds named ("卫衣和牛仔裤", "hoodies and jeans"): every item of every kind, in
    # catalogue order. The first kind stays the subject (``candidates``) of a grievance; a
    # want of them all is answered with all of them.
    kinds: tuple[str, ...] = ()


def guessed_by_trait(how: How, normalised: str, lexicon: Lexicon) -> bool:
    """The item resolved ``how`` was found by a trait only it has ("卡其色有吗": a colour), the
    (normalised) message naming neither it nor its kind: a guess the reply must name, and one that
    gives way to goods we don't carry ("卡其色的双肩包")."""
    return how == "category" and not lexicon.names_kind(normalised)


@dataclass
class _Names:
    """Descriptive name words of a catalogue → the products that have them."""

    order: dict[str, int]
    words: dict[str, frozenset[str]] = field(default_factory=dict)
    colours: dict[str, frozenset[str]] = field(default_factory=dict)  # colour name → SKUs
    categories: dict[str, list[str]] = field(default_factory=dict)  # category → SKUs
    made_of: dict[str, frozenset[str]] = field(default_factory=dict)  # SKU → material families
    colour_families: dict[str, set[str]] = field(default_factory=dict)  # SKU → colour families


def _name_tokens(product: Product, generic: frozenset[str], category_words: frozenset[str]
                 ) -> set[str]:
    tokens: set[str] = set()
    for language, name in product.names.items():
        text = normalise_measures(name)
        if language.startswith("zh"):
            pieces = [t.strip() for t in jieba.lcut(text)]
        else:
            pieces = text.replace("(", " ").replace(")", " ").split()
        for piece in pieces:
            piece = piece.strip(" ,.()（）&")
            if not piece or piece in generic or piece in category_words:
                continue
            if piece.isascii() and len(piece) < 3:
                continue
            if not piece.isascii() and len(piece) < _MIN_CJK_TOKEN:
                continue
            tokens.add(piece)
    return tokens


_CACHE: list[tuple[tuple[int, ...], Lexicon, Sequence[Product], _Names]] = []
_CACHE_LOCK = threading.Lock()


def _names(products: Sequence[Product], lexicon: Lexicon) -> _Names:
    """Built once per catalogue: a serving knowledge version keeps the same product objects."""
    key = tuple(map(id, products))
    with _CACHE_LOCK:
        if _CACHE and _CACHE[0][0] == key and _CACHE[0][1] is lexicon:
            return _CACHE[0][3]
    # A material names no one product ("소가죽이에요" said of a shoe is no belt): the belt's
    # 牛皮 or leather says what it is made of, like any leather thing's.
    generic = frozenset(lexicon.generic_words) | {
        word for words in lexicon.materials.values() for word in words}
    category_words = frozenset(lexicon.category_words())
    names = _Names(order={p.sku: i for i, p in enumerate(products)})
    by_word: dict[str, set[str]] = {}
    by_colour: dict[str, set[str]] = {}
    for product in products:
        names.categories.setdefault(product.category, []).append(product.sku)
        said = normalise_measures(" ".join([*product.fabric.values(), *product.names.values()]))
        names.made_of[product.sku] = frozenset(
            family for family, words in lexicon.materials.items()
            if any(word_in(word, said) for word in words))
        for token in _name_tokens(product, generic, category_words):
            by_word.setdefault(token, set()).add(product.sku)
        for colour in product.colours:
            for name in colour.names.values():
                name = normalise_measures(name)
                names.colour_families.setdefault(product.sku, set()).update(
                    family for family, words in lexicon.colours.items()
                    if any(word_in(word, name) for word in words))
                if len(name) >= _MIN_CJK_TOKEN and not name.isascii():
                    by_colour.setdefault(name, set()).add(product.sku)
    names.words = {w: frozenset(s) for w, s in by_word.items()}
    names.colours = {w: frozenset(s) for w, s in by_colour.items()}
    with _CACHE_LOCK:
        # The products stay alive with their index, so their ids cannot be reused meanwhile.
        _CACHE[:] = [(key, lexicon, list(products), names)]
    return names


def _pieces(text: str) -> set[str]:
    """Every piece of ``text`` a name word could be: Latin words and word pairs, and the runs of
    2 to 6 characters of Chinese and Korean (no segmenter needed on the message side)."""
    found: set[str] = set()
    words = _LATIN_WORD.findall(text)
    found.update(words)
    found.update(f"{a} {b}" for a, b in pairwise(words))
    for run in _CJK_OR_HANGUL_RUN.findall(text):
        for size in range(_MIN_CJK_TOKEN, min(_MAX_PIECE, len(run)) + 1):
            found.update(run[i:i + size] for i in range(len(run) - size + 1))
    return found


@dataclass(frozen=True)
class _Mention:
    sku: str | None = None  # a SKU or a single product picked by words
    candidates: tuple[str, ...] = ()  # what category words left, in catalogue order
    descriptive: frozenset[str] = frozenset()  # products sharing the most descriptive words
    specific: bool = False  # a category word as specific as a name (冲锋衣, polo) was used
    # With no product on screen, any distinctive word counts, markers or not: "直筒黑色46有吗",
    # "煙灰44有貨嗎" (a colour only one product comes in).
    loose: frozenset[str] = frozenset()
    loose_by_name: frozenset[str] = frozenset()  # the loose reading from name words, not colours
    # Every product the category words could mean, when two things are named ("등산화랑 같이 산
    # 양말이 안 왔어요"): one of them on screen is the one the agent is looking at.
    named_too: tuple[str, ...] = ()


def _mention(text: str, products: Sequence[Product], lexicon: Lexicon) -> _Mention:
    names = _names(products, lexicon)
    written = [t for t in _SKU_TOKEN.findall(text.upper()) if t in names.order]
    if written:
        return _Mention(sku=min(written, key=names.order.__getitem__))
    norm = normalise_measures(text)
    used = lexicon.kind_words(norm)
    sets = [cats for _, cats in used]
    specific = any(word in lexicon.specific for word, _ in used)
    descriptive, loose, loose_by_name = _descriptive(norm, names, lexicon)
    if not sets:
        return _Mention(descriptive=descriptive, loose=loose, loose_by_name=loose_by_name)
    narrowed = frozenset.intersection(*sets)
    named_too: tuple[str, ...] = ()
    if not narrowed:
        # Two things named ("羽绒服跑毛 穿黑裤子全是毛", "登山鞋和袜子"): the first is the subject.
        narrowed = min(used, key=lambda pair: _position(pair[0], norm))[1]
        named_too = tuple(sorted({sku for cats in sets for cat in cats
                                  for sku in names.categories.get(cat, ())},
                                 key=names.order.__getitem__))
    candidates = sorted((sku for cat in narrowed for sku in names.categories.get(cat, ())),
                        key=names.order.__getitem__)
    materials = _materials_named(norm, [word for word, _ in used], lexicon)
    if materials:
        # "이거 울 코트인가요?", "羊毛大衣": a wool coat is not our down coat.
        candidates = [sku for sku in candidates if materials <= names.made_of.get(sku, set())]
        if not candidates:
            return _Mention(descriptive=descriptive, loose=loose, loose_by_name=loose_by_name)
    if len(candidates) > 1 and descriptive:
        picked = [sku for sku in candidates if sku in descriptive]
        if len(picked) == 1:
            return _Mention(sku=picked[0], candidates=tuple(candidates), specific=True)
    colours = lexicon.colour_families(norm)
    if len(candidates) > 1 and colours:
        # "이 주황색 신발": of our shoes only one comes in orange.
        picked = [sku for sku in candidates if colours <= names.colour_families.get(sku, set())]
        if len(picked) == 1:
            return _Mention(sku=picked[0], candidates=tuple(candidates), specific=True)
    return _Mention(candidates=tuple(candidates), descriptive=descriptive, specific=specific,
                    named_too=named_too)


# How far a material word may stand before the category word it describes ("羊毛的大衣",
# "wool blend coat").
_MATERIAL_GAP = 8


def _materials_named(norm: str, category_words: Sequence[str], lexicon: Lexicon
                     ) -> frozenset[str]:
    """The material families named right before a category word ("모직 코트": wool)."""
    starts = [at for word in category_words for at in _positions(word, norm)]
    found: set[str] = set()
    for family, words in lexicon.materials.items():
        for word in words:
            if any(0 <= start - (at + len(word)) <= _MATERIAL_GAP
                   for at in _positions(word, norm) for start in starts):
                found.add(family)
    return frozenset(found)


def _positions(word: str, norm: str) -> list[int]:
    """Where ``word`` starts in ``norm``, every time (English as a whole word)."""
    pattern = whole_word(word) if word.isascii() else re.compile(re.escape(word))
    return [match.start() for match in pattern.finditer(norm)]


def _position(word: str, norm: str) -> int:
    """Where ``word`` first starts in ``norm``; past the end when it is not there."""
    return min(_positions(word, norm), default=len(norm))


def _descriptive(norm: str, names: _Names, lexicon: Lexicon
                 ) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The products that share the most descriptive name words with the message, read two ways
    in one pass over its pieces:

    * as a name: only words followed by a naming marker or a category word count ("直筒的",
      "小脚牛仔裤", "straight cut"); "修身吗" asks about a fit, "小脚的" names the tapered jeans;
    * loosely, for when nothing is on screen to ask about instead: every Chinese or Korean name
      word and colour name counts; English words still need a marker ("my internet is down").
    """
    named: dict[str, int] = {}
    loose: dict[str, int] = {}
    by_name: dict[str, int] = {}
    followers = lexicon.naming_followers
    for piece in _pieces(norm):
        skus = names.words.get(piece, frozenset())
        if skus and _names_something(norm, piece, followers):
            _count(named, skus)
        if not piece.isascii():
            _count(loose, skus | names.colours.get(piece, frozenset()))
            _count(by_name, skus)
    return _most(named), _most(loose), _most(by_name)


def _count(counts: dict[str, int], skus: frozenset[str]) -> None:
    for sku in skus:
        counts[sku] = counts.get(sku, 0) + 1


def _most(counts: dict[str, int]) -> frozenset[str]:
    if not counts:
        return frozenset()
    top = max(counts.values())
    return frozenset(sku for sku, n in counts.items() if n == top)


def _names_something(norm: str, piece: str, followers: Sequence[str]) -> bool:
    start = norm.find(piece)
    while start >= 0:
        after = norm[start + len(piece):].lstrip()
        if any(after.startswith(word) and (not word.isascii() or
                                           not after[len(word):len(word) + 1].isalpha())
               for word in followers):
            return True
        start = norm.find(piece, start + 1)
    return False


def resolve_product(
    latest: str,
    earlier: Sequence[Message],
    *,
    on_screen: str | None,
    products: Sequence[Product],
    lexicon: Lexicon,
) -> ProductResolution:
    """``earlier``: the conversation's messages before the latest, oldest first."""
    known = {p.sku for p in products}
    screen = on_screen if on_screen in known else None
    mention = _mention(latest, products, lexicon)
    if mention.sku is not None and not mention.candidates:  # a SKU written
        how: How = "on_screen" if mention.sku == screen else "named"
        return ProductResolution(mention.sku, how)
    if mention.sku is not None:  # a descriptive word picked one of the category's products
        how = "on_screen" if mention.sku == screen else "named"
        return ProductResolution(mention.sku, how, mention.candidates)
    if mention.candidates:
        candidates, kinds = mention.candidates, mention.named_too
        if screen in candidates or screen in kinds:
            return ProductResolution(screen, "on_screen", candidates, kinds)
        if len(candidates) == 1:
            how = "named" if mention.specific else "category"
            return ProductResolution(candidates[0], how, candidates, kinds)
        previous = _from_history(earlier, products, lexicon, within=set(candidates))
        if previous is not None:
            return ProductResolution(previous, "history", candidates, kinds)
        return ProductResolution(None, "ambiguous", candidates, kinds)
    if len(mention.descriptive) == 1:  # "小脚的": a descriptive word used as a name
        (only,) = mention.descriptive
        return ProductResolution(only, "on_screen" if only == screen else "named")
    if screen is not None:
        return ProductResolution(screen, "on_screen")
    previous = _from_history(earlier, products, lexicon)
    if previous is not None and (not mention.loose or previous in mention.loose):
        return ProductResolution(previous, "history")  # "深蓝呢" after "直筒黑色46有吗"
    if len(mention.loose) == 1:
        (only,) = mention.loose
        if only in mention.loose_by_name:
            return ProductResolution(only, "named")
        # "卡其色有吗": only the colour points at the item, which the customer never named; the
        # reply names it (a guess by a trait, like a kind with one item of ours), unless the
        # size asked is none the item comes in ("카키색 255 있나요?" asks for shoes)
        product = next(p for p in products if p.sku == only)
        if not _sized_otherwise(normalise_measures(latest), product):
            return ProductResolution(only, "category", (only,))
    if previous is not None:
        return ProductResolution(previous, "history")
    return ProductResolution(None, "none")




def _sized_otherwise(norm: str, product: Product) -> bool:
    """Does the message ask a size the product does not come in: shoes spoken of for goods that
    are no shoes, or a size number its chart has no row for?"""
    if names_footwear(norm) and product.category not in SHOES:
        return True
    labels = {row.label for row in product.size_chart}
    return any(number not in labels for number in size_numbers(norm))


def _from_history(earlier: Sequence[Message], products: Sequence[Product], lexicon: Lexicon,
                  within: set[str] | None = None) -> str | None:
    """The customer's own earlier words first (newest first), then the agent's: an agent's
    "里面加薄羽绒都行" mentions a down layer, not the product being discussed."""
    ordered = [m.text for m in reversed(earlier) if m.role == "customer"] + \
        [m.text for m in reversed(earlier) if m.role == "agent"]
    for text in ordered:
        mention = _mention(text, products, lexicon)
        picked = mention.sku or (mention.candidates[0] if len(mention.candidates) == 1 else None)
        if picked is None and not mention.candidates:
            said = mention.descriptive or mention.loose
            described = said & within if within is not None else said
            picked = next(iter(described)) if len(described) == 1 else None
        if picked is not None and (within is None or picked in within):
            return picked
    return None
