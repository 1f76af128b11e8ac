from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from replydraft.review.editdistance import levenshtein


def _table(a: str, b: str) -> int:
    """The textbook dynamic programme, as the reference."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


_text = st.text(alphabet="ab亲码🙂 ", max_size=40)


@settings(max_examples=300, deadline=None)
@given(_text, _text)
def test_matches_the_textbook_table(a: str, b: str) -> None:
    assert levenshtein(a, b) == _table(a, b)


def test_known_distances() -> None:
    assert levenshtein("", "") == 0
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("亲，建议拍XL码", "亲，建议拍2XL码哦") == 2
    assert levenshtein("abc", "") == 3
    # Longer than a machine word: the bit vectors must grow past 64 bits.
    long_a = "亲" * 70 + "A" + "码" * 70
    assert levenshtein(long_a, long_a.replace("A", "B")) == 1
